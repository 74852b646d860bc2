/// Lines up mlx-lm module names with PEFT's when both kinds of adapter are merged together.
///
/// mlx-lm names a module by its parameter path in the mlx model (`model.layers.0.self_attn.q_proj`),
/// PEFT by its path in the transformers model (after `base_model.model.`). For LLaMA-family models
/// the two are the same; for others the containers differ (`model.h.0.attn.c_attn` in one,
/// `transformer.h.0.attn.c_attn` in the other) while the part from the layer index on agrees.
/// So a module matches by identical name, else by that layer-relative name when exactly one
/// PEFT module has it. Shapes are checked afterwards, when the modules are grouped.
public enum MlxNameMapping {
    public struct Result: Sendable {
        public let adapters: [PeftAdapter]
        /// What was matched, for the merge summary and the model card; nil without mixed inputs.
        public let note: String?
    }

    public static func align(_ adapters: [PeftAdapter]) throws -> Result {
        guard let reference = adapters.first(where: { !$0.isMlxLm }), adapters.contains(where: \.isMlxLm) else {
            return Result(adapters: adapters, note: nil)
        }
        let names = Set(reference.modules.map(\.name))
        var byRelative: [String: [String]] = [:]
        for name in names { byRelative[layerRelative(name), default: []].append(name) }
        // Counted per module name, not per input: the mlx-lm inputs share their module names.
        var exact = Set<String>(), renamed: [String: String] = [:]
        var aligned: [PeftAdapter] = []
        for adapter in adapters {
            guard adapter.isMlxLm else { aligned.append(adapter); continue }
            var modules: [AdapterModule] = []
            for module in adapter.modules {
                if names.contains(module.name) {
                    exact.insert(module.name)
                    modules.append(module)
                    continue
                }
                let relative = layerRelative(module.name)
                guard let candidates = byRelative[relative], candidates.count == 1, let target = candidates.first else {
                    let why = (byRelative[relative]?.count ?? 0) > 1 ? "several PEFT modules end in \(relative)" : "no PEFT module has that name or ends in \(relative)"
                    throw SeedloraError(path: adapter.path, "mlx-lm module \(module.name) has no counterpart in the PEFT adapter \(reference.path): \(why)")
                }
                renamed[module.name] = target
                modules.append(AdapterModule(name: target, kind: module.kind, delta: module.delta, alpha: module.alpha,
                                             dtype: module.dtype, bias: module.bias, magnitude: module.magnitude,
                                             nonFinite: module.nonFinite))
            }
            modules.sort { $0.name < $1.name }
            aligned.append(PeftAdapter(mlxDirectory: adapter.path, config: adapter.config, weightsPath: adapter.weightsPath,
                                       modules: modules, otherTensors: adapter.otherTensors))
        }
        let mlxCount = adapters.filter(\.isMlxLm).count
        var note = "mlx-lm module names matched to PEFT's (\(reference.path)) for \(mlxCount) mlx-lm input(s): \(exact.count) modules by identical name"
        if let from = renamed.keys.sorted().first, let to = renamed[from] {
            note += ", \(renamed.count) by layer-relative name (e.g. \(from) -> \(to))"
        }
        return Result(adapters: aligned, note: note)
    }

    /// The name from its first all-digit component (the layer index) on, e.g.
    /// "0.self_attn.q_proj"; the whole name for modules outside the layer stack.
    static func layerRelative(_ name: String) -> String {
        let parts = name.split(separator: ".")
        guard let i = parts.firstIndex(where: { !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return name }
        return parts[i...].joined(separator: ".")
    }
}
