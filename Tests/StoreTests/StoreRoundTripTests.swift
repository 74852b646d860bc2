import Foundation
import Ops
import Testing
import TestSupport

/// One value of every kind and edge, shared with the h5py test.
enum Samples {
    static let unicode = "σ ∑ 日本語 🙂 e\u{301} é \"quoted\"\n\ttab"

    /// A NaN with a payload, -0, a subnormal and infinities: only a bitwise round trip keeps them.
    static let oddFloats: [Float] = [.nan, Float(bitPattern: 0x7FC0_1234), -0.0, .leastNonzeroMagnitude, .infinity,
                                     -.infinity, .greatestFiniteMagnitude, 1.0 / 3.0]

    static let table = try! StoreTable([
        ("step", .integers([0, 1, Int64.max, Int64.min])),
        ("loss", .numbers([0.5, -0.0, .nan, .leastNonzeroMagnitude])),
        ("name", .strings(["a", "", unicode, "δ"])),
    ])

    static let values: [(String, StoreValue)] = [
        ("int", .integer(-1_234_567_890_123)),
        ("int_max", .integer(.max)),
        ("number", .number(.pi)),
        ("negative_zero", .number(-0.0)),
        ("nan", .number(Double(bitPattern: 0x7FF8_0000_0000_BEEF))),
        ("yes", .bool(true)),
        ("no", .bool(false)),
        ("text", .string(unicode)),
        ("empty_text", .string("")),
        ("small", .tensor(Tensor(uncheckedShape: [2, 4], data: oddFloats), dimensions: ["seed", "value"])),
        ("scalar_tensor", .tensor(Tensor(uncheckedShape: [], data: [2.5]))),
        ("empty_tensor", .tensor(Tensor(uncheckedShape: [0, 3], data: []))),
        ("large", .tensor(tensor([256, 300, 2]) { Float($0 % 97) * 0.25 }, dimensions: ["layer", "row", "col"])),
        ("table", .table(table)),
        ("empty_table", .table(try! StoreTable([]))),
        ("no_rows", .table(try! StoreTable([("x", .numbers([])), ("s", .strings([]))]))),
        ("list", .list([.integer(1), .string("two"), .list([.number(3), .list([]), .list([.bool(true)])]),
                        .tensor(Tensor(uncheckedShape: [3], data: [1, 2, 3])), .table(table)])),
        ("empty_list", .list([])),
        ("long_list", .list((0..<12).map { .integer(Int64($0)) })),
        ("group/nested/name", .number(42)),
    ]
}

@Suite struct StoreRoundTripTests {
    @Test func everyKindReadsBackBitIdentical() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(1, "all kinds"), values: Samples.values)
        #expect(cell.values.map(\.name) == Samples.values.map(\.0))
        for (name, expected) in Samples.values {
            expectIdentical(try t.store.load(name: name), expected, name)
            expectIdentical(try t.store.load(cell: 1, name: name), expected, name)
        }
        // A second handle on the same directory (as another process would open it) sees the same.
        let reopened = try ResultStore(path: t.path, create: false)
        for (name, expected) in Samples.values { expectIdentical(try reopened.load(name: name), expected, name) }
    }

    @Test func largeTensorIsCompressed() throws {
        let t = try TemporaryStore()
        let large = tensor([512, 512]) { Float($0 % 13) }  // 1 MiB of very compressible data
        let cell = try t.store.commit(cell: record(0), values: [("large", .tensor(large))])
        var info = stat()
        #expect(stat(t.path + "/" + cell.objectsFile, &info) == 0)
        #expect(info.st_size < 200_000, "objects file is \(info.st_size) bytes for 1 MiB of data")
        expectIdentical(try t.store.load(name: "large"), .tensor(large), "large")
    }

    @Test func resultsListNamesKindsAndShapes() throws {
        let t = try TemporaryStore()
        try t.store.commit(cell: record(0), values: Samples.values)
        let results = try t.store.results()
        #expect(results.map(\.name) == Samples.values.map(\.0).sorted())
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0) })
        #expect(byName["large"]?.kind == .tensor && byName["large"]?.shape == [256, 300, 2])
        #expect(byName["table"]?.kind == .table && byName["table"]?.shape == [4, 3])
        #expect(byName["list"]?.kind == .list && byName["list"]?.shape == [5])
        #expect(byName["yes"]?.kind == .bool && byName["yes"]?.shape == [])
        #expect(byName["group/nested/name"]?.kind == .number)
    }

    @Test func recommittingACellReplacesItAndLatestFollowsTheNewestCommit() throws {
        let t = try TemporaryStore()
        try t.store.commit(cell: record(0, "load"), values: [("x", .integer(1)), ("y", .integer(2))])
        try t.store.commit(cell: record(1, "use"), values: [("z", .integer(3))])
        try t.store.commit(cell: record(0, "load again"), values: [("x", .integer(10))])
        let cells = try t.store.cells()
        #expect(cells.map(\.record.index) == [0, 1])
        #expect(cells.map(\.group) == ["/cells/00_load again", "/cells/01_use"])
        #expect(cells.map(\.commit) == [2, 1])
        #expect(cells[0].values.map(\.name) == ["x"])
        expectIdentical(try t.store.load(name: "x"), .integer(10), "x")
        expectIdentical(try t.store.load(name: "y"), .integer(2), "y")  // still the first commit's
        #expect(try t.store.results().map { "\($0.name)@\($0.commit)" } == ["x@2", "y@0", "z@1"])
        #expect(throws: SeedloraError.self) { try t.store.load(cell: 0, name: "y") }
        // The replaced commit's objects file is still referenced by y; nothing is unreferenced.
        #expect(try t.store.pruneUnreferenced().isEmpty)
        try t.store.commit(cell: record(0, "load again"), values: [("x", .integer(11)), ("y", .integer(12))])
        #expect(try t.store.pruneUnreferenced().count == 2)
        expectIdentical(try t.store.load(name: "z"), .integer(3), "z")
    }

    @Test func openingRemovesTemporaryFilesOfAKilledWriter() throws {
        let t = try TemporaryStore()
        try t.store.commit(cell: record(0), values: [("x", .integer(1))])
        let leftovers = [t.path + "/.index.h5.tmp-1-deadbeef", t.path + "/objects/.tmp-1-deadbeef.h5"]
        for file in leftovers { _ = FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3])) }
        _ = try ResultStore(path: t.path)
        for file in leftovers { #expect(!FilePaths.exists(file)) }
        expectIdentical(try t.store.load(name: "x"), .integer(1), "x")
    }

    @Test func concurrentCommitsAndReadsFromManyThreads() throws {
        let t = try TemporaryStore()
        let store = t.store  // a Sendable value: each thread uses it as another session would
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            do {
                for i in 0..<5 {
                    let index = thread * 5 + i
                    try store.commit(cell: record(index), values: [("v\(index)", .tensor(tensor([3, 5]) { Float($0 + index) }))])
                    _ = try store.results()
                    expectIdentical(try store.load(name: "v\(index)"), .tensor(tensor([3, 5]) { Float($0 + index) }), "v\(index)")
                }
            } catch {
                failures.add("\(error)")
            }
        }
        #expect(failures.messages.isEmpty, "\(failures.messages)")
        let cells = try t.store.cells()
        #expect(cells.map(\.record.index) == Array(0..<20))
        #expect(cells.map(\.commit).sorted() == Array(0..<20))
    }

    @Test func emptyStoreAndEmptyCommit() throws {
        let t = try TemporaryStore()
        #expect(try t.store.cells().isEmpty)
        #expect(try t.store.results().isEmpty)
        let cell = try t.store.commit(cell: record(5, ""), values: [])
        #expect(cell.group == "/cells/05")
        #expect(try t.store.cells().map(\.record) == [record(5, "")])
    }
}

@Suite struct StoreErrorTests {
    static let bad: [(String, StoreValue, String)] = [
        ("", .integer(1), "each part between '/'"),
        ("a//b", .integer(1), "each part between '/'"),
        (".hidden", .integer(1), "reserved for seedlora"),
        ("nul", .string("a\0b"), "NUL"),
        ("dims", .tensor(Tensor(uncheckedShape: [2], data: [1, 2]), dimensions: ["a", "b"]), "1 dimensions but 2"),
        ("column", .table(try! StoreTable([("a/b", .numbers([1]))])), "column name"),
    ]

    @Test(arguments: 0..<bad.count)
    func invalidValuesAreRefusedBeforeWriting(_ i: Int) throws {
        let (name, value, message) = Self.bad[i]
        let t = try TemporaryStore()
        let error = #expect(throws: SeedloraError.self) { try t.store.commit(cell: record(0), values: [(name, value)]) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
        #expect(try FilePaths.list(t.path + "/objects").isEmpty)
        #expect(try t.store.cells().isEmpty)
    }

    @Test func conflictingNamesAreRefused() throws {
        let t = try TemporaryStore()
        try t.store.commit(cell: record(0), values: [("a", .integer(1))])
        let nested = #expect(throws: SeedloraError.self) { try t.store.commit(cell: record(1), values: [("a/b", .integer(2))]) }
        #expect(nested?.message.contains("conflicts with 'a'") == true)
        let twice = #expect(throws: SeedloraError.self) {
            try t.store.commit(cell: record(1), values: [("b", .integer(2)), ("b", .integer(3))])
        }
        #expect(twice?.message.contains("appears twice") == true)
    }

    @Test func missingNamesListWhatIsStored() throws {
        let t = try TemporaryStore()
        try t.store.commit(cell: record(0), values: [("alpha", .integer(1)), ("beta", .integer(2))])
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "gamma") }
        #expect(error?.message == "no stored value named 'gamma'; stored: alpha, beta")
        #expect(error?.path == t.path)
    }

    @Test func aCorruptIndexIsAnErrorWithThePath() throws {
        let t = try TemporaryStore()
        try Data("not an HDF5 file".utf8).write(to: URL(fileURLWithPath: t.path + "/index.h5"))
        let error = #expect(throws: SeedloraError.self) { try t.store.results() }
        #expect(error?.path == t.path + "/index.h5")
        #expect(error?.message.contains("is damaged or was not written by seedlora: it is 16 bytes, shorter than the 512-byte seal") == true,
                "\(error?.message ?? "")")
    }

    @Test func aFileWithoutSeedloraKindIsRefused() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("x", .integer(1))])
        // Replace the objects file by an index file: its root has another kind and no member "x".
        let objects = t.path + "/" + cell.objectsFile
        unlink(objects)
        try FileManager.default.copyItem(atPath: t.path + "/index.h5", toPath: objects)
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "x") }
        #expect(error?.path == objects)
        #expect(error?.message.contains("cannot open /x") == true, "\(error?.message ?? "")")
    }
}

/// Error messages collected from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.lock(); list.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
