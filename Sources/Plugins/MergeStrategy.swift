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

/// A strategy built from resolved parameters, in the form its method computes.
public enum ConfiguredStrategy: Sendable {
    case factored(any FactoredMergeStrategy)
    case dense(any DenseMergeStrategy)
}

/// An entry of the explicit strategy registry.
public struct StrategyEntry: Sendable {
    public enum Form: Sendable {
        /// Exact on the factors; the result is low-rank (exported exactly by default).
        case factored
        /// Computed on dense deltas module by module; the result is generally full-rank.
        case dense
    }

    public let info: StrategyInfo
    public let form: Form
    let make: @Sendable (ResolvedParameters, Int, UInt64) throws -> ConfiguredStrategy

    init<S: FactoredMergeStrategy>(_ type: S.Type) {
        info = S.info
        form = .factored
        make = { parameters, count, _ in .factored(try S(parameters: parameters, inputCount: count)) }
    }

    init<S: DenseMergeStrategy>(dense type: S.Type) {
        info = S.info
        form = .dense
        make = { parameters, count, seed in .dense(try S(parameters: parameters, inputCount: count, seed: seed)) }
    }

    /// Validates `raw` parameters and builds the strategy for `inputCount` inputs; `seed` keys
    /// the random streams of methods with random masks.
    public func instantiate(_ raw: [(String, String)], inputCount: Int, seed: UInt64 = 0)
        throws -> (ConfiguredStrategy, ResolvedParameters)
    {
        let resolved = try ResolvedParameters(raw, specs: info.parameters, inputCount: inputCount, strategy: info.name)
        return (try make(resolved, inputCount, seed), resolved)
    }
}

/// Every strategy seedlora knows, listed explicitly (no registration by side effect).
public enum StrategyRegistry {
    public static let all: [StrategyEntry] = [
        StrategyEntry(SeedLoRAStrategy.self),
        StrategyEntry(dense: MagnitudePruneStrategy.self),
        StrategyEntry(dense: TiesStrategy.self),
        StrategyEntry(dense: DareLinearStrategy.self),
        StrategyEntry(dense: DareTiesStrategy.self),
        StrategyEntry(dense: BreadcrumbsStrategy.self),
        StrategyEntry(dense: BreadcrumbsTiesStrategy.self),
        StrategyEntry(dense: DellaStrategy.self),
        StrategyEntry(dense: DellaLinearStrategy.self),
        StrategyEntry(dense: SCEStrategy.self),
    ]

    /// The strategy named `name`; an unknown name is answered with the known ones.
    public static func entry(named name: String) throws -> StrategyEntry {
        if let entry = all.first(where: { $0.info.name == name }) { return entry }
        let names = all.map(\.info.name)
        let hint = Suggest.closest(to: name, in: names).map { " Did you mean '\($0)'?" } ?? ""
        throw SeedloraError(.usage, "unknown merge method '\(name)'.\(hint) Known methods: \(names.joined(separator: ", "))")
    }
}
