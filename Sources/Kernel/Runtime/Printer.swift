#if canImport(Glibc)
import Glibc
#endif
import Ops

/// How values read: `str` for `print` and f-strings, `repr` for the REPL echo and inside
/// containers (strings quoted). Tensors print numpy-style: at most 1000 elements in full,
/// otherwise the first and last 3 along each axis with `...`, then the shape and dtype.
enum Printer {
    static func str(_ value: Value, maxBytes: Int = ResourceLimits.standard.stringBytes) -> String {
        if case let .string(s) = value { return s }
        return repr(value, maxBytes: maxBytes)
    }

    static func repr(_ value: Value, depth: Int = 0, maxBytes: Int = ResourceLimits.standard.stringBytes) -> String {
        var budget = Budget(elements: 200_000, bytes: maxBytes)
        return repr(value, depth: depth, budget: &budget)
    }

    /// What a text may still hold: elements (so a list that contains itself prints `...`
    /// instead of growing without end) and bytes (so a list of long strings cannot make a text
    /// beyond the string limit). Bytes are counted at the leaves, so nesting costs nothing twice.
    struct Budget {
        var elements: Int
        var bytes: Int
        var isSpent: Bool { elements <= 0 || bytes <= 0 }
    }

    static func repr(_ value: Value, depth: Int, budget: inout Budget) -> String {
        budget.elements -= 1
        guard depth < 20, !budget.isSpent else { return "..." }
        let text: String
        switch value {
        case let .list(l):
            var parts: [String] = []
            for item in l.items {
                parts.append(repr(item, depth: depth + 1, budget: &budget))
                if budget.isSpent { parts.append("..."); break }
            }
            return "[" + parts.joined(separator: ", ") + "]"
        case let .dict(d):
            var parts: [String] = []
            for (k, v) in d.pairs {
                parts.append("\(repr(k, depth: depth + 1, budget: &budget)): \(repr(v, depth: depth + 1, budget: &budget))")
                if budget.isSpent { parts.append("..."); break }
            }
            return "{" + parts.joined(separator: ", ") + "}"
        default:
            text = leaf(value)
        }
        budget.bytes -= text.utf8.count + 2
        return text
    }

    /// The text of a value that holds no other values.
    static func leaf(_ value: Value) -> String {
        switch value {
        case .nil: return "nil"
        case let .bool(b): return b ? "true" : "false"
        case let .int(i): return String(i)
        case let .float(x): return float(x)
        case let .string(s): return quoted(s)
        case .list, .dict: return "..."
        case let .range(a, b, s): return s == 1 ? "range(\(a), \(b))" : "range(\(a), \(b), \(s))"
        case let .tensor(t): return tensor(t)
        case let .adapter(a):
            let form = a.isFactored ? "factored" : "dense"
            let what = a.method.map { "merge(\($0))" } ?? a.label
            return "<adapter \(what): \(a.modules.count) modules, \(form)>"
        case let .delta(d):
            switch d.form {
            case let .factored(l):
                return "<delta \(d.module): \(shape(l.shape)) factored, rank \(l.rank), scale \(float(l.scale))>"
            case let .dense(t):
                return "<delta \(d.module): \(shape(t.shape)) dense>"
            }
        case let .table(t): return table(t)
        case let .function(f): return "<fn \(f.name)>"
        case let .builtin(b): return "<builtin \(b.name)>"
        case let .figure(f): return "<figure \(f.plot.kind.rawValue)\(f.plot.title.isEmpty ? "" : " \"\(f.plot.title)\"")>"
        }
    }

    /// Python's repr of a float: the shortest text that reads back the same, always with a
    /// point or exponent (1.0, 0.1, 1e-05, inf, nan).
    static func float(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        var s = "\(x)"
        if s.hasSuffix(".0"), abs(x) >= 1e16 { s = String(s.dropLast(2)) }
        return s
    }

    /// A float32's shortest round-trip text (0.1, not 0.10000000149011612), Python-style.
    static func float32(_ x: Float) -> String { float(TensorArithmetic.widen(x)) }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    static func shape(_ dims: [Int]) -> String {
        dims.count == 1 ? "(\(dims[0]),)" : "(" + dims.map(String.init).joined(separator: ", ") + ")"
    }

    // MARK: tensors

    static let threshold = 1000
    static let edgeItems = 3

    static func tensor(_ t: Tensor) -> String {
        let summarize = t.count > threshold
        // One number format for every element shown, as numpy does.
        let shown = shownValues(t, summarize: summarize)
        let format = t.dtype == .bool ? NumberFormat(style: .bool) : NumberFormat(shown)
        let width = shown.map { format.text($0).count }.max() ?? 1
        let prefix = "tensor("
        var body = ""
        if t.count == 0 && t.rank > 0 {
            body = "[]"
        } else if t.rank == 0 {
            body = format.text(t.data.first ?? 0)
        } else {
            body = block(t, dim: 0, offset: 0, indent: prefix.count, summarize: summarize, format: format, width: width)
        }
        return "\(prefix)\(body), shape=\(shape(t.shape)), dtype=\(TensorArithmetic.dtypeName(t)))"
    }

    private static func shownValues(_ t: Tensor, summarize: Bool) -> [Float] {
        guard summarize else { return t.data }
        var values: [Float] = []
        func walk(_ d: Int, _ offset: Int, _ size: Int) {
            if d == t.rank { values.append(t.data[offset]); return }
            let n = t.shape[d], inner = size / max(n, 1)
            for i in indices(n, summarize: true) { walk(d + 1, offset + i * inner, inner) }
        }
        walk(0, 0, t.count)
        return values
    }

    private static func indices(_ n: Int, summarize: Bool) -> [Int] {
        if summarize && n > 2 * edgeItems { return Array(0..<edgeItems) + Array((n - edgeItems)..<n) }
        return Array(0..<n)
    }

    private static func block(_ t: Tensor, dim: Int, offset: Int, indent: Int, summarize: Bool,
                              format: NumberFormat, width: Int) -> String {
        let n = t.shape[dim]
        let inner = t.shape[(dim + 1)...].reduce(1, *)
        let idx = indices(n, summarize: summarize)
        let cut = summarize && n > 2 * edgeItems
        if dim == t.rank - 1 {
            var items = idx.map { i -> String in
                let s = format.text(t.data[offset + i])
                return String(repeating: " ", count: max(0, width - s.count)) + s
            }
            if cut { items.insert("...", at: edgeItems) }
            return "[" + items.joined(separator: ", ") + "]"
        }
        var rows = idx.map { i in
            block(t, dim: dim + 1, offset: offset + i * inner, indent: indent + 1, summarize: summarize, format: format, width: width)
        }
        if cut { rows.insert("...", at: edgeItems) }
        let separator = "," + String(repeating: "\n", count: t.rank - dim - 1) + String(repeating: " ", count: indent + 1)
        return "[" + rows.joined(separator: separator) + "]"
    }

    /// numpy-like: integers as `3.`, ordinary magnitudes fixed with 4 decimals, very large or
    /// small ones in scientific notation.
    struct NumberFormat {
        /// `bool` prints a mask's elements as `true`/`false`, the language's literals.
        enum Style { case integral, fixed, scientific, bool }
        let style: Style

        init(style: Style) { self.style = style }

        init(_ values: [Float]) {
            let finite = values.filter { $0.isFinite }.map { abs(Double($0)) }
            let maxAbs = finite.max() ?? 0
            let minNonZero = finite.filter { $0 > 0 }.min() ?? 0
            if finite.allSatisfy({ $0.rounded() == $0 }) && maxAbs < 1e8 {
                style = .integral
            } else if maxAbs >= 1e8 || (minNonZero > 0 && minNonZero < 1e-4) || (maxAbs / max(minNonZero, 1e-300) > 1e3 && minNonZero > 0 && minNonZero < 1e-3) {
                style = .scientific
            } else {
                style = .fixed
            }
        }

        func text(_ x: Float) -> String {
            if style == .bool { return x != 0 ? "true" : "false" }
            if x.isNaN { return "nan" }
            if x.isInfinite { return x < 0 ? "-inf" : "inf" }
            switch style {
            case .bool: return x != 0 ? "true" : "false"
            case .integral: return cFormat("%.0f.", Double(x))
            case .fixed: return cFormat("%.4f", Double(x))
            case .scientific: return cFormat("%.4e", Double(x))
            }
        }
    }

    // MARK: tables

    /// Columns aligned: numbers right-aligned, text left-aligned; long tables show the first
    /// and last 10 rows.
    static func table(_ t: Table) -> String {
        let limit = 40
        var rows = t.rows
        var omitted = 0
        if rows.count > limit {
            omitted = rows.count - 20
            rows = Array(rows.prefix(10)) + Array(rows.suffix(10))
        }
        let cells = rows.map { row in t.columns.indices.map { i in i < row.count ? cell(row[i]) : "" } }
        let numeric = t.columns.indices.map { i in rows.allSatisfy { r in i < r.count && isNumber(r[i]) } && !rows.isEmpty }
        var widths = t.columns.map(\.count)
        for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ items: [String]) -> String {
            items.enumerated().map { i, s in
                let pad = String(repeating: " ", count: max(0, widths[i] - s.count))
                return numeric[i] ? pad + s : (i == items.count - 1 ? s : s + pad)
            }.joined(separator: "  ").trimmingTrailing()
        }
        var lines = [line(t.columns)]
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        for (k, row) in cells.enumerated() {
            if omitted > 0 && k == 10 { lines.append("... (\(omitted) more rows)") }
            lines.append(line(row))
        }
        if t.rows.isEmpty { lines.append("(no rows)") }
        return lines.joined(separator: "\n")
    }

    static func isNumber(_ v: Value) -> Bool {
        switch v {
        case .int, .float: return true
        default: return false
        }
    }

    static func cell(_ v: Value) -> String {
        switch v {
        case let .float(x): return x.isFinite ? cFormat("%.6g", x) : float(x)
        case let .string(s): return s
        case let .list(l) where l.items.allSatisfy({ if case .int = $0 { return true }; return false }):
            return l.items.map { cell($0) }.joined(separator: "x")   // a shape
        default: return repr(v)
        }
    }
}

/// printf-style formatting of one Double (no Foundation needed).
func cFormat(_ format: String, _ x: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    let written = withVaList([x]) { vsnprintf(&buffer, buffer.count, format, $0) }
    guard written >= 0 else { return "\(x)" }
    return String(decoding: buffer.prefix(min(Int(written), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

extension String {
    func trimmingTrailing() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
