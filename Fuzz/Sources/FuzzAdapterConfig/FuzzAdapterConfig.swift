// Fuzz target: an adapter_config.json. Parses the JSON (strict, depth-bounded), validates it as
// a PEFT LoRA config, and resolves rank, alpha and scale for a few module names through the
// rank_pattern / alpha_pattern regular expressions.
import FuzzSupport
import Ops

let modules = ["model.layers.0.self_attn.q_proj", "model.layers.11.mlp.down_proj", "lm_head", "embed_tokens", ""]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAdapterConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let json = try? JSON.parse(fuzzBytes(data, size)) else { return 0 }
    _ = json.serialized()
    guard let config = try? AdapterConfig(json: json, path: "adapter_config.json") else { return 0 }
    for module in modules {
        _ = config.rank(for: module)
        _ = config.scale(for: module)
    }
    _ = config.targetModules
    return 0
}
