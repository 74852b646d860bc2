/// The parts of a PEFT `adapter_config.json` that decide what the weights mean.
///
/// PEFT requires only `peft_type`; everything else has PEFT's defaults. Unknown keys are kept in
/// `raw` (so an export can carry them over) and otherwise ignored, as PEFT does.
public struct AdapterConfig: Sendable {
    public let path: String
    public let raw: JSON
    public let peftType: String
    public let r: Int
    public let loraAlpha: Double
    public let useRSLoRA: Bool
    public let fanInFanOut: Bool
    public let useDoRA: Bool
    public let loraBias: Bool
    public let modulesToSave: [String]
    public let baseModel: String?
    /// `rank_pattern` / `alpha_pattern` in file order with compiled regexes (first match wins).
    public let rankPattern: [ModulePattern]
    public let alphaPattern: [ModulePattern]

    /// Reads and validates `<dir>/adapter_config.json`.
    public init(directory: String) throws {
        let path = directory + "/adapter_config.json"
        guard FilePaths.exists(path) else {
            if let reason = FilePaths.unusableReason(path) { throw SeedloraError(.io, path: path, reason) }
            throw SeedloraError(path: directory, "no adapter_config.json (expected a PEFT adapter directory)")
        }
        try self.init(json: try JSON.read(path: path), path: path)
    }

    public init(json: JSON, path: String) throws {
        self.path = path
        raw = json
        guard json.objectValue != nil else { throw SeedloraError(path: path, "must be a JSON object") }
        guard let type = json["peft_type"]?.stringValue else {
            throw SeedloraError(path: path, "missing 'peft_type' (PEFT writes \"LORA\" for LoRA adapters)")
        }
        guard type.uppercased() == "LORA" else {
            throw SeedloraError(path: path, "peft_type is \"\(type)\"; seedlora reads LoRA adapters (peft_type \"LORA\")")
        }
        peftType = type
        r = try AdapterConfig.integer(json, "r", default: 8, path: path)
        guard r > 0 else { throw SeedloraError(path: path, "'r' must be a positive integer, got \(r)") }
        loraAlpha = try AdapterConfig.number(json, "lora_alpha", default: 8, path: path)
        useRSLoRA = try AdapterConfig.flag(json, "use_rslora", path: path)
        fanInFanOut = try AdapterConfig.flag(json, "fan_in_fan_out", path: path)
        useDoRA = try AdapterConfig.flag(json, "use_dora", path: path)
        loraBias = try AdapterConfig.flag(json, "lora_bias", path: path)
        modulesToSave = (json["modules_to_save"]?.arrayValue ?? []).compactMap(\.stringValue)
        baseModel = json["base_model_name_or_path"]?.stringValue
        rankPattern = try AdapterConfig.patterns(json, "rank_pattern", path: path)
        alphaPattern = try AdapterConfig.patterns(json, "alpha_pattern", path: path)
    }

    /// The rank PEFT uses for `module`: the first matching `rank_pattern` entry, else `r`.
    public func rank(for module: String) -> Int {
        rankPattern.first(where: { $0.matches(module) }).map { Int($0.value) } ?? r
    }

    public func alpha(for module: String) -> Double {
        alphaPattern.first(where: { $0.matches(module) })?.value ?? loraAlpha
    }

    /// `alpha / r`, or `alpha / sqrt(r)` with rsLoRA.
    public func scale(for module: String) -> Double {
        let rank = Double(rank(for: module))
        return useRSLoRA ? alpha(for: module) / rank.squareRoot() : alpha(for: module) / rank
    }

    /// `target_modules` as written (a list, or one regex string).
    public var targetModules: JSON? { raw["target_modules"] }

    private static func integer(_ json: JSON, _ key: String, default value: Int, path: String) throws -> Int {
        guard let item = json[key], !item.isNull else { return value }
        guard case let .number(n) = item, let i = Int32(exactly: n) else {
            throw SeedloraError(path: path, "'\(key)' must be an integer (32-bit)")
        }
        return Int(i)
    }

    private static func number(_ json: JSON, _ key: String, default value: Double, path: String) throws -> Double {
        guard let item = json[key], !item.isNull else { return value }
        guard let n = item.numberValue, n.isFinite else { throw SeedloraError(path: path, "'\(key)' must be a number") }
        return n
    }

    private static func flag(_ json: JSON, _ key: String, path: String) throws -> Bool {
        guard let item = json[key], !item.isNull else { return false }
        guard let b = item.boolValue else { throw SeedloraError(path: path, "'\(key)' must be true or false") }
        return b
    }

    private static func patterns(_ json: JSON, _ key: String, path: String) throws -> [ModulePattern] {
        guard let item = json[key], !item.isNull else { return [] }
        guard let pairs = item.objectValue else {
            throw SeedloraError(path: path, "'\(key)' must be an object mapping module patterns to numbers")
        }
        return try pairs.map { pattern, value in
            guard let n = value.numberValue, n.isFinite, n > 0 else {
                throw SeedloraError(path: path, "'\(key)' entry '\(pattern)' must be a positive number")
            }
            // rank(for:) converts it to Int: an integer of a sane size (found by review after
            // fuzzing: {".*": 1e300} trapped in the conversion).
            if key == "rank_pattern" && (n.rounded() != n || n > 1e9) {
                throw SeedloraError(path: path, "'rank_pattern' entry '\(pattern)' must be an integer from 1 to 1000000000")
            }
            return try ModulePattern(pattern: pattern, value: n, path: path, key: key)
        }
    }
}
