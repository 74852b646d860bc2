import Ops

/// One `name=value` setting from the command line: `merge --param`, `run --set` and `merge --sweep`
/// all parse through this type, so they accept and refuse the same texts with the same words.
///
/// The name is trimmed and must be non-empty without inner spaces or a second `=` before the value;
/// the value is everything after the first `=`, kept verbatim (it may contain `=`, commas, spaces)
/// and may be empty.
public struct Assignment: Sendable, Equatable, CustomStringConvertible {
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `text`; `option` (e.g. "--param") names the source in the error.
    public init(parsing text: String, option: String) throws {
        func bad(_ problem: String) -> SeedloraError {
            SeedloraError(.usage, "\(option) takes name=value, got '\(text)': \(problem)")
        }
        guard let eq = text.firstIndex(of: "=") else { throw bad("there is no '='") }
        let name = String(text[..<eq]).trimmingWhitespace()
        guard !name.isEmpty else { throw bad("the name before '=' is empty") }
        guard !name.contains(where: \.isWhitespace) else { throw bad("the name '\(name)' contains a space") }
        self.name = name
        self.value = String(text[text.index(after: eq)...])
    }

    /// Parses every text in `texts`, refusing a name given twice.
    public static func parseAll(_ texts: [String], option: String) throws -> [Assignment] {
        var seen = Set<String>()
        return try texts.map { text in
            let assignment = try Assignment(parsing: text, option: option)
            guard seen.insert(assignment.name).inserted else {
                throw SeedloraError(.usage, "\(option) sets '\(assignment.name)' twice")
            }
            return assignment
        }
    }

    /// The pair form used by `MergeRequest.parameters` and `ResolvedParameters`.
    public var pair: (String, String) { (name, value) }

    public var description: String { "\(name)=\(value)" }
}
