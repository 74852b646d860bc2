import Ops
import Synchronization

/// Parameters after validation: every declared name has a value of its declared kind.
///
/// A strategy may only read what it declared. The typed accessors (`real`, `reals`, ...) cannot
/// throw (every strategy calls them in plain expressions), so a read of an undeclared name, or of
/// a declared name as the wrong kind, returns the kind's neutral value AND is recorded in
/// `misuses`. `StrategyParameterAuditTests` runs every registered strategy and fails on any record,
/// so a typo such as `real("epsilon")` in a strategy that declares no `epsilon` fails the suite.
/// Code that reads a parameter only some strategies declare asks `declares(_:)` (or `value(_:)`)
/// first.
public struct ResolvedParameters: Sendable {
    public let values: [String: ParameterValue]
    /// The strategy the values belong to (named in misuse records).
    public let strategy: String
    private let log = ParameterReadLog()

    /// Validates `raw` (name → text) against `specs` for `inputCount` inputs.
    public init(_ raw: [(String, String)], specs: [ParameterSpec], inputCount: Int, strategy: String) throws {
        var values: [String: ParameterValue] = [:]
        for spec in specs { values[spec.name] = spec.resolvedDefault(inputCount: inputCount) }
        var given = Set<String>()
        for (name, text) in raw {
            guard let spec = specs.first(where: { $0.name == name }) else {
                let known = specs.map(\.name).joined(separator: ", ")
                let hint = Suggest.closest(to: name, in: specs.map(\.name)).map { " Did you mean '\($0)'?" } ?? ""
                throw SeedloraError(.usage, "\(strategy) has no parameter '\(name)'.\(hint) Its parameters: \(known.isEmpty ? "none" : known)")
            }
            guard given.insert(name).inserted else { throw SeedloraError(.usage, "\(strategy): parameter \(name) given twice") }
            values[name] = try spec.resolve(text, inputCount: inputCount, strategy: strategy)
        }
        self.values = values
        self.strategy = strategy
    }

    /// Whether the strategy declared `name` (for code shared by strategies that differ in it).
    public func declares(_ name: String) -> Bool { values[name] != nil }

    /// The value of `name` when declared, nil otherwise; never recorded as a misuse.
    public func value(_ name: String) -> ParameterValue? { values[name] }

    /// Reads of undeclared names, or of declared names as another kind, since these values were
    /// resolved (shared by every copy of this value).
    public var misuses: [ParameterMisuse] { log.entries }

    public func real(_ name: String) -> Double {
        if case let .real(x)? = values[name] { return x }
        record(name, as: "real")
        return 0
    }

    public func integer(_ name: String) -> Int {
        if case let .integer(i)? = values[name] { return i }
        record(name, as: "integer")
        return 0
    }

    public func reals(_ name: String) -> [Double] {
        if case let .reals(xs)? = values[name] { return xs }
        record(name, as: "reals")
        return []
    }

    /// The chosen word; nil when an input index was given instead (`choiceOrInputIndex`).
    public func choice(_ name: String) -> String? {
        switch values[name] {
        case let .choice(word)?: return word
        case .index?: return nil
        default: record(name, as: "choice"); return nil
        }
    }

    /// The chosen input index; nil when a word was given instead (`choiceOrInputIndex`).
    public func index(_ name: String) -> Int? {
        switch values[name] {
        case let .index(i)?: return i
        case .choice?: return nil
        default: record(name, as: "index"); return nil
        }
    }

    public func boolean(_ name: String) -> Bool {
        if case let .boolean(b)? = values[name] { return b }
        record(name, as: "boolean")
        return false
    }

    private func record(_ name: String, as kind: String) {
        let problem = values[name].map { "declared as \(Self.kind(of: $0))" } ?? "not declared"
        log.append(ParameterMisuse(strategy: strategy, name: name, readAs: kind, problem: problem))
    }

    private static func kind(of value: ParameterValue) -> String {
        switch value {
        case .real: return "real"
        case .integer: return "integer"
        case .reals: return "reals"
        case .choice, .index: return "choice"
        case .boolean: return "boolean"
        }
    }
}

/// A strategy read a parameter it did not declare, or as the wrong kind.
public struct ParameterMisuse: Sendable, Equatable, CustomStringConvertible {
    public let strategy: String
    public let name: String
    public let readAs: String
    public let problem: String

    public var description: String { "\(strategy) read parameter '\(name)' as \(readAs), but it is \(problem)" }
}

/// The misuse records of one `ResolvedParameters` and all its copies.
private final class ParameterReadLog: Sendable {
    private let storage = Mutex<[ParameterMisuse]>([])

    var entries: [ParameterMisuse] { storage.withLock { $0 } }

    func append(_ misuse: ParameterMisuse) {
        storage.withLock { entries in
            if !entries.contains(misuse) { entries.append(misuse) }
        }
    }
}
