import Ops
import Yams

/// A mergekit YAML merge configuration, read into a seedlora merge.
///
/// Supported keys: `merge_method`, `models` (each `model:` a PEFT adapter directory, or
/// `base+adapter` as mergekit writes LoRA inputs, with optional per-model `parameters`),
/// `parameters` (global), `base_model`, `dtype` / `out_dtype`. Parameter values may be scalars,
/// gradients (lists of numbers interpolated over the layers) or lists of `{filter, value}`
/// conditions, evaluated per module exactly as mergekit's `evaluate_setting` does. Keys mergekit
/// has but seedlora does not (slices, modules, tokenizer settings) are refused by name.
public struct Recipe: Sendable {
    public indirect enum Setting: Sendable, Equatable {
        case number(Double)
        case word(String)
        case numbers([Double])
        case words([String])
        case conditions([Condition])
    }

    public struct Condition: Sendable, Equatable {
        public let filter: String?
        public let value: Setting
        public init(filter: String?, value: Setting) {
            self.filter = filter
            self.value = value
        }
    }

    public struct Model: Sendable {
        public let adapter: String
        public let base: String?
        public let parameters: [(String, Setting)]
    }

    public let path: String
    public let method: String
    public let models: [Model]
    public let parameters: [(String, Setting)]
    public let baseModel: String?
    public let dtype: DType?

    static let supportedKeys = ["merge_method", "models", "parameters", "base_model", "dtype", "out_dtype"]
    /// mergekit parameters that only change how mergekit computes, not the result.
    static let ignoredParameters: Set<String> = ["int8_mask"]

    /// Reads the recipe file at `path`.
    public init(path: String) throws {
        guard FilePaths.exists(path) else { throw SeedloraError(path: path, "recipe file does not exist") }
        let file = try MappedFile(path: path)
        guard file.size <= Recipe.maxBytes else {
            throw SeedloraError(path: path, "recipe is \(file.size) bytes, more than the limit of \(Recipe.maxBytes)")
        }
        guard let text = file.withBytes(0..<file.size, { String(validating: $0, as: UTF8.self) }) else {
            throw SeedloraError(path: path, "recipe is not UTF-8 text")
        }
        try self.init(yaml: text, path: path)
    }

    /// A recipe is a page of YAML; a larger file is a mistake (or an attack on the YAML parser).
    public static let maxBytes = 1 << 20

    /// Recipes nest about 5 levels; Yams composes recursively, so much deeper input is refused.
    static let maxNesting = 32
    /// Values a recipe may hold once YAML aliases are expanded (a few hundred in a real recipe;
    /// nested aliases can otherwise expand exponentially, the "billion laughs").
    static let maxValues = 100_000

    /// Parses recipe text; `path` locates errors and resolves relative model paths.
    public init(yaml text: String, path: String) throws {
        self.path = path
        guard YAMLShape.depth(of: text, limit: Recipe.maxNesting) <= Recipe.maxNesting else {
            throw SeedloraError(path: path, "recipe nests lists and mappings deeper than \(Recipe.maxNesting) levels (a mergekit recipe needs about 5)")
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw SeedloraError(path: path, "not valid YAML: \(error)")
        }
        guard let root = node?.mapping else {
            throw SeedloraError(path: path, "a recipe is a YAML mapping with merge_method and models")
        }
        var method: String?, models: [Model] = [], parameters: [(String, Setting)] = []
        var baseModel: String?, dtype: DType?
        var budget = Recipe.maxValues
        let directory = FilePaths.split(path).dir
        for (keyNode, value) in root {
            guard let key = keyNode.string else { throw SeedloraError(path: path, "recipe keys must be strings") }
            switch key {
            case "merge_method":
                guard let name = value.string else { throw SeedloraError(path: path, "merge_method must be a method name") }
                method = name
            case "models":
                guard let list = value.sequence else { throw SeedloraError(path: path, "models must be a list of {model: ..., parameters: ...}") }
                models = try list.enumerated().map {
                    try Recipe.model($1, index: $0, path: path, directory: directory, budget: &budget)
                }
            case "parameters":
                parameters = try Recipe.parameters(value, path: path, context: "parameters", budget: &budget)
            case "base_model":
                guard let name = value.string else { throw SeedloraError(path: path, "base_model must be a path") }
                baseModel = Recipe.resolve(name, directory: directory)
            case "dtype", "out_dtype":
                guard let name = value.string, let type = DType(userName: name) else {
                    throw SeedloraError(path: path, "\(key) must be float32, float16 or bfloat16")
                }
                dtype = type
            default:
                throw SeedloraError(path: path, "key '\(key)' is not supported (seedlora merges LoRA adapters module by module; supported keys: \(Recipe.supportedKeys.joined(separator: ", ")))")
            }
        }
        guard let method else { throw SeedloraError(path: path, "missing merge_method") }
        // mergekit lists the base model among the models for some methods; it is not an input here.
        models.removeAll { model in baseModel != nil && (model.adapter == baseModel) }
        guard !models.isEmpty else { throw SeedloraError(path: path, "models lists no adapters") }
        let bases = Set(models.compactMap(\.base))
        if bases.count > 1 {
            throw SeedloraError(path: path, "models name different base models (\(bases.sorted().joined(separator: ", "))); merged adapters must share one")
        }
        self.method = method
        self.models = models
        self.parameters = parameters
        self.baseModel = baseModel ?? bases.first
        self.dtype = dtype
    }

    /// A relative path is taken from the working directory, as mergekit does, or else from the
    /// recipe's directory when it exists there.
    static func resolve(_ name: String, directory: String) -> String {
        if name.hasPrefix("/") || FilePaths.exists(name) { return name }
        let beside = directory + "/" + name
        return FilePaths.exists(beside) ? beside : name
    }

    static func model(_ node: Node, index: Int, path: String, directory: String, budget: inout Int) throws -> Model {
        let reference: String?
        var params: [(String, Setting)] = []
        if let text = node.string {
            reference = text
        } else if let mapping = node.mapping {
            reference = mapping["model"]?.string
            for (k, _) in mapping where !["model", "parameters"].contains(k.string ?? "") {
                throw SeedloraError(path: path, "models[\(index)]: key '\(k.string ?? "?")' is not supported (use model and parameters)")
            }
            if let p = mapping["parameters"] {
                params = try parameters(p, path: path, context: "models[\(index)].parameters", budget: &budget)
            }
        } else {
            reference = nil
        }
        guard let reference else { throw SeedloraError(path: path, "models[\(index)] needs model: PATH (a PEFT adapter, or base+adapter)") }
        // "PATH" or "BASE+ADAPTER"; an empty part (an empty item, "+x", "x+") names nothing.
        let parts = reference.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let last = parts.last, parts.allSatisfy({ !$0.isEmpty }) else {
            throw SeedloraError(path: path, "models[\(index)]: model '\(reference)' names no adapter (expected PATH or base+adapter)")
        }
        let adapter = resolve(last, directory: directory)
        let base = parts.count == 2 ? resolve(parts[0], directory: directory) : nil
        return Model(adapter: adapter, base: base, parameters: params)
    }

    static func parameters(_ node: Node, path: String, context: String, budget: inout Int) throws -> [(String, Setting)] {
        guard let mapping = node.mapping else { throw SeedloraError(path: path, "\(context) must be a mapping of names to values") }
        return try mapping.compactMap { key, value in
            guard let name = key.string else { throw SeedloraError(path: path, "\(context): parameter names must be strings") }
            if ignoredParameters.contains(name) { return nil }
            return (name, try setting(value, path: path, context: "\(context).\(name)", budget: &budget))
        }
    }

    /// One parameter value. `budget` counts the values read, aliases expanded; `depth` the nesting.
    static func setting(_ node: Node, path: String, context: String, budget: inout Int, depth: Int = 0) throws -> Setting {
        budget -= 1 + (node.sequence?.count ?? 0)
        guard budget >= 0 else {
            throw SeedloraError(path: path, "\(context): the recipe holds more than \(maxValues) values once its aliases are expanded")
        }
        guard depth < maxNesting else { throw SeedloraError(path: path, "\(context): conditions nested too deeply") }
        if let scalar = node.scalar {
            if let number = Double(scalar.string), scalar.style == .plain { return .number(number) }
            return .word(scalar.string)
        }
        if let list = node.sequence {
            if list.allSatisfy({ $0.scalar.flatMap { Double($0.string) } != nil }) {
                return .numbers(list.compactMap { $0.scalar.flatMap { Double($0.string) } })
            }
            if list.allSatisfy({ $0.scalar != nil }) { return .words(list.compactMap { $0.scalar?.string }) }
            return .conditions(try list.map { item in
                guard let m = item.mapping, let value = m["value"] else {
                    throw SeedloraError(path: path, "\(context): a condition is {filter: TEXT, value: VALUE}")
                }
                return Condition(filter: m["filter"]?.string,
                                 value: try setting(value, path: path, context: context, budget: &budget, depth: depth + 1))
            })
        }
        if let m = node.mapping, let value = m["value"] {
            return .conditions([Condition(filter: m["filter"]?.string,
                                          value: try setting(value, path: path, context: context, budget: &budget, depth: depth + 1))])
        }
        throw SeedloraError(path: path, "\(context): expected a number, a word, a list of numbers (a gradient) or {filter, value} conditions")
    }
}

extension Recipe.Setting {
    /// The value for tensor `name` at depth `t` in [0, 1] (layer / (layers - 1)), following
    /// mergekit: gradients interpolate linearly between their anchors; word lists pick by position;
    /// conditions take the first whose filter is absent, "*", or a substring of the name.
    public func evaluate(tensor name: String, t: Double) -> Recipe.Setting? {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)  // positions below index the lists
        switch self {
        case .number, .word: return self
        case let .numbers(values):
            guard !values.isEmpty else { return nil }
            let scaled = t * Double(values.count - 1)
            let i0 = Int(scaled), i1 = min(values.count - 1, i0 + 1)
            let frac = scaled - Double(i0)
            return .number((1 - frac) * values[i0] + frac * values[i1])
        case let .words(words):
            guard !words.isEmpty else { return nil }
            return .word(words[min(words.count - 1, Int(t * Double(words.count - 1)))])
        case let .conditions(conditions):
            for c in conditions where c.filter == nil || c.filter == "*" || name.contains(c.filter ?? "") {
                return c.value.evaluate(tensor: name, t: t)
            }
            return nil
        }
    }

    var text: String? {
        switch self {
        case let .number(x): return x.rounded() == x && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
        case let .word(w): return w
        default: return nil
        }
    }
}
