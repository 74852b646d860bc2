// Fuzz target: a results store whose index.h5 or objects file is corrupt. The last input byte
// chooses the file (even: index.h5, odd: the objects file of the one committed cell) and the
// rest replaces it in a store made once at start-up; then everything a reader does is done:
// even: open, list cells and results, load one value through the public API; odd: decode every
// value of the objects file. HDF5 itself is a system library without
// coverage instrumentation: the fuzzer is guided only by seedlora's code above it.
//
// Every store file carries a CRC-32 seal checked before libhdf5 opens it (HDF5Seal), so by
// default a mutated file is refused there: that is the product's behaviour on damaged stores.
// SEEDLORA_FUZZ_RESEAL=1 seals each mutated file first, as a forged store would be, so the
// input reaches libhdf5 and seedlora's decoding (libhdf5 crashes found that way are listed in
// Fuzz/README.md; stores from untrusted sources are not supported).
#if canImport(Glibc)
import Glibc
#endif
import FuzzSupport
@testable import Ops

/// The names committed to the template store.
let names = ["n", "x", "ok", "s", "t", "tab", "l", "g/v"]

/// A store with one commit of every value kind, and its two files' paths.
let template: (store: String, objects: String) = {
    let store = Scratch.directory + "/store"
    do {
        let s = try ResultStore(path: store)
        let table = try StoreTable([("a", .integers([1, 2])), ("b", .strings(["x", "y"]))])
        let values: [(String, StoreValue)] = [
            ("n", .integer(7)), ("x", .number(0.5)), ("ok", .bool(true)), ("s", .string("σ")),
            ("t", .tensor(try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), dimensions: ["row", "col"])),
            ("tab", .table(table)), ("l", .list([.integer(1), .list([.string("a")])])), ("g/v", .integer(2)),
        ]
        let cell = try s.commit(cell: CellRecord(index: 0, title: "t", sourceHash: "h", scriptPath: "s.seed"), values: values)
        let objects = store + "/" + cell.objectsFile
        // SEEDLORA_FUZZ_EXPORT_SEEDS=DIR writes the two seed inputs (file + selector byte) there.
        if let dir = getenv("SEEDLORA_FUZZ_EXPORT_SEEDS").map({ String(cString: $0) }) {
            for (path, selector, seed) in [(store + "/index.h5", UInt8(0), "index"), (objects, UInt8(1), "objects")] {
                let file = try MappedFile(path: path)
                let bytes = file.withBytes(0..<file.size) { Array($0) } + [selector]
                bytes.withUnsafeBytes { _ = Scratch.write($0, toPath: dir + "/" + seed) }
            }
        }
        return (store, objects)
    } catch {
        // The harness's own set-up failed (not an input): stop before fuzzing anything.
        print("FuzzStore: cannot create the template store: \(error)")
        exit(2)
    }
}()

let reseal = getenv("SEEDLORA_FUZZ_RESEAL").map { String(cString: $0) == "1" } ?? false

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    let (store, objects) = template
    guard let selector = bytes.last else { return 0 }
    let target = selector % 2 == 0 ? store + "/index.h5" : objects
    let backup = Scratch.directory + "/backup.h5"
    // Keep the good file, write the input over it, read, restore.
    guard rename(target, backup) == 0 else { return 0 }
    defer { _ = rename(backup, target) }
    let name = String(target.dropFirst(Scratch.directory.count + 1))
    Scratch.write(UnsafeRawBufferPointer(rebasing: bytes.dropLast()), to: name)
    if reseal { try? HDF5Seal.seal(target) }
    guard let s = try? ResultStore(path: store, create: false) else { return 0 }
    if selector % 2 == 0 {
        // What every reader of a store does first: the manifest and every cell's provenance.
        _ = try? s.cells()
        if let first = try? s.results().first { _ = try? s.load(name: first.name) }
    } else {
        // Every value of the cell, decoded from the one objects file (one open, not one per value).
        _ = try? HDF5File.reading(objects) { root in
            for name in names { _ = try? StoreCodec.read(name, in: root) }
        }
    }
    return 0
}
