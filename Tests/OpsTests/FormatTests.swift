import Foundation
import Ops
import Testing
import TestSupport

struct DTypeTests {
    @Test(arguments: [
        (Float(1.0), UInt16(0x3F80)),
        (Float(bitPattern: 0x3F80_8000), UInt16(0x3F80)),  // tie, even stays
        (Float(bitPattern: 0x3F81_8000), UInt16(0x3F82)),  // tie, odd rounds up
        (Float(bitPattern: 0x3F80_8001), UInt16(0x3F81)),  // above half rounds up
        (Float(-2.0), UInt16(0xC000)),
        (Float.infinity, UInt16(0x7F80)),
    ])
    func bf16RoundsToNearestEven(_ value: Float, _ bits: UInt16) {
        #expect(HalfPrecision.floatToBF16(value) == bits)
    }

    @Test func bf16NaNStaysNaN() {
        #expect(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBF16(.nan)).isNaN)
    }

    @Test func halfRoundTrips() {
        for bits: UInt16 in [0x3C00, 0x0001, 0x7BFF, 0xC000, 0x3555] {
            #expect(HalfPrecision.floatToF16(HalfPrecision.f16ToFloat(bits)) == bits)
        }
        // 1 + 2^-11 is halfway between 1 and the next half; ties to even gives 1.
        #expect(HalfPrecision.floatToF16(1 + 1.0 / 2048) == 0x3C00)
    }
}

struct SafetensorsTests {
    @Test func writerRoundTripsEveryDtype() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        let values: [Float] = [0, 1, -2.5, 3.140625, 1e-3, -65504]
        let tensor = try Tensor(shape: [2, 3], data: values)
        let path = dir + "/t.safetensors"
        try SafetensorsWriter.write([
            .init(name: "f32", tensor: tensor, dtype: .f32),
            .init(name: "bf16", tensor: tensor, dtype: .bf16),
            .init(name: "f16", tensor: tensor, dtype: .f16),
            .init(name: "f64", tensor: tensor, dtype: .f64),
        ], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata.count == 1 && file.metadata[0] == ("format", "pt"))
        #expect(try file.tensor("f32").data == values)
        #expect(try file.tensor("f64").data == values)
        let bf16 = try file.tensor("bf16").data
        #expect(Compare.relativeFrobenius(bf16, values) < 4e-3)
        #expect(try file.tensor("f16").data[5] == -65504)
        // Header padded to a multiple of 8, so data starts aligned.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.1) << (8 * $1.0)) }
        #expect(n % 8 == 0)
        // No temporary file left next to it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["t.safetensors"])
    }

    /// Small tensors are gathered into larger writes and large ones written directly: the file
    /// must still hold them in order whatever the mix of sizes (a 1 MiB tensor gathered, then a
    /// 5 MiB one written directly, had once been written before it).
    /// With the 36 MB tensor the file passes 64 MiB and is written with direct I/O where the
    /// file system allows it (aligned 8 MiB writes from a writer thread, the unaligned tail
    /// through the page cache): the same bytes must come back.
    @Test(arguments: [false, true])
    func streamWriterKeepsOrderAcrossSmallAndLargeTensors(pastDirectThreshold: Bool) throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        let counts = [3, 262_144, 1_310_720, 16, 2_000_000, 1_048_576, 5, 4_194_304]   // floats
            + (pastDirectThreshold ? [9_000_003, 7] : [])
        let path = dir + "/mixed.safetensors"
        try SafetensorsWriter.write(counts.enumerated().map { i, n in
            .init(name: "t\(i)", tensor: Tensor(uncheckedShape: [n], data: [Float](repeating: Float(i + 1), count: n)), dtype: .f32)
        }, to: path)
        let file = try SafetensorsFile(path: path)
        for (i, n) in counts.enumerated() {
            let data = try file.tensor("t\(i)").data
            #expect(data.count == n && data.allSatisfy { $0 == Float(i + 1) }, "tensor t\(i)")
        }
        let size = counts.reduce(0, +) * 4
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 > size)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["mixed.safetensors"])
    }

    /// bf16 tensors of a file past the direct-I/O threshold are encoded straight into the aligned
    /// buffers, piece by piece across buffer boundaries: every tensor's bytes must be those the
    /// in-memory encoder gives (odd counts put the boundaries mid-tensor at every phase).
    @Test func streamWriterEncodesBF16StraightIntoDirectBuffers() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        let counts = [3, 2_097_153, 7, 33_554_431, 1_048_577]
        let tensors = counts.enumerated().map { i, n in Tensor(uncheckedShape: [n], data: Self.varied(n, offset: Float(i + 1))) }
        let path = dir + "/large.safetensors"
        try SafetensorsWriter.write(tensors.enumerated().map { .init(name: "t\($0)", tensor: $1, dtype: .bf16) }, to: path)
        let file = try SafetensorsFile(path: path)
        for (i, tensor) in tensors.enumerated() {
            var expected: [UInt8] = []
            try tensor.data.withUnsafeBufferPointer { try DTypeConversion.encode($0, as: .bf16, into: &expected) }
            guard let entry = file.entry("t\(i)") else { Issue.record("t\(i) missing"); continue }
            #expect(entry.dtype == .bf16)
            let same = file.withRawBytes(entry) { raw in
                expected.withUnsafeBytes { want in
                    guard let a = raw.baseAddress, let b = want.baseAddress, raw.count == want.count else { return false }
                    return memcmp(a, b, raw.count) == 0
                }
            }
            #expect(same, "tensor t\(i)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 >= 64 << 20)
    }

    /// `n` values that round to many different bf16 numbers (ties included): 28,693 distinct
    /// ones repeated, copied in doubling runs (an element loop takes seconds in a debug build).
    static func varied(_ n: Int, offset: Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            let period = min(n, 4099 * 7)
            for k in 0..<period { base[k] = offset + Float(k % 4099) * 0.000_173 - Float(k % 7) }
            var filled = period
            while filled < n {
                let run = min(filled, n - filled)
                (base + filled).update(from: base, count: run)
                filled += run
            }
            initialized = n
        }
    }

    @Test func readsBF16AdapterExactly() throws {
        let file = try SafetensorsFile(path: Fixtures.adapter("taskA_bf16_seed42") + "/adapter_model.safetensors")
        #expect(file.entries.allSatisfy { $0.dtype == .bf16 })
    }

    @Test(arguments: [
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}", "needs 8 bytes"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}", "non-negative integers"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 0]}}", "is after end"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", "data_offsets"),
        ("[1, 2]", "must be a JSON object"),
        ("{\"__metadata__\": {\"format\": 1}}", "must be a string"),
        ("{\"a\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776], \"data_offsets\": [0, 4]}}", "overflows"),
    ])
    func headerRules(_ header: String, _ message: String) throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 4)
        let path = dir + "/bad.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SeedloraError.self) { try SafetensorsFile(path: path) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.path == path)
    }
}

struct JSONTests {
    @Test func keepsKeyOrderAndTypes() throws {
        let json = try JSON.parse(#"{"z": 1, "a": [true, null, "x\u00e9\n"], "m": {"k": -2.5e1}}"#)
        #expect(json.objectValue?.map(\.0) == ["z", "a", "m"])
        #expect(json["a"]?.arrayValue?[2].stringValue == "xé\n")
        #expect(json["m"]?["k"]?.numberValue == -25)
        #expect(try JSON.parse(json.serialized()) == json)
    }

    @Test(arguments: ["", "{", "{\"a\" 1}", "[1,]", "01", "\"\\q\"", "nul", "{\"a\":1} x", "\"\u{01}\"", "1.", "\"\\ud800\""])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func depthIsBounded() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }
}
