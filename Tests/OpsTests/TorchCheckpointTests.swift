import Foundation
import Ops
import Testing
import TestSupport

/// The restricted torch.save reader: real archives written by torch and PEFT read back exactly;
/// hostile and broken archives refused with a message naming what was refused and where.
struct TorchCheckpointTests {
    // MARK: archives torch wrote

    @Test(arguments: ["taskA_seed42", "taskA_bf16_seed42"])
    func peftBinEqualsItsSafetensorsTwin(_ name: String) throws {
        let fromBin = try PeftAdapter(directory: Fixtures.torch(name))
        let fromSafetensors = try PeftAdapter(directory: Fixtures.adapter(name))
        #expect(fromBin.weightsPath.hasSuffix("adapter_model.bin"))
        #expect(fromBin.modules.map(\.name) == fromSafetensors.modules.map(\.name))
        #expect(fromBin.modules.count == 14)
        for (a, b) in zip(fromBin.modules, fromSafetensors.modules) {
            #expect(a.dtype == b.dtype, "\(a.name)")
            #expect(a.delta.b == b.delta.b && a.delta.a == b.delta.a && a.delta.scale == b.delta.scale, "\(a.name) differs")
        }
    }

    @Test func viewsOfSharedStoragesReadAsTheirContiguousCopies() throws {
        let file = try TorchCheckpoint(path: Fixtures.torch("views.bin"))
        let expected = try SafetensorsFile(path: Fixtures.torch("views.safetensors"))
        // Pickle (insertion) order, not sorted.
        #expect(file.entries.map(\.name) == ["transposed", "row", "columns", "every_other", "half_t", "bf16", "scalar", "empty", "ints"])
        for entry in file.entries {
            let want = try expected.tensor(entry.name)
            let got = try file.tensor(entry)
            #expect(got.shape == want.shape, "\(entry.name)")
            #expect(got.data == want.data, "\(entry.name)")
            #expect(entry.dtype == expected.entry(entry.name)?.dtype, "\(entry.name)")
        }
    }

    @Test func legacyFormatIsRefusedWithAdvice() throws {
        let error = #expect(throws: SeedloraError.self) { try TorchCheckpoint(path: Fixtures.torch("legacy.bin")) }
        #expect(error?.path == Fixtures.torch("legacy.bin"))
        #expect(error?.message.contains("legacy torch.save format") == true)
        #expect(error?.message.contains("safe_serialization=True") == true)
    }

    // MARK: hostile archives

    @Test(arguments: TorchCheckpointRefusals.malicious)
    func hostilePicklesAreRefusedAndNothingRuns(_ file: String, _ refused: String) throws {
        let path = Fixtures.torch("malicious/\(file).bin")
        let error = #expect(throws: SeedloraError.self) { try TorchCheckpoint(path: path) }
        #expect(error?.path == path)
        #expect(error?.message.contains("data.pkl: pickle byte ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(refused) == true, "\(error?.message ?? "")")
        for marker in TorchCheckpointRefusals.markers { #expect(!FilePaths.exists(marker), "a payload ran: \(marker)") }
    }

    // MARK: broken archives (built byte by byte)

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: @Sendable () -> [UInt8]
        let expected: String
        var testDescription: String { label }
    }

    static let w = float32Bytes([1, 2, 3, 4, 5, 6])
    static func archive(_ pickle: [UInt8], storages: [(String, [UInt8])] = [("0", w)], byteorder: String = "little") -> [UInt8] {
        StoredZip.torch(pickle: pickle, storages: storages, byteorder: byteorder).bytes()
    }
    static func oneTensor(count: Int = 6, offset: Int = 0, shape: [Int] = [2, 3], strides: [Int] = [3, 1]) -> [UInt8] {
        Pickle.stateDict([("w", Pickle.tensor(storage: "0", count: count, offset: offset, shape: shape, strides: strides))])
    }

    static let cases: [Case] = [
        Case(label: "not a zip", bytes: { Array("hello".utf8) }, expected: "not a torch.save archive"),
        Case(label: "truncated", bytes: { Array(archive(oneTensor()).dropLast(30)) }, expected: "no zip end-of-central-directory record"),
        Case(label: "flipped storage byte", bytes: {
            var bytes = archive(oneTensor())
            // The storage's first byte: the first place its 24 bytes appear.
            if let i = (0...(bytes.count - w.count)).first(where: { bytes[$0..<($0 + w.count)].elementsEqual(w) }) { bytes[i] ^= 1 }
            return bytes
        }, expected: "is corrupt: its CRC-32"),
        Case(label: "compressed entry", bytes: {
            var zip = StoredZip.torch(pickle: oneTensor(), storages: [("0", w)])
            zip.method = 8
            return zip.bytes()
        }, expected: "is compressed (method 8)"),
        Case(label: "missing storage", bytes: { archive(oneTensor(), storages: []) }, expected: "the archive has no archive/data/0"),
        Case(label: "storage size differs", bytes: { archive(oneTensor(count: 5, shape: [5], strides: [1])) },
             expected: "archive/data/0 holds 24 bytes but its record declares 5 x torch.FloatStorage"),
        Case(label: "view past the storage", bytes: { archive(oneTensor(offset: 1)) }, expected: "reaches element 7 of storage '0', which holds 6"),
        Case(label: "expanded view", bytes: { archive(oneTensor(shape: [100, 6], strides: [0, 1])) }, expected: "expanded tensors are not read"),
        Case(label: "size and stride disagree", bytes: { archive(oneTensor(shape: [6], strides: [1, 1])) },
             expected: "size has 1 dimensions but stride has 2"),
        Case(label: "big-endian archive", bytes: { archive(oneTensor(), byteorder: "big") }, expected: "only little-endian archives are read"),
        Case(label: "no data.pkl", bytes: { StoredZip([("archive/version", [0x33])]).bytes() }, expected: "has no archive/data.pkl"),
        Case(label: "root is not a dict", bytes: { archive(Pickle.proto2 + Pickle.int(3) + Pickle.stop) },
             expected: "the pickle holds an integer, expected a state dict"),
        Case(label: "value is not a tensor", bytes: { archive(Pickle.stateDict([("w", Pickle.int(1))])) },
             expected: "state dict entry 'w' is an integer, expected a tensor"),
        Case(label: "no STOP", bytes: { archive(Array(oneTensor().dropLast())) }, expected: "ends without STOP"),
        Case(label: "bytes after STOP", bytes: { archive(oneTensor() + [0x4E]) }, expected: "1 bytes after STOP"),
        Case(label: "memo entry never stored", bytes: { archive(Pickle.proto2 + [0x68, 7] + Pickle.stop) },
             expected: "memo entry 7 was never stored"),
        Case(label: "deep tuples", bytes: { archive(Pickle.proto2 + Pickle.emptyTuple + [UInt8](repeating: 0x85, count: 40) + Pickle.stop) },
             expected: "tuples nested deeper than 32"),
        Case(label: "wide integer", bytes: { archive(Pickle.proto2 + [0x8A, 9] + [UInt8](repeating: 1, count: 9) + Pickle.stop) },
             expected: "only 64-bit integers are read"),
        Case(label: "unknown opcode", bytes: { archive(Pickle.proto2 + [0xF3] + Pickle.stop) }, expected: "refused opcode unknown opcode 0xF3"),
        Case(label: "stack underflow", bytes: { archive(Pickle.proto2 + Pickle.reduce + Pickle.stop) },
             expected: "REDUCE ('R') needs 2 values on the stack, found 0"),
        Case(label: "storage declared twice differently", bytes: {
            archive(Pickle.stateDict([("a", Pickle.tensor(storage: "0", count: 6, shape: [6], strides: [1])),
                                      ("b", Pickle.tensor(storage: "0", type: "HalfStorage", count: 12, shape: [12], strides: [1]))]))
        }, expected: "storage '0' is declared as 6 x FloatStorage and as 12 x HalfStorage"),
    ]

    @Test(arguments: cases)
    func brokenArchivesAreRefusedClearly(_ testCase: Case) throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-torch")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/adapter_model.bin"
        try Data(testCase.bytes()).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SeedloraError.self) { try TorchCheckpoint(path: path) }
        #expect(error?.path == path)
        #expect(error?.message.contains(testCase.expected) == true, "\(testCase.label): \(error?.message ?? "no error")")
    }

    @Test func handWrittenArchiveReads() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-torch")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/adapter_model.bin"
        // A transposed view: [[1, 4], [2, 5], [3, 6]].
        try StoredZip.torch(pickle: Self.oneTensor(shape: [3, 2], strides: [1, 3]), storages: [("0", Self.w)]).write(to: path)
        let file = try TorchCheckpoint(path: path)
        let entry = try #require(file.entries.first)
        #expect(entry.name == "w" && entry.dtype == .f32 && entry.shape == [3, 2])
        #expect(try file.tensor(entry).data == [1, 4, 2, 5, 3, 6])
    }
}
