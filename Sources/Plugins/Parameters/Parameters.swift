import Ops

/// A strategy's declared parameter: the host validates and resolves raw text into typed values
/// before the strategy runs, so strategies never parse strings or see an invalid value.
public struct ParameterSpec: Sendable {
    public enum Kind: Sendable {
        /// A real number within `range`.
        case real(ClosedRange<Double>)
        /// A whole number within `range`.
        case integer(ClosedRange<Int>)
        /// One real number per input adapter (a comma list in input order); a single value is
        /// broadcast to every input.
        case realPerInput(ClosedRange<Double>)
        /// One of the listed words.
        case choice([String])
        /// One of the listed words, or the index of an input adapter (0-based).
        case choiceOrInputIndex([String])
        case boolean
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: ParameterValue
    public let doc: String

    public init(_ name: String, _ kind: Kind, default defaultValue: ParameterValue, doc: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.doc = doc
    }

    /// How the parameter reads in listings: `weights: reals per input (default 1,...)`.
    public var usage: String {
        let type: String
        switch kind {
        case let .real(range): type = "real in \(Self.show(range))"
        case let .integer(range): type = "integer in [\(range.lowerBound), \(range.upperBound)]"
        case let .realPerInput(range): type = "real per input in \(Self.show(range))"
        case let .choice(words): type = words.joined(separator: " | ")
        case let .choiceOrInputIndex(words): type = (words + ["input index"]).joined(separator: " | ")
        case .boolean: type = "true | false"
        }
        return "\(name) = \(type) (default \(defaultValue))"
    }

    private static func show(_ range: ClosedRange<Double>) -> String {
        func fmt(_ x: Double) -> String { x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)" }
        return "[\(fmt(range.lowerBound)), \(fmt(range.upperBound))]"
    }

    /// Parses `text` for `inputCount` inputs.
    func resolve(_ text: String, inputCount: Int, strategy: String) throws -> ParameterValue {
        func bad(_ expected: String) -> SeedloraError {
            SeedloraError(.usage, "\(strategy): parameter \(name) = '\(text)': expected \(expected)")
        }
        let trimmed = text.trimmingWhitespace()
        switch kind {
        case let .real(range):
            guard let x = Double(trimmed), x.isFinite else { throw bad("a number") }
            guard range.contains(x) else { throw bad("a number in \(Self.show(range))") }
            return .real(x)
        case let .integer(range):
            guard let x = Int(trimmed) else { throw bad("a whole number") }
            guard range.contains(x) else { throw bad("a whole number in [\(range.lowerBound), \(range.upperBound)]") }
            return .integer(x)
        case let .realPerInput(range):
            let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
            var values: [Double] = []
            for part in parts {
                guard let x = Double(part), x.isFinite else { throw bad("numbers separated by commas") }
                guard range.contains(x) else { throw bad("numbers in \(Self.show(range))") }
                values.append(x)
            }
            if values.count == 1 { values = Array(repeating: values[0], count: inputCount) }
            guard values.count == inputCount else {
                throw bad("one value per input (\(inputCount) inputs), got \(values.count)")
            }
            return .reals(values)
        case let .choice(words):
            guard words.contains(trimmed) else { throw bad(words.joined(separator: " or ")) }
            return .choice(trimmed)
        case let .choiceOrInputIndex(words):
            if words.contains(trimmed) { return .choice(trimmed) }
            guard let i = Int(trimmed) else { throw bad((words + ["an input index 0..\(inputCount - 1)"]).joined(separator: " or ")) }
            guard (0..<inputCount).contains(i) else { throw bad("an input index from 0 to \(inputCount - 1)") }
            return .index(i)
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "1", "yes": return .boolean(true)
            case "false", "0", "no": return .boolean(false)
            default: throw bad("true or false")
            }
        }
    }

    /// The default, expanded for `inputCount` inputs.
    func resolvedDefault(inputCount: Int) -> ParameterValue {
        if case let .reals(values) = defaultValue, values.count == 1 {
            return .reals(Array(repeating: values[0], count: inputCount))
        }
        return defaultValue
    }
}

/// A typed parameter value.
public enum ParameterValue: Sendable, Equatable, CustomStringConvertible {
    case real(Double)
    case integer(Int)
    case reals([Double])
    case choice(String)
    case index(Int)
    case boolean(Bool)

    public var description: String {
        switch self {
        case let .real(x): return Self.format(x)
        case let .integer(i): return "\(i)"
        case let .reals(xs): return xs.map(Self.format).joined(separator: ",")
        case let .choice(word): return word
        case let .index(i): return "\(i)"
        case let .boolean(b): return "\(b)"
        }
    }

    /// Shortest text that reads back as the same number: 1 not 1.0, 0.25, 1e-06.
    static func format(_ x: Double) -> String {
        if x.rounded() == x && abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
