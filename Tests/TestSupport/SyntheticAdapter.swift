import Foundation
import Ops

/// Writes PEFT LoRA adapters of any size with deterministic pseudo-random factors, for tests that
/// need inputs larger than the example adapters (a merge whose export takes a while to write).
public enum SyntheticAdapter {
    /// `layers` x 4 attention projections of `size` x `size`, rank `rank`, lora_alpha 2 * rank.
    public static func write(to directory: String, layers: Int, size: Int, rank: Int, seed: UInt64) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func values(_ count: Int, scale: Float) -> [Float] {
            [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    buffer[i] = (Float(state % 2001) - 1000) / 1000 * scale
                }
                initialized = count
            }
        }
        var items: [SafetensorsWriter.Item] = []
        for layer in 0..<layers {
            for projection in ["q_proj", "k_proj", "v_proj", "o_proj"] {
                let key = "base_model.model.model.layers.\(layer).self_attn.\(projection)"
                let a = try Tensor(shape: [rank, size], data: values(rank * size, scale: 0.05))
                let b = try Tensor(shape: [size, rank], data: values(size * rank, scale: 0.01))
                items.append(.init(name: key + ".lora_A.weight", tensor: a, dtype: .f32))
                items.append(.init(name: key + ".lora_B.weight", tensor: b, dtype: .f32))
            }
        }
        try SafetensorsWriter.write(items, to: directory + "/adapter_model.safetensors")
        let config = #"{"peft_type": "LORA", "r": \#(rank), "lora_alpha": \#(2 * rank), "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj"]}"#
        try Data(config.utf8).write(to: URL(fileURLWithPath: directory + "/adapter_config.json"))
    }
}
