import Foundation
import Ops
import Testing
import TestSupport

/// mlx-lm adapters (Tests/Fixtures/mlx, made by mlx-lm itself: scripts/make_mlx_fixtures.py).
@Suite struct MlxAdapterTests {
    static func fixture(_ name: String) -> String { Fixtures.root + "/Tests/Fixtures/mlx/" + name }
    static let seeds = ["taskA_seed11", "taskA_seed42", "taskA_seed202"]

    /// ||x - y||_F / ||y||_F in double precision.
    static func relativeError(_ x: Tensor, _ y: Tensor) -> Double {
        var diff = 0.0, norm = 0.0
        for (a, b) in zip(x.data, y.data) {
            diff += (Double(a) - Double(b)) * (Double(a) - Double(b))
            norm += Double(b) * Double(b)
        }
        return (diff / norm).squareRoot()
    }

    @Test func deltasEqualMlxLmsOwnFuseWithin1e6Relative() throws {
        let references = try SafetensorsFile(path: Self.fixture("fused_deltas.safetensors"))
        var worst = 0.0, compared = 0
        for seed in Self.seeds {
            let adapter = try PeftAdapter(directory: Self.fixture(seed))
            #expect(adapter.isMlxLm)
            #expect(adapter.modules.count == 14)
            #expect(adapter.mergeRefusal == nil)
            for module in adapter.modules {
                guard let entry = references.entries.first(where: { $0.name == seed + "/" + module.name }) else {
                    Issue.record("no reference for \(seed)/\(module.name)")
                    continue
                }
                let reference = try references.tensor(entry)
                #expect(reference.shape == module.delta.shape)
                #expect(module.delta.scale == 20)
                let error = Self.relativeError(module.delta.denseFloat(), reference)
                worst = max(worst, error)
                compared += 1
            }
        }
        #expect(compared == 42)
        #expect(worst <= 1e-6, "max relative Frobenius error \(worst)")
        print("mlx-lm fuse vs seedlora delta: \(compared) modules, max relative error \(worst)")
    }

    @Test func doraIsRefusedWithoutBaseAndMatchesMlxFuseWithIt() throws {
        let adapter = try PeftAdapter(directory: Self.fixture("taskA_dora_seed42"))
        let refusal = try #require(adapter.mergeRefusal)
        #expect(refusal.contains("DoRA") && refusal.contains("depends on the base weights"))
        // With the base weights, the true DoRA delta equals mlx-lm's DoRALinear.fuse() - W.
        let base = try SafetensorsFile(path: Fixtures.root + "/examples/base/model.safetensors")
        let references = try SafetensorsFile(path: Self.fixture("fused_deltas.safetensors"))
        var worst = 0.0
        for module in adapter.modules {
            let weightEntry = try #require(base.entries.first { $0.name == module.name + ".weight" })
            let refEntry = try #require(references.entries.first { $0.name == "taskA_dora_seed42/" + module.name })
            let magnitude = try #require(module.magnitude)
            let delta = try DoRA.delta(weight: try base.tensor(weightEntry), lora: module.delta, magnitude: magnitude, module: module.name)
            let reference = try references.tensor(refEntry)
            // The reference is W' - W in float32: its rounding is ~1e-7 * |W|, so compare to |W'|.
            var diff = 0.0
            for (a, b) in zip(delta.data, reference.data) { diff = max(diff, abs(Double(a) - Double(b))) }
            worst = max(worst, diff)
        }
        #expect(worst <= 1e-6, "max |seedlora DoRA delta - mlx fuse delta| = \(worst)")
        print("mlx-lm DoRALinear.fuse() - W vs seedlora's DoRA delta: \(adapter.modules.count) modules, max |difference| \(worst)")
    }

    @Test func exportRoundTripsThroughTheMlxReader() throws {
        let adapters = try Self.seeds.map { try PeftAdapter(directory: Self.fixture($0)) }
        // A linear combination of the three seeds: exact, rank 24 = 3 x 8.
        let modules = adapters[0].modules.map { module -> PeftExport.Module in
            let parts = adapters.compactMap { $0.module(module.name)?.delta }
            let b = parts.map { $0.b }, a = parts.map { $0.a }
            let rows = module.delta.rows, cols = module.delta.cols, r = parts.map(\.rank).reduce(0, +)
            var bData = [Float](repeating: 0, count: rows * r), aData: [Float] = []
            var offset = 0
            for (k, part) in parts.enumerated() {
                for i in 0..<rows { for j in 0..<part.rank { bData[i * r + offset + j] = b[k].data[i * part.rank + j] * Float(part.scale / 3) } }
                aData += a[k].data
                offset += part.rank
            }
            let delta = LowRank(uncheckedB: Tensor(uncheckedShape: [rows, r], data: bData), a: Tensor(uncheckedShape: [r, cols], data: aData), scale: 1)
            return PeftExport.Module(name: module.name, kind: module.kind, delta: delta)
        }
        let out = try Fixtures.temporaryDirectory("mlx-export")
        defer { FilePaths.removeTree(out) }
        let export = MlxExport(modules: modules, dtype: .f32, inputs: adapters, modelCard: "test\n")
        let directory = try AtomicDirectory(path: out + "/merged", replace: false)
        try export.write(into: directory)
        try directory.commit()
        let config = try JSON.parse(try Fixtures.readText(out + "/merged/adapter_config.json"))
        #expect(config["fine_tune_type"]?.stringValue == "lora")
        #expect(config["num_layers"]?.numberValue == 2)
        #expect(config["lora_parameters"]?["rank"]?.numberValue == 24)
        #expect(config["lora_parameters"]?["scale"]?.numberValue == 1)
        #expect(config["lora_parameters"]?["keys"]?.arrayValue?.count == 7)
        #expect(config["model"]?.stringValue == "examples/base")
        let back = try PeftAdapter(directory: out + "/merged")
        #expect(back.isMlxLm && back.modules.count == modules.count)
        var worst = 0.0
        for (written, read) in zip(modules, back.modules) {
            #expect(written.name == read.name)
            worst = max(worst, Self.relativeError(read.delta.denseFloat(), written.delta.denseFloat()))
        }
        #expect(worst <= 1e-6, "round trip relative error \(worst)")
    }

    @Test func badMlxConfigsAreClearErrors() throws {
        let dir = try Fixtures.temporaryDirectory("mlx-bad")
        defer { FilePaths.removeTree(dir) }
        try FileManager.default.copyItem(atPath: Self.fixture("taskA_seed42/adapters.safetensors"), toPath: dir + "/adapters.safetensors")
        func config(_ text: String) throws -> SeedloraError? {
            try text.write(toFile: dir + "/adapter_config.json", atomically: true, encoding: .utf8)
            return #expect(throws: SeedloraError.self) { try PeftAdapter(directory: dir) }
        }
        #expect(try config(#"{"fine_tune_type": "full", "num_layers": 2}"#)?.message.contains("fully fine-tuned weights") == true)
        #expect(try config(#"{"fine_tune_type": "lora", "lora_parameters": {"rank": 8, "alpha": 16}}"#)?.message.contains("'lora_parameters.scale'") == true)
        #expect(try config(#"{"fine_tune_type": "lora", "lora_parameters": {"rank": 4, "scale": 20}}"#)?.message.contains("lora_parameters.rank = 4") == true)
        #expect(try config(#"{"fine_tune_type": "lora"}"#)?.message.contains("missing 'lora_parameters'") == true)
    }
}
