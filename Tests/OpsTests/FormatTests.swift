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
