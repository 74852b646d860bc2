// Fuzz target: a mergekit YAML recipe (Yams/libyaml, then seedlora's recipe rules), then what
// `seedlora merge --config` does next without touching adapters: the per-module parameter plan at
// three depths, checked against the named method's declared parameters.
import FuzzSupport
import Ops
import Plugins

/// Module names as adapter files give them, hostile layer numbers included.
let modules = ["model.layers.0.self_attn.q_proj", "model.layers.3.mlp.up_proj", "lm_head", "model.layers.-1.mlp",
               "model.layers.9223372036854775807.mlp"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecipe(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    guard bytes.count <= Recipe.maxBytes, let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    guard let recipe = try? Recipe(yaml: text, path: "/nonexistent/recipe.yml") else { return 0 }
    let plan = ParameterPlan(recipe: recipe)
    guard let entry = try? StrategyRegistry.entry(named: recipe.method) else { return 0 }
    let depths = ParameterPlan.depths(modules)
    for (module, depth) in zip(modules, depths) {
        guard let raw = try? plan.raw(module: module, depth: depth, specs: entry.info.parameters) else { continue }
        _ = try? entry.instantiate(raw, inputCount: max(1, recipe.models.count))
    }
    return 0
}
