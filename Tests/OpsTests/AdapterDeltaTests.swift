import Ops
import Testing
import TestSupport

/// Each adapter's per-module delta s * B @ A against the reference computed in float64 by numpy
/// (and checked against PEFT's merge_and_unload in the fixture). Tolerance: 1e-6 relative
/// Frobenius error; the factors are float32 and the reference is rounded to float32 once.
struct AdapterDeltaTests {
    static let plain = ["taskA_seed11", "taskA_seed42", "taskA_seed202", "taskB_seed42"]
    static let variants = ["taskA_rslora_seed42", "taskA_r16_seed42", "taskA_bf16_seed42", "taskA_pattern_seed42"]

    @Test(arguments: plain)
    func deltaEqualsReference(_ name: String) throws {
        try check(name, file: "deltas.safetensors")
    }

    @Test(arguments: variants)
    func variantDeltaEqualsReference(_ name: String) throws {
        try check(name, file: "variants.safetensors")
    }

    func check(_ name: String, file: String) throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter(name))
        let reference = try Fixtures.safetensors(file)
        #expect(adapter.modules.count == 14)
        for module in adapter.modules {
            let expected = try reference.tensor("adapters/\(name)/\(module.name)")
            let actual = module.delta.dense()
            #expect(actual.shape == expected.shape, "\(name) \(module.name)")
            let error = Compare.relativeFrobenius(actual.data, expected.data)
            #expect(error <= 1e-6, "\(name) \(module.name): relative Frobenius error \(error)")
        }
    }

    @Test func patternsResolvePerModule() throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_pattern_seed42"))
        // rank_pattern {q_proj: 4, layers.1.mlp.down_proj: 12}; alpha_pattern {v_proj: 32, layers.0.mlp.up_proj: 4}
        #expect(adapter.module("model.layers.0.self_attn.q_proj")?.rank == 4)
        #expect(adapter.module("model.layers.1.mlp.down_proj")?.rank == 12)
        #expect(adapter.module("model.layers.0.mlp.down_proj")?.rank == 8)
        #expect(adapter.module("model.layers.0.self_attn.v_proj")?.delta.scale == 4)
        #expect(adapter.module("model.layers.0.mlp.up_proj")?.delta.scale == 0.5)
        #expect(adapter.module("model.layers.1.mlp.up_proj")?.delta.scale == 2)
    }

    @Test func rsloraScale() throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_rslora_seed42"))
        let scale = try #require(adapter.modules.first?.delta.scale)
        #expect(abs(scale - 16 / 8.0.squareRoot()) < 1e-12)
    }

    @Test func doraIsDetectedAndRefused() throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_dora_seed42"))
        #expect(adapter.modules.allSatisfy { $0.magnitude != nil })
        let reason = try #require(adapter.mergeRefusal)
        #expect(reason.contains("DoRA"))
        #expect(reason.contains("base weights"))
    }

    @Test func statisticsMatchReference() throws {
        let reference = try Fixtures.json("adapters.json")
        for name in Self.plain {
            let adapter = try PeftAdapter(directory: Fixtures.adapter(name))
            for module in adapter.modules {
                let expected = try #require(reference["adapters"]?[name]?["modules"]?[module.name])
                let m = module.delta.moments()
                for (key, value) in [("mean", m.mean), ("std", m.std), ("fro", m.frobenius)] {
                    let want = try #require(expected[key]?.numberValue)
                    // The mean is ~1e-3 of the std: compare it on the scale of the std.
                    let scale = key == "mean" ? (expected["std"]?.numberValue ?? 1) : abs(want)
                    #expect(abs(value - want) <= 1e-6 * scale, "\(name) \(module.name) \(key): \(value) vs \(want)")
                }
            }
        }
    }
}
