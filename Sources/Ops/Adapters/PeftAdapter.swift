import Dispatch

/// How a module's factors relate to the base weight it is added to.
public enum ModuleKind: String, Sendable {
    /// `nn.Linear`: delta = s * B @ A, shape [out, in].
    case linear
    /// GPT-2 `Conv1D` with `fan_in_fan_out`: the base weight is [in, out], delta = s * (B @ A)^T.
    case fanInFanOut = "fan_in_fan_out"
    /// `nn.Embedding`: `lora_embedding_A` [r, vocab], `lora_embedding_B` [dim, r]; delta = s * (B @ A)^T.
    case embedding

    /// Whether the stored factors are transposed relative to the base-weight orientation.
    var isTransposed: Bool { self != .linear }
}

/// One adapted module: its delta in the base weight's orientation, and what else PEFT stored.
public struct AdapterModule: Sendable {
    public let name: String
    public let kind: ModuleKind
    public let delta: LowRank
    public let alpha: Double
    public let dtype: DType
    /// `lora_B.bias` times the scale (present when the adapter was trained with `lora_bias`).
    public let bias: Tensor?
    /// DoRA's `lora_magnitude_vector`: its delta depends on the base weights.
    public let magnitude: Tensor?
    /// First non-finite value, as "lora_B.weight[5] = nan", if any.
    public let nonFinite: String?

    public var rank: Int { delta.rank }
}

/// A PEFT LoRA adapter directory, validated and loaded.
public struct PeftAdapter: Sendable {
    public static let keyPrefix = "base_model.model."

    public let path: String
    public let config: AdapterConfig
    public let weightsPath: String
    /// Modules sorted by name.
    public let modules: [AdapterModule]
    /// Keys that are not LoRA factors (modules_to_save copies, full weights).
    public let otherTensors: [String]

    public func module(_ name: String) -> AdapterModule? {
        modules.first(where: { $0.name == name })
    }

    /// Loads `directory`; every problem is reported with the file and module it is in.
    public init(directory argument: String) throws {
        // A hub id (`org/name[@revision]`) reads its snapshot in the local Hugging Face cache.
        let directory = try HubCache.localDirectory(for: argument)
        guard FilePaths.isDirectory(directory) else {
            let what = FilePaths.exists(directory) ? "is not a directory" : FilePaths.unusableReason(directory) ?? "does not exist"
            throw SeedloraError(path: directory, "\(what) (expected a PEFT adapter directory with adapter_config.json and adapter_model.safetensors or .bin)")
        }
        if MlxAdapter.isMlxDirectory(directory) {
            self = try MlxAdapter.load(directory)
            return
        }
        let index = try PeftAdapterIndex(directory: directory)
        // Converting factors is memory-bound work per module; spread it over the cores.
        let modules = try ConcurrentMap.run(index.moduleNames, cancellation: Cancellation()) { name in
            try index.load(name)
        }
        self.init(index: index, modules: modules)
    }

    /// An adapter of `index` holding `modules` (all of them, or the few a streaming merge has
    /// loaded at the moment).
    public init(index: PeftAdapterIndex, modules: [AdapterModule]) {
        path = index.path
        config = index.config
        weightsPath = index.weightsPath
        otherTensors = index.otherTensors
        self.modules = modules
    }

    /// `adapter_model.safetensors`, or else `adapter_model.bin` (a torch.save archive, read by a
    /// reader that runs nothing in it), as PEFT prefers them.
    static func openWeights(_ directory: String) throws -> any TensorFile {
        let safetensors = directory + "/adapter_model.safetensors", pickle = directory + "/adapter_model.bin"
        if FilePaths.exists(safetensors) { return try SafetensorsFile(path: safetensors) }
        if let reason = FilePaths.unusableReason(safetensors) { throw SeedloraError(.io, path: safetensors, reason) }
        if FilePaths.exists(pickle) { return try TorchCheckpoint(path: pickle) }
        if let reason = FilePaths.unusableReason(pickle) { throw SeedloraError(.io, path: pickle, reason) }
        throw SeedloraError(path: directory, "no adapter_model.safetensors (nor adapter_model.bin)")
    }

    /// Which tensor keys belong to which module and role.
    struct ModuleKeys: Sendable {
        var a: TensorEntry?
        var b: TensorEntry?
        var bias: TensorEntry?
        var magnitude: TensorEntry?
        var embedding = false
    }

    static func groupKeys(_ file: any TensorFile) throws -> (modules: [String: ModuleKeys], other: [String]) {
        var modules: [String: ModuleKeys] = [:]
        var other: [String] = []
        let suffixes: [(String, WritableKeyPath<ModuleKeys, TensorEntry?>, Bool)] = [
            (".lora_A.weight", \.a, false), (".lora_B.weight", \.b, false), (".lora_B.bias", \.bias, false),
            (".lora_embedding_A", \.a, true), (".lora_embedding_B", \.b, true),
            (".lora_magnitude_vector.weight", \.magnitude, false), (".lora_magnitude_vector", \.magnitude, false),
        ]
        for entry in file.entries {
            var key = entry.name
            if key.hasPrefix(keyPrefix) { key.removeFirst(keyPrefix.count) }
            guard let (suffix, role, embedding) = suffixes.first(where: { key.hasSuffix($0.0) }) else {
                other.append(entry.name)
                continue
            }
            let module = String(key.dropLast(suffix.count))
            var keys = modules[module] ?? ModuleKeys()
            keys[keyPath: role] = entry
            if embedding { keys.embedding = true }
            modules[module] = keys
        }
        return (modules, other.sorted())
    }

    static func loadModule(_ name: String, keys: ModuleKeys, file: any TensorFile, config: AdapterConfig,
                           weightsPath: String) throws -> AdapterModule {
        let aName = keys.embedding ? "lora_embedding_A" : "lora_A.weight"
        let bName = keys.embedding ? "lora_embedding_B" : "lora_B.weight"
        guard let aEntry = keys.a else {
            throw SeedloraError(path: weightsPath, "module \(name): has \(bName) but no \(aName)")
        }
        guard let bEntry = keys.b else {
            throw SeedloraError(path: weightsPath, "module \(name): has \(aName) but no \(bName)")
        }
        guard aEntry.shape.count == 2, bEntry.shape.count == 2 else {
            throw SeedloraError(path: weightsPath, "module \(name): \(aName) and \(bName) must be 2-D, got \(aEntry.shape) and \(bEntry.shape)")
        }
        guard aEntry.dtype.isFloat, bEntry.dtype.isFloat else {
            throw SeedloraError(path: weightsPath, "module \(name): factors must be F32, F16, BF16 or F64, got \(aEntry.dtype.rawValue)")
        }
        let r = aEntry.shape[0]
        guard bEntry.shape[1] == r else {
            throw SeedloraError(path: weightsPath, "module \(name): \(aName) has rank \(r) (shape \(aEntry.shape)) but \(bName) has \(bEntry.shape[1]) columns (shape \(bEntry.shape))")
        }
        let configRank = config.rank(for: name)
        guard configRank == r else {
            throw SeedloraError(path: weightsPath, "module \(name): factors have rank \(r) but adapter_config.json gives r = \(configRank) for it (r / rank_pattern)")
        }
        let kind: ModuleKind = keys.embedding ? .embedding : (config.fanInFanOut ? .fanInFanOut : .linear)
        let scale = config.scale(for: name)
        // Safetensors factors are converted and screened for NaN/inf in one pass over the mapping.
        let a: Tensor, b: Tensor, aBad: Int?, bBad: Int?
        if let mapped = file as? SafetensorsFile {
            (a, aBad) = try mapped.screenedTensor(aEntry)
            (b, bBad) = try mapped.screenedTensor(bEntry)
        } else {
            a = try file.tensor(aEntry)
            b = try file.tensor(bEntry)
            (aBad, bBad) = (a.firstNonFinite(), b.firstNonFinite())
        }
        var nonFinite: String?
        if let i = bBad { nonFinite = "\(bName)[\(i)] = \(b.data[i])" }
        else if let i = aBad { nonFinite = "\(aName)[\(i)] = \(a.data[i])" }
        // Base-weight orientation: for transposed kinds, delta = s * A^T B^T.
        let delta = kind.isTransposed
            ? LowRank(uncheckedB: a.transposed(), a: b.transposed(), scale: scale)
            : LowRank(uncheckedB: b, a: a, scale: scale)
        var bias: Tensor?
        if let entry = keys.bias {
            let raw = try file.tensor(entry)
            bias = Tensor(uncheckedShape: raw.shape, data: raw.data.map { $0 * Float(scale) })
        }
        let magnitude = try keys.magnitude.map { try file.tensor($0) }
        return AdapterModule(name: name, kind: kind, delta: delta, alpha: config.alpha(for: name),
                             dtype: aEntry.dtype, bias: bias, magnitude: magnitude, nonFinite: nonFinite)
    }

    /// A DoRA adapter (`use_dora`, `lora_magnitude_vector`).
    public var isDoRA: Bool { config.useDoRA || modules.contains(where: { $0.magnitude != nil }) }

    /// Why this adapter cannot be merged on its factors alone, or nil if it can.
    public var mergeRefusal: String? { mergeRefusal(withBase: false) }

    /// Why this adapter cannot be merged; with the base model at hand DoRA is fine.
    public func mergeRefusal(withBase: Bool) -> String? {
        if isDoRA && !withBase {
            return "is a DoRA adapter (lora_magnitude_vector): its delta m * (W + sBA) / ||W + sBA|| - W depends on the base weights, so it cannot be merged from the adapter files alone; pass --base MODEL_DIR to merge it on its true delta"
        }
        if isDoRA && modules.contains(where: { $0.kind != .linear }) {
            return "is a DoRA adapter on fan_in_fan_out or embedding modules, which seedlora does not support yet"
        }
        if !config.modulesToSave.isEmpty || !otherTensors.isEmpty {
            let what = config.modulesToSave.isEmpty ? "full tensors (\(otherTensors.prefix(3).joined(separator: ", ")))" : "modules_to_save \(config.modulesToSave)"
            return "contains \(what): these are fully fine-tuned weights, not low-rank deltas, and a merged LoRA adapter cannot carry them"
        }
        if modules.contains(where: { $0.bias != nil }) {
            return "has lora_B.bias (lora_bias: true): merging LoRA biases is not supported yet"
        }
        return nil
    }
}
