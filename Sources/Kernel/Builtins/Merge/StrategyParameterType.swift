/// The type a strategy written in Seed declares for a parameter (`strategy f(deltas, weights, scale: float = 1.0)`).
/// Values are checked against it before the strategy runs, in Seed and from `--param name=text`.
enum StrategyParameterType: String, CaseIterable, Sendable {
    case int, float, bool, str, list

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    var article: String { self == .int ? "an int" : "a \(rawValue == "str" ? "string" : rawValue)" }

    /// The value if it has this type (an int is a float too), or nil.
    func accept(_ value: Value) -> Value? {
        switch (self, value) {
        case (.int, .int), (.bool, .bool), (.str, .string), (.list, .list): return value
        case (.float, .float): return value
        case let (.float, .int(i)): return .float(Double(i))
        default: return nil
        }
    }

    /// The value of `--param name=text`, or nil when the text is not of this type.
    func parse(_ text: String) -> Value? {
        let trimmed = text.trimmingCharacters(in: " ")
        switch self {
        case .int: return Int(trimmed).map { .int($0) }
        case .float: return Double(trimmed).map { .float($0) }
        case .bool: return trimmed == "true" ? .bool(true) : trimmed == "false" ? .bool(false) : nil
        case .str: return .string(text)
        case .list:
            let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: " ") }
            let numbers = parts.compactMap(Double.init)
            guard numbers.count == parts.count, !parts.isEmpty else { return nil }
            return .list(ListRef(parts.map { Int($0).map(Value.int) ?? .float(Double($0) ?? 0) }))
        }
    }
}
