import Ops
import Plugins

/// Subscripts (`x[i]`, `x[a:b:c]`, `t[0:8, :]`, negative indices count from the end) and
/// attributes (`t.shape`, `d.rank`, `m.modules`).
extension Interpreter {
    enum IndexValue {
        case single(Value, Span)
        case slice(Int?, Int?, Int?, Span)

        var span: Span {
            switch self {
            case let .single(_, s), let .slice(_, _, _, s): return s
            }
        }
    }

    func evaluateIndex(_ items: [IndexItem], in env: Environment) throws -> [IndexValue] {
        try items.map { item in
            switch item {
            case let .single(e):
                return .single(try evaluate(e, in: env), e.span)
            case let .slice(a, b, c, span):
                func bound(_ e: Expr?) throws -> Int? {
                    guard let e else { return nil }
                    let v = try evaluate(e, in: env)
                    switch v {
                    case .nil: return nil
                    case let .int(i): return i
                    default: throw fail("slice bounds must be ints (or nil), got \(v.typeNameWithArticle)", at: e.span)
                    }
                }
                let step = try bound(c)
                if step == 0 { throw fail("slice step cannot be zero", at: span) }
                return .slice(try bound(a), try bound(b), step, span)
            }
        }
    }

    /// Python's slice normalisation: the indices a slice selects from `count` elements.
    static func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int?, count: Int) -> [Int] {
        let step = step ?? 1
        func clamp(_ i: Int?, _ defaultValue: Int, low: Int, high: Int) -> Int {
            guard var i else { return defaultValue }
            if i < 0 { i += count }
            return min(max(i, low), high)
        }
        if step > 0 {
            let a = clamp(start, 0, low: 0, high: count), b = clamp(stop, count, low: 0, high: count)
            return Array(stride(from: a, to: b, by: step))
        } else {
            let a = clamp(start, count - 1, low: -1, high: count - 1), b = clamp(stop, -1, low: -1, high: count - 1)
            return Array(stride(from: a, to: b, by: step))
        }
    }

    /// A position in `count` elements; negative counts from the end.
    func position(_ value: Value, count: Int, what: String, at span: Span) throws -> Int {
        guard case let .int(i) = value else {
            if case let .float(x) = value, x.rounded() == x {
                throw fail("\(what) indices must be ints, got float \(Printer.repr(value)); use int(...)", at: span)
            }
            throw fail("\(what) indices must be ints, got \(value.typeNameWithArticle)", at: span)
        }
        let j = i < 0 ? i + count : i
        guard j >= 0, j < count else {
            throw fail("index \(i) is out of range for a \(what) of length \(count)", at: span)
        }
        return j
    }

    func getIndex(_ container: Value, _ indices: [IndexValue], at span: Span) throws -> Value {
        if case let .tensor(t) = container { return try tensorIndex(t, indices, at: span) }
        guard indices.count == 1, let index = indices.first else {
            throw fail("\(container.typeNameWithArticle) takes one index, got \(indices.count)", at: span)
        }
        switch (container, index) {
        case let (.list(l), .single(v, s)):
            return l.items[try position(v, count: l.items.count, what: "list", at: s)]
        case let (.list(l), .slice(a, b, c, _)):
            return .list(Interpreter.sliceIndices(a, b, c, count: l.items.count).map { l.items[$0] })
        case let (.string(str), .single(v, s)):
            let chars = Array(str)
            return .string(String(chars[try position(v, count: chars.count, what: "string", at: s)]))
        case let (.string(str), .slice(a, b, c, _)):
            let chars = Array(str)
            return .string(String(Interpreter.sliceIndices(a, b, c, count: chars.count).map { chars[$0] }))
        case let (.range(a, b, step), .single(v, s)):
            let i = try position(v, count: Ranges.count(a, b, step), what: "range", at: s)
            return .int(a + i * step)
        case let (.range(a, b, step), .slice(x, y, z, _)):
            return .list(Interpreter.sliceIndices(x, y, z, count: Ranges.count(a, b, step)).map { .int(a + $0 * step) })
        case let (.dict(d), .single(key, s)):
            if let value = d.get(key) { return value }
            throw fail(missingKey(key, in: d), at: s)
        case let (.table(t), .single(.string(name), s)):
            if let column = t.column(name) { return .list(column) }
            let hint = Suggest.closest(to: name, in: t.columns).map { "; did you mean '\($0)'?" } ?? ""
            throw fail("table has no column '\(name)'\(hint) (columns: \(t.columns.joined(separator: ", ")))", at: s)
        case let (.table(t), .single(v, s)):
            return t.row(try position(v, count: t.rows.count, what: "table", at: s))
        case let (.table(t), .slice(a, b, c, _)):
            return .table(Table(columns: t.columns, rows: Interpreter.sliceIndices(a, b, c, count: t.rows.count).map { t.rows[$0] }))
        case let (.adapter(adapter), .single(.string(name), s)):
            guard let module = adapter.module(name) else { throw fail(Interpreter.noModule(name, in: adapter), at: s) }
            return .delta(DeltaValue(module: module.name, kind: module.kind, form: module.form))
        case let (.delta(d), _):
            return try tensorIndex(d.form.dense, indices, at: span)
        default:
            throw fail("\(container.typeNameWithArticle) cannot be indexed\(index.isSlice ? " with a slice" : "")", at: span)
        }
    }

    static func noModule(_ name: String, in adapter: AdapterValue) -> String {
        let hint = Suggest.closest(to: name, in: adapter.modules.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
        return "adapter \(adapter.label) has no module '\(name)'\(hint)"
    }

    func missingKey(_ key: Value, in d: DictRef) -> String {
        var hint = ""
        if case let .string(s) = key {
            let names = d.keys.compactMap { k -> String? in if case let .string(n) = k { return n }; return nil }
            hint = Suggest.closest(to: s, in: names).map { "; did you mean '\($0)'?" } ?? ""
        }
        return "key \(Printer.repr(key)) not found\(hint)"
    }

    /// Stores into a list, dict or tensor element. Returns the new tensor for tensors (values
    /// that the caller writes back), nil for lists and dicts (changed in place).
    func setIndex(_ container: Value, _ indices: [IndexValue], _ value: Value, at span: Span) throws -> Value? {
        switch container {
        case let .list(l):
            guard indices.count == 1, case let .single(v, s) = indices[0] else {
                throw fail("list assignment takes one int index", at: span)
            }
            l.items[try position(v, count: l.items.count, what: "list", at: s)] = value
            cycles.noteInsertion(of: value, into: l)
            return nil
        case let .dict(d):
            guard indices.count == 1, case let .single(key, s) = indices[0] else {
                throw fail("dict assignment takes one key", at: span)
            }
            guard d.count < limits.collectionCount || d.get(key) != nil else {
                throw fail("the dict already holds \(d.count) entries, the limit for one dict", at: s)
            }
            guard d.set(key, value) else {
                throw fail("\(key.typeNameWithArticle) cannot be a dict key (use a string, number, bool or nil)", at: s)
            }
            cycles.noteInsertion(of: value, into: d)
            return nil
        case let .tensor(t):
            return try setTensorIndex(t, indices, value, at: span)
        default:
            throw fail("\(container.typeNameWithArticle) does not support item assignment", at: span)
        }
    }

    /// The attribute `name` of `object`, or nil when it has none (then `x.name(...)` may
    /// still be the builtin `name(x, ...)`).
    func attribute(_ object: Value, _ name: String, at span: Span) throws -> Value? {
        switch (object, name) {
        case let (.tensor(t), "shape"): return .list(t.shape.map { .int($0) })
        case let (.tensor(t), "dtype"): return .string(TensorArithmetic.dtypeName(t))
        case let (.tensor(t), "ndim"): return .int(t.rank)
        case let (.tensor(t), "size"): return .int(t.count)
        case let (.tensor(t), "T"):
            do { return .tensor(try TensorArithmetic.transpose(t)) } catch let e as BuiltinError { throw fail(e.message, at: span) }
        case let (.delta(d), "shape"): return .list(d.form.shape.map { .int($0) })
        case let (.delta(d), "module"): return .string(d.module)
        case let (.delta(d), "kind"): return .string(d.kind.rawValue)
        case let (.delta(d), "rank"):
            if case let .factored(l) = d.form { return .int(l.rank) }
            return .nil
        case let (.delta(d), "factored"):
            if case .factored = d.form { return .bool(true) }
            return .bool(false)
        case let (.delta(d), "scale"):
            if case let .factored(l) = d.form { return .float(l.scale) }
            return .nil
        // The factors of a factored delta (`a["module"].B @ a["module"].A`); nil for a dense one.
        case let (.delta(d), "A"):
            if case let .factored(l) = d.form { return .tensor(l.a) }
            return .nil
        case let (.delta(d), "B"):
            if case let .factored(l) = d.form { return .tensor(l.b) }
            return .nil
        case let (.adapter(a), "path"): return .string(a.label)
        case let (.adapter(a), "modules"): return .list(a.modules.map { .string($0.name) })
        case let (.adapter(a), "method"): return a.method.map { .string($0) } ?? .nil
        case let (.adapter(a), "factored"): return .bool(a.isFactored)
        case let (.adapter(a), "rank"):
            if let l = a.source?.config.r { return .int(l) }
            return .nil
        case let (.table(t), "columns"): return .list(t.columns.map { .string($0) })
        case let (.dict(d), _): return d.get(.string(name))
        default: return nil
        }
    }
}

extension Interpreter.IndexValue {
    var isSlice: Bool { if case .slice = self { return true }; return false }
}

/// Attribute names, for "did you mean" and completion.
enum Attributes {
    static func names(of value: Value) -> [String] {
        switch value {
        case .tensor: return ["shape", "dtype", "ndim", "size", "T"]
        case .delta: return ["shape", "module", "kind", "rank", "factored", "scale", "A", "B"]
        case .adapter: return ["path", "modules", "method", "factored", "rank"]
        case .table: return ["columns"]
        case let .dict(d): return d.keys.compactMap { if case let .string(s) = $0 { return s }; return nil }
        default: return []
        }
    }

    /// Whether `x.name(...)` may call the builtin `name(x, ...)`.
    static func isMethod(_ name: String) -> Bool { true }
}
