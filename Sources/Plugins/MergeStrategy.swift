import Ops

/// What a strategy tells users about itself; `seedlora strategies` prints it.
public struct StrategyInfo: Sendable {
    public let name: String
    public let summary: String
    /// Where the method comes from (paper, or the peer implementation it matches).
    public let reference: String
    /// How the result is computed and what form it has.
    public let form: String
    public let parameters: [ParameterSpec]

    public init(name: String, summary: String, reference: String, form: String, parameters: [ParameterSpec]) {
        self.name = name
        self.summary = summary
        self.reference = reference
        self.form = form
        self.parameters = parameters
    }
}

/// The same module of every input adapter, in input order.
public struct ModuleGroup: Sendable {
    public let name: String
    public let kind: ModuleKind
    public let deltas: [LowRank]
    public var shape: [Int] { deltas.first?.shape ?? [] }
}

/// Validated inputs of a merge: same module set, same shapes, mergeable adapters.
public struct MergeInput: Sendable {
    public let adapters: [PeftAdapter]
    /// Modules sorted by name.
    public let modules: [ModuleGroup]
    public var inputCount: Int { adapters.count }
}

/// A merge method whose result is computed exactly on the factors and is itself low-rank.
///
/// Strategies are plain values built from resolved parameters; they do no I/O. The engine checks
/// inputs and handles export; a strategy only maps module groups to merged deltas.
public protocol FactoredMergeStrategy: Sendable {
    static var info: StrategyInfo { get }
    init(parameters: ResolvedParameters, inputCount: Int) throws
    /// One merged delta per module of `input.modules`, in the same order.
    func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank]
}

/// An entry of the explicit strategy registry.
public struct StrategyEntry: Sendable {
    public let info: StrategyInfo
    let make: @Sendable (ResolvedParameters, Int) throws -> any FactoredMergeStrategy

    init<S: FactoredMergeStrategy>(_ type: S.Type) {
        info = S.info
        make = { try S(parameters: $0, inputCount: $1) }
    }

    /// Validates `raw` parameters and builds the strategy for `inputCount` inputs.
    public func instantiate(_ raw: [(String, String)], inputCount: Int) throws -> (any FactoredMergeStrategy, ResolvedParameters) {
        let resolved = try ResolvedParameters(raw, specs: info.parameters, inputCount: inputCount, strategy: info.name)
        return (try make(resolved, inputCount), resolved)
    }
}

/// Every strategy seedlora knows, listed explicitly (no registration by side effect).
public enum StrategyRegistry {
    public static let all: [StrategyEntry] = [
        StrategyEntry(SeedLoRAStrategy.self),
    ]

    /// The strategy named `name`; an unknown name is answered with the known ones.
    public static func entry(named name: String) throws -> StrategyEntry {
        if let entry = all.first(where: { $0.info.name == name }) { return entry }
        let names = all.map(\.info.name)
        let hint = Suggest.closest(to: name, in: names).map { " Did you mean '\($0)'?" } ?? ""
        throw SeedloraError(.usage, "unknown merge method '\(name)'.\(hint) Known methods: \(names.joined(separator: ", "))")
    }
}
