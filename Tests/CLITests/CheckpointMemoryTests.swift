import Foundation
import Ops
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `--format model` streams tensor by tensor: on a 400 MB sharded checkpoint its peak memory
/// stays far below the checkpoint's size.
struct CheckpointMemoryTests {
    static let layers = 64
    static let shape = [1024, 384]

    /// A sharded base (4 shards, 256 tensors of 1.5 MB) and two rank-4 adapters of 64 modules.
    static func makeFixture(_ dir: String) throws {
        let base = dir + "/base"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var weightMap: [(String, JSON)] = []
        let rng = CounterRNG(seed: 5, module: 0, input: 0)
        let count = shape[0] * shape[1]
        for shard in 0..<4 {
            let name = "model-0000\(shard + 1)-of-00004.safetensors"
            var entries: [SafetensorsStreamWriter.Entry] = []
            for layer in (shard * 16)..<(shard * 16 + 16) {
                for part in ["q_proj", "k_proj", "v_proj", "o_proj"] {
                    let tensor = "model.layers.\(layer).self_attn.\(part).weight"
                    entries.append(.init(name: tensor, shape: shape, dtype: .f32))
                    weightMap.append((tensor, .string(name)))
                }
            }
            let writer = try SafetensorsStreamWriter(path: base + "/" + name, entries: entries)
            for (i, _) in entries.enumerated() {
                var data = [Float](repeating: 0, count: count)
                for j in stride(from: 0, to: count, by: 97) { data[j] = Float(rng.uniform(i * count + j)) }
                try writer.append(Tensor(uncheckedShape: shape, data: data))
            }
            try writer.commit()
        }
        let index = JSON.object([("metadata", .object([])), ("weight_map", .object(weightMap))])
        try Data(index.serialized(pretty: true).utf8).write(to: URL(fileURLWithPath: base + "/model.safetensors.index.json"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: base + "/config.json"))
        for seed in 0..<2 {
            let adapter = dir + "/adapter\(seed)"
            try FileManager.default.createDirectory(atPath: adapter, withIntermediateDirectories: true)
            var items: [SafetensorsWriter.Item] = []
            let r = CounterRNG(seed: UInt64(seed), module: 1, input: 0)
            for layer in 0..<layers {
                let prefix = "base_model.model.model.layers.\(layer).self_attn.q_proj"
                let a = (0..<(4 * shape[1])).map { Float(r.normal(layer * 100_000 + $0) * 0.05) }
                let b = (0..<(shape[0] * 4)).map { Float(r.normal(layer * 100_000 + 50_000 + $0) * 0.05) }
                items.append(.init(name: prefix + ".lora_A.weight", tensor: Tensor(uncheckedShape: [4, shape[1]], data: a), dtype: .f32))
                items.append(.init(name: prefix + ".lora_B.weight", tensor: Tensor(uncheckedShape: [shape[0], 4], data: b), dtype: .f32))
            }
            try SafetensorsWriter.write(items, to: adapter + "/adapter_model.safetensors")
            try Data(#"{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"]}"#.utf8)
                .write(to: URL(fileURLWithPath: adapter + "/adapter_config.json"))
        }
    }

    /// One fixture (writing 400 MB takes seconds), both paths: factored (linear) and dense (ties).
    @Test func mergedCheckpointStreamsWithBoundedMemory() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-ckpt")
        defer { FilePaths.removeTree(dir) }
        try Self.makeFixture(dir)
        for method in ["linear", "ties"] { try check(method, dir: dir) }
    }

    func check(_ method: String, dir: String) throws {
        let out = dir + "/merged-" + method
        // The merge reports its own peak (VmHWM): wait4's ru_maxrss would include the test
        // process's memory, which a vfork-based spawn shares until exec.
        let result = try CLIRunner.run(["merge", "--method", method, dir + "/adapter0", dir + "/adapter1",
                                        "--out", out, "--format", "model", "--base", dir + "/base"])
        #expect(result.status == 0, "\(result.stderr)")
        let peakText = try #require(result.stderr.components(separatedBy: "peak memory ").last?.split(separator: " ").first)
        let unit = result.stderr.components(separatedBy: "peak memory ").last?.split(separator: " ").dropFirst().first ?? ""
        let peakMB = (Double(peakText) ?? .infinity) * (unit.hasPrefix("GB") ? 1000 : unit.hasPrefix("MB") ? 1 : unit.hasPrefix("KB") ? 0.001 : 1e9)
        // Under AddressSanitizer (scripts/test-asan) shadow memory and the quarantine inflate RSS.
        if ProcessInfo.processInfo.environment["SEEDLORA_SANITIZER"] == nil {
            #expect(peakMB < 120, "peak memory \(peakMB) MB for a 403 MB checkpoint")
        }
        print("checkpoint merge (\(method)): peak RSS \(Int(peakMB)) MB for a 403 MB checkpoint")
        // Sharding and names as the base; an untouched tensor is byte-identical.
        for shard in 1...4 {
            let name = "model-0000\(shard)-of-00004.safetensors"
            let before = try SafetensorsFile(path: dir + "/base/" + name), after = try SafetensorsFile(path: out + "/" + name)
            #expect(before.entries.map(\.name) == after.entries.map(\.name))
        }
        let k = "model.layers.5.self_attn.k_proj.weight"
        let before = try SafetensorsFile(path: dir + "/base/model-00001-of-00004.safetensors").tensor(k)
        let after = try SafetensorsFile(path: out + "/model-00001-of-00004.safetensors").tensor(k)
        #expect(before == after)
        #expect(FileManager.default.contentsEqual(atPath: dir + "/base/model.safetensors.index.json",
                                                  andPath: out + "/model.safetensors.index.json"))
    }
}
