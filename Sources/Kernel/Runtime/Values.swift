import Ops
import Plugins

/// A Seed value. Numbers, strings and tensors are values; lists and dicts are shared
/// references (as in Python), so `xs.append(1)` changes every name bound to that list.
public enum Value {
    case `nil`
    case bool(Bool)
    /// Integers stay exact (64-bit, overflow is an error), so indices and counts never round.
    case int(Int)
    case float(Double)
    case string(String)
    case list(ListRef)
    case dict(DictRef)
    /// `range(start, stop, step)`, lazy so `for i in range(10**9)` needs no memory.
    case range(Int, Int, Int)
    case tensor(Tensor)
    case adapter(AdapterValue)
    /// Boxed: a delta's factors are the largest payload of any case, and every value (each
    /// element of a list) would otherwise be as large (80 bytes instead of 32).
    indirect case delta(DeltaValue)
    case table(Table)
    case function(FunctionValue)
    case builtin(Builtin)
    /// A figure made by `plot(...)`, drawn by `savefig`.
    case figure(FigureValue)

    /// The type name users see: in `type(x)` and in error messages.
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .range: return "range"
        case .tensor: return "tensor"
        case .adapter: return "adapter"
        case .delta: return "delta"
        case .table: return "table"
        case .function, .builtin: return "function"
        case .figure: return "figure"
        }
    }

    static func list(_ items: [Value]) -> Value { .list(ListRef(items)) }

    var isNil: Bool { if case .nil = self { return true }; return false }

    var asDouble: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .float(x): return x
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// A mutable list shared by reference.
public final class ListRef {
    var items: [Value]
    /// Noted by the session's `CycleRegistry`.
    var inCycleRegistry = false
    init(_ items: [Value]) { self.items = items }
}

/// What can be a dict key: strings, numbers, booleans and nil (1 and 1.0 are the same key, as
/// in Python).
enum DictKey: Hashable {
    case `nil`
    case bool(Bool)
    case number(Double)
    case string(String)

    init?(_ value: Value) {
        switch value {
        case .nil: self = .nil
        case let .bool(b): self = .bool(b)
        case let .int(i): self = .number(Double(i))
        case let .float(x): self = .number(x)
        case let .string(s): self = .string(s)
        default: return nil
        }
    }
}

/// An insertion-ordered dict shared by reference.
public final class DictRef {
    private(set) var keys: [Value] = []
    private(set) var values: [Value] = []
    private var index: [DictKey: Int] = [:]
    /// Noted by the session's `CycleRegistry`.
    var inCycleRegistry = false

    init() {}

    func removeAllEntries() {
        keys = []
        values = []
        index = [:]
    }

    init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { _ = set(.string(k), v) }
    }

    var count: Int { keys.count }

    func get(_ key: Value) -> Value? {
        guard let k = DictKey(key), let i = index[k] else { return nil }
        return values[i]
    }

    /// Stores `value` under `key`; false when the key cannot be hashed.
    func set(_ key: Value, _ value: Value) -> Bool {
        guard let k = DictKey(key) else { return false }
        if let i = index[k] {
            values[i] = value
        } else {
            index[k] = keys.count
            keys.append(key)
            values.append(value)
        }
        return true
    }

    func remove(_ key: Value) -> Value? {
        guard let k = DictKey(key), let i = index[k] else { return nil }
        let old = values[i]
        keys.remove(at: i)
        values.remove(at: i)
        index = [:]
        for (j, key) in keys.enumerated() { if let dk = DictKey(key) { index[dk] = j } }
        return old
    }

    var pairs: [(Value, Value)] { Array(zip(keys, values)) }
}

/// Rows of named columns, printed aligned (e.g. `stat(adapter)`: one row per module).
public struct Table {
    public var columns: [String]
    var rows: [[Value]]

    func column(_ name: String) -> [Value]? {
        guard let i = columns.firstIndex(of: name) else { return nil }
        return rows.map { i < $0.count ? $0[i] : .nil }
    }

    func row(_ i: Int) -> Value {
        let dict = DictRef()
        for (j, name) in columns.enumerated() { _ = dict.set(.string(name), j < rows[i].count ? rows[i][j] : .nil) }
        return .dict(dict)
    }
}

/// A function written in Seed, with the environment it closes over.
public final class FunctionValue {
    let decl: FunctionDecl
    let closure: Environment
    init(decl: FunctionDecl, closure: Environment) {
        self.decl = decl
        self.closure = closure
    }
    var name: String { decl.name }
}

/// One module's delta, factored (`scale * B @ A`) or dense (from a dense merge).
public enum DeltaForm: Sendable {
    case factored(LowRank)
    case dense(Tensor)

    var shape: [Int] {
        switch self {
        case let .factored(l): return l.shape
        case let .dense(t): return t.shape
        }
    }

    /// The dense matrix (Float32), one module at a time.
    var dense: Tensor {
        switch self {
        case let .factored(l): return l.denseFloat()
        case let .dense(t): return t
        }
    }
}

/// A module delta handed out by `delta(adapter, name)`.
public struct DeltaValue: Sendable {
    let module: String
    let kind: ModuleKind
    let form: DeltaForm
}

/// An adapter: loaded from a PEFT directory, or the result of `merge`.
public final class AdapterValue {
    struct Module {
        let name: String
        let kind: ModuleKind
        let form: DeltaForm
        /// For a dense merge result: its inputs' A factors, the rank-K export's SVD start
        /// (`Exporter.rangeStart`), so Seed's export matches the CLI's bit for bit.
        var rangeStart: [Tensor] = []
    }

    /// Where it came from: a directory, or "merge(seedlora)".
    let label: String
    let modules: [Module]
    /// The loaded adapter (nil for merge results): merges need its files' facts.
    let source: PeftAdapter?
    /// The config of the first input, written into exports.
    let template: AdapterConfig?
    /// Input directories, for provenance and for relocating a relative base model path.
    let inputs: [String]
    let method: String?
    /// How a merge result was made, for the model card of its export.
    var card: ModelCard?
    /// The base model given to `load(path, base=...)`: merges of this (DoRA) adapter use it.
    var base: String?

    init(label: String, modules: [Module], source: PeftAdapter?, template: AdapterConfig?, inputs: [String], method: String?) {
        self.label = label
        self.modules = modules
        self.source = source
        self.template = template
        self.inputs = inputs
        self.method = method
    }

    convenience init(loaded: PeftAdapter, label: String? = nil) {
        self.init(label: label ?? loaded.path,
                  modules: loaded.modules.map { Module(name: $0.name, kind: $0.kind, form: .factored($0.delta)) },
                  source: loaded, template: loaded.config, inputs: [loaded.path], method: nil)
    }

    func module(_ name: String) -> Module? { modules.first { $0.name == name } }
    var isFactored: Bool { modules.allSatisfy { if case .factored = $0.form { return true }; return false } }
}
