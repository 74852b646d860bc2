import Ops

/// Topics group builtins in `help()` and in the reference.
public enum Topic: String, CaseIterable, Sendable {
    case general, tensors, adapters, merging, analysis, export, results
}

/// A function implemented in Swift, declared by one template: signature, summary, example.
///
/// The signature is parsed once into parameters (`name`, `name=default`, `*rest`,
/// `**keywords`), and one binder (`Interpreter.bind`) matches every call against it, so every
/// builtin reports wrong arguments the same way.
public final class Builtin {
    public let name: String
    public let topic: Topic
    public let signature: String
    public let summary: String
    public let example: String
    let parameters: [Param]
    let acceptsRest: Bool
    let acceptsKeywords: Bool
    let body: (inout Args, Interpreter) throws -> Value

    struct Param {
        let name: String
        /// nil when the argument is required.
        let defaultValue: Value?
        /// After `*rest`: only by name.
        let keywordOnly: Bool
    }

    init(_ signature: String, _ topic: Topic, _ summary: String, example: String,
         _ body: @escaping (inout Args, Interpreter) throws -> Value) {
        self.signature = signature
        self.topic = topic
        self.summary = summary
        self.example = example
        self.body = body
        let open = signature.firstIndex(of: "(") ?? signature.endIndex
        name = String(signature[..<open])
        var params: [Param] = []
        var rest = false, keywords = false
        let inner = signature[open...].dropFirst().dropLast()
        for piece in Builtin.splitTopLevel(String(inner)) {
            let text = piece.trimmingCharacters(in: " ")
            if text.isEmpty { continue }
            if text.hasPrefix("**") { keywords = true; continue }
            if text.hasPrefix("*") { rest = true; continue }
            if let eq = text.firstIndex(of: "=") {
                let pname = String(text[..<eq]).trimmingCharacters(in: " ")
                let literal = String(text[text.index(after: eq)...]).trimmingCharacters(in: " ")
                params.append(Param(name: pname, defaultValue: Builtin.literal(literal), keywordOnly: rest))
            } else {
                params.append(Param(name: text, defaultValue: nil, keywordOnly: rest))
            }
        }
        parameters = params
        acceptsRest = rest
        acceptsKeywords = keywords
    }

    var positionalCount: Int { parameters.filter { !$0.keywordOnly }.count }

    static func splitTopLevel(_ text: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0
        var quote: Character?
        for c in text {
            if let q = quote { if c == q { quote = nil } }
            else if c == "\"" { quote = c }
            else if c == "(" || c == "[" { depth += 1 }
            else if c == ")" || c == "]" { depth -= 1 }
            else if c == "," && depth == 0 { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        return parts
    }

    /// The default values a signature can state.
    static func literal(_ text: String) -> Value {
        switch text {
        case "nil": return .nil
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if let i = Int(text) { return .int(i) }
            if let x = Double(text) { return .float(x) }
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { return .string(String(text.dropFirst().dropLast())) }
            return .nil
        }
    }
}

/// An error from inside a builtin; `span` points at the offending argument when known.
struct BuiltinError: Error {
    let message: String
    let span: Span?
    init(_ message: String, span: Span? = nil) {
        self.message = message
        self.span = span
    }
}

/// A builtin's bound arguments, with typed accessors that produce uniform messages:
/// `bad argument #2 to 'svd' (expected 2-D tensor, got 3-D)`.
struct Args {
    let builtin: Builtin
    let callSpan: Span
    var values: [Value]
    var given: [Bool]
    var spans: [Span?]
    /// Extra positional arguments (`*rest`).
    var rest: [Value] = []
    /// Extra keyword arguments (`**keywords`), in call order.
    var keywords: [(String, Value, Span)] = []
    /// The session's limits, for builtins that build lists, strings or tensors.
    let limits: ResourceLimits

    init(builtin: Builtin, callSpan: Span, limits: ResourceLimits = .standard) {
        self.builtin = builtin
        self.callSpan = callSpan
        self.limits = limits
        values = Array(repeating: .nil, count: builtin.parameters.count)
        given = Array(repeating: false, count: builtin.parameters.count)
        spans = Array(repeating: nil, count: builtin.parameters.count)
    }

    mutating func set(_ i: Int, _ value: Value, span: Span) {
        values[i] = value
        given[i] = true
        spans[i] = span
    }

    subscript(_ i: Int) -> Value { i < values.count ? values[i] : .nil }

    func isNil(_ i: Int) -> Bool { if case .nil = self[i] { return true }; return false }

    /// `bad argument #n to 'f' (expected ..., got ...)`, pointing at the argument.
    func bad(_ i: Int, _ expected: String, got: String? = nil) -> BuiltinError {
        let what = got ?? Args.describe(self[i])
        let name = i < builtin.parameters.count ? " '\(builtin.parameters[i].name)'" : ""
        return BuiltinError("bad argument #\(i + 1)\(name) to '\(builtin.name)' (expected \(expected), got \(what))",
                            span: i < spans.count ? spans[i] : nil)
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case let .tensor(t): return "\(t.rank)-D tensor"
        case let .int(i): return "int \(i)"
        case let .float(x): return "float \(Printer.repr(.float(x)))"
        case let .string(s): return "string \"\(s.count > 30 ? String(s.prefix(30)) + "..." : s)\""
        default: return value.typeNameWithArticle
        }
    }

    func int(_ i: Int) throws -> Int {
        switch self[i] {
        case let .int(v): return v
        case let .float(x): if let v = Int(exactly: x) { return v }; throw bad(i, "an int")
        case let .bool(b): return b ? 1 : 0
        default: throw bad(i, "an int")
        }
    }

    func optionalInt(_ i: Int) throws -> Int? { isNil(i) ? nil : try int(i) }

    func double(_ i: Int) throws -> Double {
        switch self[i] {
        case let .int(v): return Double(v)
        case let .float(x): return x
        case let .bool(b): return b ? 1 : 0
        case let .tensor(t) where t.count == 1: return Double(t.data[0])
        default: throw bad(i, "a number")
        }
    }

    func optionalDouble(_ i: Int) throws -> Double? { isNil(i) ? nil : try double(i) }

    func string(_ i: Int) throws -> String {
        if case let .string(s) = self[i] { return s }
        throw bad(i, "a string")
    }

    func optionalString(_ i: Int) throws -> String? { isNil(i) ? nil : try string(i) }

    func bool(_ i: Int) throws -> Bool {
        if case let .bool(b) = self[i] { return b }
        throw bad(i, "true or false")
    }

    func list(_ i: Int) throws -> [Value] {
        switch self[i] {
        case let .list(l): return l.items
        case let .range(a, b, s):
            guard Ranges.count(a, b, s) <= limits.collectionCount else {
                throw bad(i, "a list (or a range of at most \(limits.collectionCount) elements)", got: "a range of \(Ranges.count(a, b, s)) elements")
            }
            return Ranges.elements(a, b, s)
        default: throw bad(i, "a list")
        }
    }

    func adapter(_ i: Int) throws -> AdapterValue {
        if case let .adapter(a) = self[i] { return a }
        throw bad(i, "an adapter")
    }

    /// A tensor; numbers and (nested) lists of numbers are converted.
    func tensor(_ i: Int) throws -> Tensor {
        switch self[i] {
        case let .tensor(t): return t
        case let .delta(d): return d.form.dense
        default:
            if let t = try? TensorArithmetic.fromValue(self[i]) { return t }
            throw bad(i, "a tensor")
        }
    }

    func tensor(_ i: Int, rank: Int) throws -> Tensor {
        let t = try tensor(i)
        guard t.rank == rank else { throw bad(i, "a \(rank)-D tensor", got: "\(t.rank)-D") }
        return t
    }

    /// A shape: an int or a list of non-negative ints.
    func shape(_ i: Int) throws -> [Int] {
        switch self[i] {
        case let .int(n) where n >= 0: return [n]
        case let .list(l):
            var dims: [Int] = []
            for v in l.items {
                guard case let .int(n) = v, n >= 0 else { throw bad(i, "a shape (a list of non-negative ints)") }
                dims.append(n)
            }
            return dims
        default: throw bad(i, "a shape (an int or a list of ints)")
        }
    }

    func keywordError(_ message: String, _ index: Int) -> BuiltinError {
        BuiltinError(message, span: index < keywords.count ? keywords[index].2 : callSpan)
    }
}

/// Binding by name, for builtins with many parameters: `args.string("title")` instead of
/// `args.string(4)`, so inserting a parameter in the signature cannot shift the others. The
/// positional accessors above stay; both read the same bound values. A name the signature does
/// not declare is a bug in the builtin, reported as an internal error at the call (the golden
/// and plot tests call every such builtin).
extension Args {
    /// The position of parameter `name` in the signature.
    func position(_ name: String) throws -> Int {
        guard let i = builtin.parameters.firstIndex(where: { $0.name == name }) else {
            throw BuiltinError("internal: '\(builtin.name)' has no parameter '\(name)'", span: callSpan)
        }
        return i
    }

    func value(_ name: String) throws -> Value { self[try position(name)] }
    func isNil(_ name: String) throws -> Bool { isNil(try position(name)) }
    /// Whether the call gave `name` (rather than leaving its default).
    func isGiven(_ name: String) throws -> Bool { given[try position(name)] }
    /// Where the argument `name` is in the call (the call itself when it was not given).
    func span(_ name: String) throws -> Span { spans[try position(name)] ?? callSpan }

    func int(_ name: String) throws -> Int { try int(try position(name)) }
    func optionalInt(_ name: String) throws -> Int? { try optionalInt(try position(name)) }
    func double(_ name: String) throws -> Double { try double(try position(name)) }
    func optionalDouble(_ name: String) throws -> Double? { try optionalDouble(try position(name)) }
    func string(_ name: String) throws -> String { try string(try position(name)) }
    func optionalString(_ name: String) throws -> String? { try optionalString(try position(name)) }
    func bool(_ name: String) throws -> Bool { try bool(try position(name)) }
    func list(_ name: String) throws -> [Value] { try list(try position(name)) }
    func adapter(_ name: String) throws -> AdapterValue { try adapter(try position(name)) }
    func tensor(_ name: String) throws -> Tensor { try tensor(try position(name)) }
    func shape(_ name: String) throws -> [Int] { try shape(try position(name)) }

    /// `bad argument #n 'name' to 'f' (expected ..., got ...)`, pointing at the argument.
    func bad(_ name: String, _ expected: String, got: String? = nil) -> BuiltinError {
        do { return bad(try position(name), expected, got: got) } catch let error as BuiltinError { return error } catch {
            return BuiltinError("\(error)", span: callSpan)
        }
    }
}

extension Value {
    /// The type name with its indefinite article, for messages: "an int", "a list", "an adapter".
    var typeNameWithArticle: String {
        let name = typeName
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }
}

enum Ranges {
    /// The number of elements, computed without overflow (huge ranges are still lazy).
    static func count(_ start: Int, _ stop: Int, _ step: Int) -> Int {
        guard step != 0 else { return 0 }
        let (span, overflow) = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
        if overflow { return Int.max }
        guard span > 0 else { return 0 }
        let magnitude = step == Int.min ? Int.max : abs(step)
        return (span - 1) / magnitude + 1
    }

    static func elements(_ start: Int, _ stop: Int, _ step: Int) -> [Value] {
        (0..<count(start, stop, step)).map { .int(start + $0 * step) }
    }
}
