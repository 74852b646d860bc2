#if canImport(Glibc)
import Glibc
#endif
import Ops

/// What a notebook front end needs beyond `run`: the value of a cell's last expression in rich
/// forms, completion and inspection at a cursor, and a three-way completeness check.
extension Session {
    /// The outcome of one cell: its errors (the first stops the cell) and, when the cell ends
    /// in an expression whose value is not nil, that value's representations.
    public struct ExecutionOutcome {
        public var diagnostics: [Diagnostic]
        public var result: [RichRepresentation]?
    }

    /// Runs a cell like `run`, without echo; the last statement's value (if it is an expression)
    /// becomes the result, as a notebook's `Out[n]`.
    public func runCell(_ source: String, name: String) -> ExecutionOutcome {
        let file = SourceFile(name: name, text: source)
        var errors: [Diagnostic] = []
        var result: [RichRepresentation]?
        BigStack.run {
            let (program, syntax) = Parser.parse(file)
            if !syntax.isEmpty {
                errors = syntax
                return
            }
            let last = program.statements.count - 1
            interpreter.resetSteps()
            for (i, statement) in program.statements.enumerated() {
                switch interpreter.runTopLevel(statement, returningValue: i == last) {
                case let .success(value):
                    if let value, !value.isNil { result = Rich.representations(of: value) }
                case let .failure(diagnostic):
                    errors.append(diagnostic)
                    return
                }
            }
        }
        return ExecutionOutcome(diagnostics: errors, result: result)
    }

    public enum Completeness: String, Sendable {
        case complete, incomplete, invalid
    }

    /// `complete`: it parses; `incomplete`: more lines could finish it (unclosed bracket, block,
    /// string, trailing operator); `invalid`: a syntax error no continuation can fix.
    public static func completeness(_ source: String) -> Completeness {
        var answer = Completeness.complete
        BigStack.run {
            let (_, diagnostics) = Parser.parse(SourceFile(name: "<input>", text: source))
            if diagnostics.contains(where: { $0.atEndOfInput }) { answer = .incomplete }
            else if !diagnostics.isEmpty { answer = .invalid }
        }
        return answer
    }

    /// The identifier around a cursor given in Unicode code points: (start, end, text).
    static func word(in code: String, cursor: Int) -> (start: Int, end: Int, text: String) {
        let scalars = Array(code.unicodeScalars)
        let cursor = max(0, min(cursor, scalars.count))
        func isWord(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s) }
        var start = cursor, end = cursor
        while start > 0, isWord(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, isWord(scalars[end]) { end += 1 }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars[start..<end])
        return (start, end, String(text))
    }

    /// Completions for the word before `cursor` (code points): names, or module names inside a string.
    public func completions(_ code: String, cursor: Int) -> (matches: [String], start: Int, end: Int) {
        let (start, _, _) = Session.word(in: code, cursor: cursor)
        let scalars = Array(code.unicodeScalars)
        let end = max(0, min(cursor, scalars.count))
        var prefixView = String.UnicodeScalarView()
        prefixView.append(contentsOf: scalars[start..<end])
        let prefix = String(prefixView)
        var before = String.UnicodeScalarView()
        before.append(contentsOf: scalars[0..<start])
        if Session.isInsideString(String(before)) {
            return (moduleNames().filter { $0.hasPrefix(prefix) }, start, end)
        }
        return (completionNames().filter { $0.hasPrefix(prefix) }, start, end)
    }

    /// Whether the text before the cursor ends inside a string literal (shared by the REPL's and
    /// the notebook's completion).
    public static func isInsideString(_ text: String) -> Bool {
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped { escaped = false; continue }
            if c == "\\" { escaped = true; continue }
            if let q = quote { if c == q { quote = nil } }
            else if c == "\"" || c == "'" { quote = c }
            else if c == "#" { return false }
        }
        return quote != nil
    }

    /// What the name at `cursor` is: a builtin's signature and doc, a function's signature, or
    /// a variable's type, shape, dtype and statistics. nil when the name is unknown.
    public func inspection(_ code: String, cursor: Int) -> String? {
        var (_, _, name) = Session.word(in: code, cursor: cursor)
        if name.isEmpty {
            // A cursor just after "f(" inspects f.
            let scalars = Array(code.unicodeScalars)
            let c = max(0, min(cursor, scalars.count))
            if c > 0, scalars[c - 1] == "(" { name = Session.word(in: code, cursor: c - 1).text }
        }
        guard !name.isEmpty else { return nil }
        if interpreter.builtins[name] != nil || Keyword(rawValue: name) != nil {
            return help(name)
        }
        guard let value = interpreter.globals.lookup(name) else { return nil }
        switch value {
        case .function: return help(name)
        case let .tensor(t): return "\(name): tensor\n" + Session.tensorSummary(t)
        default:
            var text = Printer.repr(value)
            if text.count > 2000 { text = String(text.prefix(2000)) + "..." }
            return "\(name): \(value.typeName)\n\(text)"
        }
    }

    /// shape, dtype, element count and min/max/mean/std over the finite elements.
    static func tensorSummary(_ t: Tensor) -> String {
        var lines = ["shape: \(Printer.shape(t.shape))", "dtype: \(TensorArithmetic.dtypeName(t))", "elements: \(t.count)"]
        var n = 0, mean = 0.0, m2 = 0.0
        var lo = Double.infinity, hi = -Double.infinity
        var nonFinite = 0
        for x in t.data {
            let v = Double(x)
            guard v.isFinite else { nonFinite += 1; continue }
            n += 1
            let d = v - mean
            mean += d / Double(n)
            m2 += d * (v - mean)
            lo = min(lo, v); hi = max(hi, v)
        }
        if n > 0 {
            lines.append("min: \(Printer.float(lo))  max: \(Printer.float(hi))")
            lines.append("mean: \(Printer.float(mean))  std: \(Printer.float((m2 / Double(n)).squareRoot()))")
        }
        if nonFinite > 0 { lines.append("non-finite elements: \(nonFinite)") }
        return lines.joined(separator: "\n")
    }
}
