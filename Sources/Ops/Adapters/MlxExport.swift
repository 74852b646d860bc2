/// Writes merged deltas as an mlx-lm adapter directory that `mlx_lm.tuner.utils.load_adapters`
/// (and so `mlx_lm.generate --adapter-path`, `mlx_lm.fuse`) loads.
///
/// `load_adapters` wraps, in the last `num_layers` blocks of `model.layers`, every module whose
/// block-relative name is in `lora_parameters.keys`, with one `rank` and one `scale` for all, then
/// loads `adapters.safetensors` non-strictly. So: every module's scale is folded into its factors
/// (`scale: 1.0`), every module is zero-padded to the largest rank R (`rank: R`), and `keys` are
/// the block-relative names. A wrapped module the export has no factors for keeps mlx-lm's zero
/// `lora_b`, so it adds exactly nothing.
public struct MlxExport {
    public let modules: [PeftExport.Module]
    public let dtype: DType
    /// `num_layers`: the mlx-lm inputs' value when they all agree, else -1 (all blocks).
    public let numLayers: Int
    /// mlx_lm.lora's `model` (a hub id or path), carried from the inputs when known.
    public let model: String?
    public let modelCard: String

    public init(modules: [PeftExport.Module], dtype: DType, numLayers: Int, model: String?, modelCard: String) {
        self.modules = modules
        self.dtype = dtype
        self.numLayers = numLayers
        self.model = model
        self.modelCard = modelCard
    }

    /// The export of a merge of `inputs`: `num_layers` and `model` from the mlx-lm inputs when
    /// they agree (PEFT inputs say nothing about mlx-lm's layer count, so then -1: all blocks).
    public init(modules: [PeftExport.Module], dtype: DType, inputs: [PeftAdapter], modelCard: String) {
        let layerCounts = Set(inputs.map(\.mlxNumLayers))
        let numLayers = layerCounts.count == 1 ? (layerCounts.first ?? nil) ?? -1 : -1
        let models = Set(inputs.filter(\.isMlxLm).map(\.config.baseModel))
        self.init(modules: modules, dtype: dtype, numLayers: numLayers,
                  model: models.count == 1 ? (models.first ?? nil) : nil, modelCard: modelCard)
    }

    /// The rank every module is written with.
    public var rank: Int { max(1, modules.map(\.delta.rank).max() ?? 1) }

    /// `lora_parameters.keys`: names relative to a block (from after the layer index), or the
    /// full name for a module outside the block stack (current mlx-lm also matches those).
    public var keys: [String] {
        Set(modules.map { module -> String in
            let parts = module.name.split(separator: ".")
            guard let i = parts.firstIndex(where: { $0.allSatisfy(\.isNumber) }), i + 1 < parts.count else { return module.name }
            return parts[(i + 1)...].joined(separator: ".")
        }).sorted()
    }

    /// Writes the files into a directory the caller commits.
    public func write(into directory: AtomicDirectory) throws {
        guard [.f32, .bf16, .f16].contains(dtype) else { throw SeedloraError("export dtype must be f32, bf16 or f16") }
        let r = rank
        var items: [SafetensorsWriter.Item] = []
        for module in modules {
            let factors = module.delta.scaleFolded().padded(toRank: r)
            switch module.kind {
            case .linear:
                // delta = lora_b^T lora_a^T: lora_a = A^T (in x r), lora_b = B^T (r x out).
                items.append(.init(name: module.name + ".lora_a", tensor: factors.a.transposed(), dtype: dtype))
                items.append(.init(name: module.name + ".lora_b", tensor: factors.b.transposed(), dtype: dtype))
            case .embedding:
                // LoRAEmbedding: delta (vocab x dim) = lora_a lora_b.
                items.append(.init(name: module.name + ".lora_a", tensor: factors.b, dtype: dtype))
                items.append(.init(name: module.name + ".lora_b", tensor: factors.a, dtype: dtype))
            case .fanInFanOut:
                throw SeedloraError(.usage, "module \(module.name) is a fan_in_fan_out (GPT-2 Conv1D) module, which mlx-lm models do not have; write --format peft instead")
            }
        }
        try SafetensorsWriter.write(items, metadata: [("format", "mlx")], to: directory.file(MlxAdapter.weightsName))
        let configFile = try AtomicFile(path: directory.file("adapter_config.json"))
        try configFile.write(configJSON(rank: r).serialized(pretty: true) + "\n")
        try configFile.commit()
        let card = try AtomicFile(path: directory.file("README.md"))
        try card.write(modelCard)
        try card.commit()
    }

    /// The adapter_config.json: what `load_adapters` reads, plus `model` for mlx_lm's tools.
    public func configJSON(rank r: Int) -> JSON {
        var pairs: [(String, JSON)] = [
            ("fine_tune_type", .string("lora")),
            ("num_layers", .number(Double(numLayers))),
            ("lora_parameters", .object([
                ("rank", .number(Double(r))),
                ("scale", .number(1)),
                ("dropout", .number(0)),
                ("keys", .array(keys.map(JSON.string))),
            ])),
        ]
        if let model { pairs.append(("model", .string(model))) }
        return .object(pairs)
    }
}
