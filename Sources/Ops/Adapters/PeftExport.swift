/// Writes merged deltas as a PEFT LoRA adapter directory that PEFT and vLLM load.
///
/// vLLM's rules (docs/formats.md): one `adapter_model.safetensors` with only LoRA factor keys, one
/// global scale (it ignores rank/alpha patterns), one rank for every module. So every module's scale
/// is folded into its A factor, every module is zero-padded to the largest rank R, and the config
/// says `r = lora_alpha = R` (scale 1), `use_rslora: false`, empty patterns.
public struct PeftExport {
    public struct Module: Sendable {
        public let name: String
        public let kind: ModuleKind
        public let delta: LowRank
        public init(name: String, kind: ModuleKind, delta: LowRank) {
            self.name = name
            self.kind = kind
            self.delta = delta
        }
    }

    /// Config keys copied from the first input (everything else is set by the export).
    static let carriedKeys = ["base_model_name_or_path", "task_type", "fan_in_fan_out", "revision", "layers_to_transform", "layers_pattern"]

    public let modules: [Module]
    public let dtype: DType
    public let template: AdapterConfig?
    /// Markdown written as README.md: provenance for people (PEFT ignores it).
    public let modelCard: String

    /// `base_model_name_or_path` of the export when it differs from the template's (a local
    /// path rewritten relative to the new directory).
    public var baseModel: String?

    public init(modules: [Module], dtype: DType, template: AdapterConfig?, modelCard: String) {
        self.modules = modules
        self.dtype = dtype
        self.template = template
        self.modelCard = modelCard
        if let template, let base = template.baseModel {
            baseModel = base
        }
    }

    /// Rewrites a relative local base-model path of the template so it still points at the same
    /// directory from `outputPath` (a hub id such as "meta-llama/Llama-2-7b-hf" is left alone).
    public mutating func relocateBaseModel(from inputPath: String, to outputPath: String) {
        guard let base = baseModel, !base.hasPrefix("/") else { return }
        let resolved = FilePaths.absolute(inputPath + "/" + base)
        guard FilePaths.isDirectory(resolved) else { return }
        baseModel = FilePaths.relative(resolved, from: FilePaths.absolute(outputPath))
    }

    /// The rank every module is written with.
    public var rank: Int { max(1, modules.map(\.delta.rank).max() ?? 1) }

    /// Writes the directory atomically: it appears complete at `path` or not at all.
    public func write(to path: String, replace: Bool) throws {
        let directory = try AtomicDirectory(path: path, replace: replace)
        try write(into: directory)
        try directory.commit()
    }

    /// Writes the files into a directory the caller commits.
    public func write(into directory: AtomicDirectory) throws {
        guard [.f32, .bf16, .f16].contains(dtype) else {
            throw SeedloraError("export dtype must be f32, bf16 or f16")
        }
        let r = rank
        let items = modules.flatMap { Self.items($0, rank: r, dtype: dtype) }
        try SafetensorsWriter.write(items, to: directory.file("adapter_model.safetensors"))
        try writeConfigAndCard(into: directory, rank: r, moduleNames: modules.map(\.name))
    }

    /// adapter_config.json and README.md.
    func writeConfigAndCard(into directory: AtomicDirectory, rank r: Int, moduleNames: [String]) throws {
        let configFile = try AtomicFile(path: directory.file("adapter_config.json"))
        try configFile.write(configJSON(rank: r, moduleNames: moduleNames).serialized(pretty: true) + "\n")
        try configFile.commit()
        let card = try AtomicFile(path: directory.file("README.md"))
        try card.write(modelCard)
        try card.commit()
    }

    /// The two stored tensors of `module` at export rank `r`, in PEFT's orientation.
    static func items(_ module: Module, rank r: Int, dtype: DType) -> [SafetensorsWriter.Item] {
        let factors = module.delta.scaleFolded().padded(toRank: r)
        let prefix = PeftAdapter.keyPrefix + module.name
        switch module.kind {
        case .linear:
            return [.init(name: prefix + ".lora_A.weight", tensor: factors.a, dtype: dtype),
                    .init(name: prefix + ".lora_B.weight", tensor: factors.b, dtype: dtype)]
        case .fanInFanOut:
            return [.init(name: prefix + ".lora_A.weight", tensor: factors.b.transposed(), dtype: dtype),
                    .init(name: prefix + ".lora_B.weight", tensor: factors.a.transposed(), dtype: dtype)]
        case .embedding:
            return [.init(name: prefix + ".lora_embedding_A", tensor: factors.b.transposed(), dtype: dtype),
                    .init(name: prefix + ".lora_embedding_B", tensor: factors.a.transposed(), dtype: dtype)]
        }
    }

    /// The stored names and shapes of a module's two tensors (what `items` produces).
    static func entries(name: String, kind: ModuleKind, rows: Int, cols: Int, rank r: Int,
                        dtype: DType) -> [SafetensorsStreamWriter.Entry] {
        let prefix = PeftAdapter.keyPrefix + name
        switch kind {
        case .linear:
            return [.init(name: prefix + ".lora_A.weight", shape: [r, cols], dtype: dtype),
                    .init(name: prefix + ".lora_B.weight", shape: [rows, r], dtype: dtype)]
        case .fanInFanOut:
            return [.init(name: prefix + ".lora_A.weight", shape: [r, rows], dtype: dtype),
                    .init(name: prefix + ".lora_B.weight", shape: [cols, r], dtype: dtype)]
        case .embedding:
            return [.init(name: prefix + ".lora_embedding_A", shape: [r, rows], dtype: dtype),
                    .init(name: prefix + ".lora_embedding_B", shape: [cols, r], dtype: dtype)]
        }
    }

    /// The adapter_config.json of the export.
    public func configJSON(rank r: Int) -> JSON {
        configJSON(rank: r, moduleNames: modules.map(\.name))
    }

    /// The adapter_config.json for modules named `moduleNames` (a streaming export has no
    /// `modules` in memory).
    public func configJSON(rank r: Int, moduleNames: [String]) -> JSON {
        var pairs: [(String, JSON)] = [("peft_type", .string("LORA"))]
        for key in Self.carriedKeys {
            if key == "base_model_name_or_path", let baseModel {
                pairs.append((key, .string(baseModel)))
            } else if let value = template?.raw[key] {
                pairs.append((key, value))
            }
        }
        let targets = Set(moduleNames.map { name in
            String(name.split(separator: ".").last ?? Substring(name))
        }).sorted()
        pairs += [
            ("r", .number(Double(r))),
            ("lora_alpha", .number(Double(r))),
            ("use_rslora", .bool(false)),
            ("rank_pattern", .object([])),
            ("alpha_pattern", .object([])),
            ("target_modules", .array(targets.map(JSON.string))),
            ("lora_dropout", .number(0)),
            ("bias", .string("none")),
            ("lora_bias", .bool(false)),
            ("use_dora", .bool(false)),
            ("modules_to_save", .null),
            ("init_lora_weights", .bool(true)),
            ("inference_mode", .bool(true)),
        ]
        if !pairs.contains(where: { $0.0 == "fan_in_fan_out" }) { pairs.append(("fan_in_fan_out", .bool(false))) }
        return .object(pairs)
    }
}
