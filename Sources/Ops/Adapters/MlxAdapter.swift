/// Reads the adapter directories `mlx_lm.lora` writes: `adapters.safetensors` with
/// `<module>.lora_a` (in x r) and `<module>.lora_b` (r x out), and an `adapter_config.json` with
/// `fine_tune_type`, `num_layers` and `lora_parameters` {rank, scale, dropout, keys}.
///
/// mlx-lm's LoRALinear computes `y = W x + scale * (x @ lora_a) @ lora_b` and fuses
/// `W + (scale * lora_b^T) @ lora_a^T`, so in the base weight's orientation (out x in) the delta is
/// `scale * B @ A` with B = lora_b^T and A = lora_a^T: the same factored form as PEFT's, loaded
/// into the same `PeftAdapter` type. LoRAEmbedding fuses `W + scale * lora_a @ lora_b` (vocab x dim).
public enum MlxAdapter {
    public static let weightsName = "adapters.safetensors"
    /// The marker in the config this loader synthesises (`PeftAdapter.config.raw`).
    public static let sourceKey = "seedlora_source"

    /// Leaf names of embedding modules: mlx-lm stores Linear and Embedding factors under the same
    /// names (`lora_a`, `lora_b`), so which one a module is can only be told by its name.
    static let embeddingNames: Set<String> = ["embed_tokens", "wte", "tok_embeddings", "word_embeddings", "embed_in"]

    /// Whether `directory` holds an mlx-lm adapter rather than a PEFT one: `adapters.safetensors`
    /// and no `adapter_model.*`, or a config with mlx-lm's keys and no `peft_type`.
    public static func isMlxDirectory(_ directory: String) -> Bool {
        let peftWeights = FilePaths.exists(directory + "/adapter_model.safetensors") || FilePaths.exists(directory + "/adapter_model.bin")
        if peftWeights { return false }
        if FilePaths.exists(directory + "/" + weightsName) { return true }
        guard let json = try? readConfig(directory + "/adapter_config.json") else { return false }
        return json["peft_type"] == nil && (json["lora_parameters"] != nil || json["fine_tune_type"] != nil)
    }

    /// The parsed `adapter_config.json` of an mlx-lm adapter.
    public struct Config: Sendable {
        public let fineTuneType: String
        public let numLayers: Int?
        public let rank: Int
        public let scale: Double
        public let keys: [String]?
        /// mlx_lm.lora's `model` argument: a hub id or a path (relative to where training ran).
        public let model: String?
    }

    public static func parseConfig(_ json: JSON, path: String) throws -> Config {
        guard json.objectValue != nil else { throw SeedloraError(path: path, "must be a JSON object") }
        let type = json["fine_tune_type"]?.stringValue ?? "lora"
        switch type {
        case "lora", "dora": break
        case "full":
            throw SeedloraError(path: path, "fine_tune_type is \"full\": adapters.safetensors holds fully fine-tuned weights, not LoRA factors, so there is no low-rank delta to merge")
        default:
            throw SeedloraError(path: path, "fine_tune_type is \"\(type)\"; mlx-lm writes \"lora\", \"dora\" or \"full\"")
        }
        guard let parameters = json["lora_parameters"], parameters.objectValue != nil else {
            throw SeedloraError(path: path, "missing 'lora_parameters' (mlx_lm.lora writes {\"rank\", \"scale\", \"dropout\", \"keys\"})")
        }
        guard case let .number(r)? = parameters["rank"], r.rounded() == r, r >= 1, r < 1e9 else {
            throw SeedloraError(path: path, "'lora_parameters.rank' must be a positive integer")
        }
        guard let scale = parameters["scale"]?.numberValue, scale.isFinite else {
            throw SeedloraError(path: path, "'lora_parameters.scale' must be a finite number (mlx-lm's LoRA scale; it has no 'alpha')")
        }
        var keys: [String]?
        if let item = parameters["keys"], !item.isNull {
            guard let list = item.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                throw SeedloraError(path: path, "'lora_parameters.keys' must be a list of module names")
            }
            keys = list.compactMap(\.stringValue)
        }
        var numLayers: Int?
        if let item = json["num_layers"], !item.isNull {
            guard case let .number(n) = item, n.rounded() == n, abs(n) < 1e9 else {
                throw SeedloraError(path: path, "'num_layers' must be an integer")
            }
            numLayers = Int(n)
        }
        return Config(fineTuneType: type, numLayers: numLayers, rank: Int(r), scale: scale, keys: keys,
                      model: json["model"]?.stringValue)
    }

    /// Loads an mlx-lm adapter directory as a `PeftAdapter` whose module names are mlx-lm's
    /// parameter paths (`model.layers.0.self_attn.q_proj`, which for LLaMA-family models are PEFT's).
    public static func load(_ directory: String) throws -> PeftAdapter {
        let configPath = directory + "/adapter_config.json"
        guard FilePaths.exists(configPath) else {
            if let reason = FilePaths.unusableReason(configPath) { throw SeedloraError(.io, path: configPath, reason) }
            throw SeedloraError(path: directory, "no adapter_config.json (mlx_lm.lora writes it beside adapters.safetensors)")
        }
        let json = try readConfig(configPath)
        let config = try parseConfig(json, path: configPath)
        let weightsPath = directory + "/" + weightsName
        guard FilePaths.exists(weightsPath) else {
            if let reason = FilePaths.unusableReason(weightsPath) { throw SeedloraError(.io, path: weightsPath, reason) }
            throw SeedloraError(path: directory, "no \(weightsName) (an mlx-lm adapter directory holds adapters.safetensors and adapter_config.json)")
        }
        let file = try SafetensorsFile(path: weightsPath)
        var keys: [String: (a: TensorEntry?, b: TensorEntry?, m: TensorEntry?)] = [:]
        var other: [String] = []
        for entry in file.entries {
            let roles: [(String, WritableKeyPath<(a: TensorEntry?, b: TensorEntry?, m: TensorEntry?), TensorEntry?>)] =
                [(".lora_a", \.a), (".lora_b", \.b), (".m", \.m)]
            guard let (suffix, role) = roles.first(where: { entry.name.hasSuffix($0.0) }) else {
                other.append(entry.name)
                continue
            }
            let module = String(entry.name.dropLast(suffix.count))
            var slot = keys[module] ?? (nil, nil, nil)
            slot[keyPath: role] = entry
            keys[module] = slot
        }
        let isDoRA = config.fineTuneType == "dora" || keys.values.contains { $0.m != nil }
        let modules = try keys.keys.sorted().map { name in
            try loadModule(name, keys[name] ?? (nil, nil, nil), file: file, config: config, weightsPath: weightsPath)
        }
        return PeftAdapter(mlxDirectory: directory, config: try peftView(config, isDoRA: isDoRA, path: configPath),
                           weightsPath: weightsPath, modules: modules, otherTensors: other.sorted())
    }

    static func loadModule(_ name: String, _ keys: (a: TensorEntry?, b: TensorEntry?, m: TensorEntry?),
                           file: SafetensorsFile, config: Config, weightsPath: String) throws -> AdapterModule {
        guard let aEntry = keys.a else { throw SeedloraError(path: weightsPath, "module \(name): has lora_b but no lora_a") }
        guard let bEntry = keys.b else { throw SeedloraError(path: weightsPath, "module \(name): has lora_a but no lora_b") }
        if aEntry.shape.count == 3 || bEntry.shape.count == 3 {
            throw SeedloraError(path: weightsPath, "module \(name): 3-D factors \(aEntry.shape) / \(bEntry.shape) are mlx-lm's LoRASwitchLinear (mixture-of-experts layers), which seedlora does not merge")
        }
        guard aEntry.shape.count == 2, bEntry.shape.count == 2 else {
            throw SeedloraError(path: weightsPath, "module \(name): lora_a and lora_b must be 2-D (in x r and r x out), got \(aEntry.shape) and \(bEntry.shape)")
        }
        guard aEntry.dtype.isFloat, bEntry.dtype.isFloat else {
            throw SeedloraError(path: weightsPath, "module \(name): factors must be F32, F16, BF16 or F64, got \(aEntry.dtype.rawValue)")
        }
        let r = aEntry.shape[1]
        guard bEntry.shape[0] == r else {
            throw SeedloraError(path: weightsPath, "module \(name): lora_a has rank \(r) (shape \(aEntry.shape), in x r) but lora_b has \(bEntry.shape[0]) rows (shape \(bEntry.shape), r x out)")
        }
        guard r == config.rank else {
            throw SeedloraError(path: weightsPath, "module \(name): factors have rank \(r) but adapter_config.json gives lora_parameters.rank = \(config.rank)")
        }
        let a = try file.tensor(aEntry), b = try file.tensor(bEntry)
        var nonFinite: String?
        if let i = b.firstNonFinite() { nonFinite = "lora_b[\(i)] = \(b.data[i])" }
        else if let i = a.firstNonFinite() { nonFinite = "lora_a[\(i)] = \(a.data[i])" }
        let leaf = String(name.split(separator: ".").last ?? Substring(name))
        let kind: ModuleKind = embeddingNames.contains(leaf) ? .embedding : .linear
        // Base-weight orientation: Linear out x in = s * lora_b^T lora_a^T; Embedding vocab x dim = s * lora_a lora_b.
        let delta = kind == .embedding
            ? LowRank(uncheckedB: a, a: b, scale: config.scale)
            : LowRank(uncheckedB: b.transposed(), a: a.transposed(), scale: config.scale)
        var magnitude: Tensor?
        if let m = keys.m {
            guard m.shape == [delta.rows] else {
                throw SeedloraError(path: weightsPath, "module \(name): DoRA magnitude .m has shape \(m.shape), expected [\(delta.rows)] (one per output row)")
            }
            magnitude = try file.tensor(m)
        }
        return AdapterModule(name: name, kind: kind, delta: delta, alpha: config.scale * Double(r), dtype: aEntry.dtype,
                             bias: nil, magnitude: magnitude, nonFinite: nonFinite)
    }

    /// The PEFT-equivalent config: r = rank and lora_alpha = scale * rank give PEFT's alpha / r =
    /// mlx-lm's scale. The marker key tells inspect and the exporters where it came from.
    static func peftView(_ config: Config, isDoRA: Bool, path: String) throws -> AdapterConfig {
        var pairs: [(String, JSON)] = [
            ("peft_type", .string("LORA")),
            ("r", .number(Double(config.rank))),
            ("lora_alpha", .number(config.scale * Double(config.rank))),
            ("use_dora", .bool(isDoRA)),
            (sourceKey, .string("mlx-lm")),
        ]
        if let model = config.model { pairs.append(("base_model_name_or_path", .string(model))) }
        if let n = config.numLayers { pairs.append(("num_layers", .number(Double(n)))) }
        if let keys = config.keys { pairs.append(("target_modules", .array(keys.map(JSON.string)))) }
        return try AdapterConfig(json: .object(pairs), path: path)
    }

    static func readConfig(_ path: String) throws -> JSON {
        let file = try MappedFile(path: path)
        do {
            return try file.withBytes(0..<file.size) { try JSON.parse($0) }
        } catch let error as JSONParseError {
            throw SeedloraError(path: path, "not valid JSON: \(error)")
        }
    }
}

extension PeftAdapter {
    /// An adapter loaded by `MlxAdapter.load`.
    init(mlxDirectory: String, config: AdapterConfig, weightsPath: String, modules: [AdapterModule], otherTensors: [String]) {
        self.path = mlxDirectory
        self.config = config
        self.weightsPath = weightsPath
        self.modules = modules
        self.otherTensors = otherTensors
    }

    /// Whether this adapter was read from an mlx-lm directory (`mlx_lm.lora`).
    public var isMlxLm: Bool { config.raw[MlxAdapter.sourceKey]?.stringValue == "mlx-lm" }

    /// mlx-lm's `lora_parameters.scale` and `num_layers`, for inspect and the mlx export.
    public var mlxNumLayers: Int? {
        guard isMlxLm, let n = config.raw["num_layers"]?.numberValue else { return nil }
        return Int(n)
    }
}
