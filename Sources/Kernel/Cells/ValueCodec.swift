import Ops

/// Seed values to and from store values, with a type descriptor that says how to read them back.
///
/// Descriptor letters: `i` int, `f` float, `b` bool, `s` string, `n` nil (empty list), `r` range
/// (list start, stop, step), `t` tensor, `m` bool tensor (a mask), `T` table (column datasets), `A` adapter by reference (list
/// of its directory and label; the directory's bytes are a cell input, so reloading is exact),
/// `L(d,...)` list, `D(dk,dv)` dict (list of a keys list and a values list), `C(d,...)` a table
/// whose columns are not plain numbers or strings (list: names, then one list per column).
/// Functions, merge results, deltas and figures cannot be stored (`encode` returns nil).
enum ValueCodec {
    static let maxDepth = 64

    static func encode(_ value: Value, depth: Int = 0) -> (StoreValue, String)? {
        guard depth < maxDepth else { return nil }
        switch value {
        case let .int(i): return (.integer(Int64(i)), "i")
        case let .float(x): return (.number(x), "f")
        case let .bool(b): return (.bool(b), "b")
        case let .string(s): return (.string(s), "s")
        case .nil: return (.list([]), "n")
        case let .range(a, b, s): return (.list([.integer(Int64(a)), .integer(Int64(b)), .integer(Int64(s))]), "r")
        case let .tensor(t): return (.tensor(t), t.dtype == .bool ? "m" : "t")
        case let .adapter(a):
            guard let source = a.source, a.method == nil else { return nil }
            return (.list([.string(FilePaths.absolute(source.path)), .string(a.label)]), "A")
        case let .list(l):
            return encodeList(l.items, depth: depth, tag: "L")
        case let .dict(d):
            guard let keys = encodeList(d.keys, depth: depth + 1, tag: "L"),
                  let values = encodeList(d.values, depth: depth + 1, tag: "L") else { return nil }
            return (.list([keys.0, values.0]), "D(\(keys.1),\(values.1))")
        case let .table(t):
            if let plain = plainTable(t) { return (.table(plain), "T") }
            var items: [Value] = [.list(t.columns.map { .string($0) })]
            for name in t.columns { items.append(.list(t.column(name) ?? [])) }
            guard let encoded = encodeList(items, depth: depth, tag: "C") else { return nil }
            return encoded
        case .function, .builtin, .delta, .figure: return nil
        }
    }

    private static func encodeList(_ items: [Value], depth: Int, tag: String) -> (StoreValue, String)? {
        var values: [StoreValue] = [], descriptors: [String] = []
        for item in items {
            guard let (v, d) = encode(item, depth: depth + 1) else { return nil }
            values.append(v)
            descriptors.append(d)
        }
        return (.list(values), "\(tag)(\(descriptors.joined(separator: ",")))")
    }

    private static func plainTable(_ t: Table) -> StoreTable? {
        var columns: [(String, StoreTable.Values)] = []
        // Column names become HDF5 dataset names; others ("add4/exact_match") take the list form.
        guard t.columns.allSatisfy({ !$0.isEmpty && !$0.contains("/") && !$0.utf8.contains(0) && $0 != "." && $0 != ".." }) else {
            return nil
        }
        for name in t.columns {
            let values = t.column(name) ?? []
            if values.allSatisfy({ if case .int = $0 { return true }; return false }) {
                columns.append((name, .integers(values.compactMap { if case let .int(i) = $0 { return Int64(i) }; return nil })))
            } else if values.allSatisfy({ if case .float = $0 { return true }; return false }) {
                columns.append((name, .numbers(values.compactMap { if case let .float(x) = $0 { return x }; return nil })))
            } else if values.allSatisfy({ if case .string = $0 { return true }; return false }) {
                columns.append((name, .strings(values.compactMap { if case let .string(s) = $0 { return s }; return nil })))
            } else {
                return nil
            }
        }
        return try? StoreTable(columns)
    }

    /// A copy of the lists and dicts inside `value` (other values are immutable or copied on write).
    static func copy(_ value: Value, depth: Int = 0) -> Value {
        guard depth < maxDepth else { return value }
        switch value {
        case let .list(l): return .list(l.items.map { copy($0, depth: depth + 1) })
        case let .dict(d):
            let result = DictRef()
            for (k, v) in d.pairs { _ = result.set(k, copy(v, depth: depth + 1)) }
            return .dict(result)
        default: return value
        }
    }

    // MARK: decoding

    struct DecodeError: Error, CustomStringConvertible {
        let description: String
    }

    static func decode(_ value: StoreValue, descriptor: String) throws -> Value {
        var parser = DescriptorParser(Array(descriptor))
        let tree = try parser.parse()
        return try decode(value, tree)
    }

    static func decode(_ value: StoreValue, _ d: Descriptor) throws -> Value {
        func mismatch() -> DecodeError { DecodeError(description: "stored value does not match its type descriptor \(d)") }
        switch (d, value) {
        case (.leaf("i"), let .integer(i)): return .int(Int(i))
        case (.leaf("f"), let .number(x)): return .float(x)
        case (.leaf("b"), let .bool(b)): return .bool(b)
        case (.leaf("s"), let .string(s)): return .string(s)
        case (.leaf("n"), _): return .nil
        case (.leaf("r"), let .list(items)):
            guard items.count == 3, case let .integer(a) = items[0], case let .integer(b) = items[1],
                  case let .integer(s) = items[2] else { throw mismatch() }
            return .range(Int(a), Int(b), Int(s))
        case (.leaf("t"), let .tensor(t, _)): return .tensor(t)
        case (.leaf("m"), let .tensor(t, _)): return .tensor(TensorArithmetic.mask(t))
        case (.leaf("T"), let .table(t)):
            var rows = [[Value]](repeating: [], count: t.rowCount)
            for column in t.columns {
                let values: [Value]
                switch column.values {
                case let .integers(v): values = v.map { .int(Int($0)) }
                case let .numbers(v): values = v.map { .float($0) }
                case let .strings(v): values = v.map { .string($0) }
                }
                for (i, v) in values.enumerated() where i < rows.count { rows[i].append(v) }
            }
            return .table(Table(columns: t.columns.map(\.name), rows: rows))
        case (.leaf("A"), let .list(items)):
            guard items.count == 2, case let .string(path) = items[0], case let .string(label) = items[1] else { throw mismatch() }
            return .adapter(AdapterValue(loaded: try PeftAdapter(directory: path), label: label))
        case let (.node("L", children), .list(items)):
            guard children.count == items.count else { throw mismatch() }
            return .list(try zip(items, children).map { try decode($0, $1) })
        case let (.node("D", children), .list(items)):
            guard children.count == 2, items.count == 2,
                  case let .list(keys) = try decode(items[0], children[0]),
                  case let .list(values) = try decode(items[1], children[1]),
                  keys.items.count == values.items.count else { throw mismatch() }
            let dict = DictRef()
            for (k, v) in zip(keys.items, values.items) where !dict.set(k, v) { throw mismatch() }
            return .dict(dict)
        case let (.node("C", children), .list(items)):
            guard children.count == items.count, !items.isEmpty,
                  case let .list(names) = try decode(items[0], children[0]) else { throw mismatch() }
            let columns = names.items.compactMap { if case let .string(s) = $0 { return s }; return nil }
            var lists: [[Value]] = []
            for (item, child) in zip(items.dropFirst(), children.dropFirst()) {
                guard case let .list(l) = try decode(item, child) else { throw mismatch() }
                lists.append(l.items)
            }
            guard columns.count == lists.count else { throw mismatch() }
            let count = lists.first?.count ?? 0
            guard lists.allSatisfy({ $0.count == count }) else { throw mismatch() }
            let rows = (0..<count).map { r in lists.map { $0[r] } }
            return .table(Table(columns: columns, rows: rows))
        default:
            throw mismatch()
        }
    }

    indirect enum Descriptor: CustomStringConvertible {
        case leaf(Character)
        case node(Character, [Descriptor])

        var description: String {
            switch self {
            case let .leaf(c): return String(c)
            case let .node(c, children): return "\(c)(\(children.map(\.description).joined(separator: ",")))"
            }
        }
    }

    struct DescriptorParser {
        let text: [Character]
        var i = 0
        init(_ text: [Character]) { self.text = text }

        mutating func parse() throws -> Descriptor {
            let d = try one(depth: 0)
            guard i == text.count else { throw DecodeError(description: "bad type descriptor '\(String(text))'") }
            return d
        }

        private mutating func one(depth: Int) throws -> Descriptor {
            guard depth < ValueCodec.maxDepth + 2, i < text.count else {
                throw DecodeError(description: "bad type descriptor '\(String(text))'")
            }
            let c = text[i]
            i += 1
            guard "LDC".contains(c) else {
                guard "ifbsnrtmTA".contains(c) else { throw DecodeError(description: "bad type descriptor '\(String(text))'") }
                return .leaf(c)
            }
            guard i < text.count, text[i] == "(" else { throw DecodeError(description: "bad type descriptor '\(String(text))'") }
            i += 1
            var children: [Descriptor] = []
            if i < text.count, text[i] == ")" { i += 1; return .node(c, children) }
            while true {
                children.append(try one(depth: depth + 1))
                guard i < text.count else { throw DecodeError(description: "bad type descriptor '\(String(text))'") }
                let sep = text[i]
                i += 1
                if sep == ")" { return .node(c, children) }
                guard sep == "," else { throw DecodeError(description: "bad type descriptor '\(String(text))'") }
            }
        }
    }
}
