import Synchronization
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
    /// Each input's `s B A` (for a DoRA input: its plain LoRA part).
    public let deltas: [LowRank]
    /// DoRA magnitude vectors (nil for plain LoRA inputs).
    public let magnitudes: [Tensor?]
    public var shape: [Int] { deltas.first?.shape ?? [] }
    public var hasDoRA: Bool { magnitudes.contains { $0 != nil } }
    /// The inputs' inner products, when the strategy computed them on the way.
    public let innerProducts = InnerProductRecord()
    /// True when whoever built the group already found every factor, scale and magnitude finite
    /// (the streamed merge screens factors while loading them), so `NonFiniteMerge` need not
    /// scan them again. False means "not known", never "not finite".
    public let knownFinite: Bool

    public init(name: String, kind: ModuleKind, deltas: [LowRank], magnitudes: [Tensor?]? = nil, knownFinite: Bool = false) {
        self.name = name
        self.kind = kind
        self.deltas = deltas
        self.magnitudes = magnitudes ?? Array(repeating: nil, count: deltas.count)
        self.knownFinite = knownFinite
    }
}

/// The inputs' inner products `<tau_i, tau_j>` of one module (`n x n`, upper triangle filled, as
/// `MergeWarnings.moduleGram`), recorded by a strategy that computed them anyway (the linear
/// combinations and SeedLoRA take them from their Gram matrices), so that the input warnings of a
/// streamed merge do not compute every module's Gram matrices a second time.
public final class InnerProductRecord: Sendable {
    private let stored = Mutex<[Double]?>(nil)

    public init() {}

    public var value: [Double]? { stored.withLock { $0 } }

    func record(_ geometry: any DeltaGeometry) {
        let gram = MergeWarnings.innerProducts(geometry)
        stored.withLock { $0 = gram }
    }
}

/// Validated inputs of a merge: same module set, same shapes, mergeable adapters.
public struct MergeInput: Sendable {
    public let adapters: [PeftAdapter]
    /// Modules sorted by name.
    public let modules: [ModuleGroup]
    /// The base model, when given: needed for DoRA inputs (and merged checkpoints).
    public let base: Checkpoint?
    /// What loading had to decide (e.g. how mlx-lm names were matched to PEFT's), for the summary.
    public var notes: [String] = []
    /// Each module's position in the full sorted module list (a subset keeps them): part of the
    /// key of random streams, so a module draws the same masks however the modules are grouped.
    public let positions: [Int]
    public var inputCount: Int { adapters.count }
    public var hasDoRA: Bool { modules.contains { $0.hasDoRA } }

    public init(adapters: [PeftAdapter], modules: [ModuleGroup], base: Checkpoint? = nil) {
        self.init(adapters: adapters, modules: modules, base: base, positions: Array(modules.indices))
    }

    init(adapters: [PeftAdapter], modules: [ModuleGroup], base: Checkpoint?, positions: [Int]) {
        self.adapters = adapters
        self.modules = modules
        self.base = base
        self.positions = positions
    }

    /// The same inputs restricted to some modules (in the order given).
    public func subset(_ indices: [Int]) -> MergeInput {
        MergeInput(adapters: adapters, modules: indices.map { modules[$0] }, base: base,
                   positions: indices.map { positions[$0] })
    }

    /// Every input's true delta of module `index`, dense. A DoRA input's delta depends on the
    /// base weight W: `m * (W + sBA) / ||W + sBA||_row - W` (PEFT's DoRA, norms per output row).
    public func denseDeltas(of index: Int) throws -> [Tensor] {
        let group = modules[index]
        return try zip(group.deltas, group.magnitudes).map { delta, magnitude in
            guard let magnitude else { return delta.denseFloat() }
            guard let base else {
                throw SeedloraError(.usage, "module \(group.name) is DoRA: its delta needs the base model (--base MODEL_DIR)")
            }
            let name = group.name + ".weight"
            guard let weight = try base.weight(name) else {
                throw SeedloraError(path: base.directory, "has no tensor \(name), which a DoRA adapter adapts")
            }
            return try DoRA.delta(weight: weight, lora: delta, magnitude: magnitude, module: group.name)
        }
    }
}

/// Anything that merges module groups exactly on the factors into low-rank deltas: the engine's
/// view of a factored strategy (also of an element-wise method run in a merge space).
public protocol FactoredMerger: Sendable {
    /// One merged delta per module of `input.modules`, in the same order.
    func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank]
    /// The same method on dense deltas, module by module (for DoRA inputs, whose deltas are
    /// dense), or nil when the method needs all modules at once.
    func denseEquivalent() -> (any DenseModuleMerger)?
}

/// A merge method whose result is computed exactly on the factors and is itself low-rank.
///
/// Strategies are plain values built from resolved parameters; they do no I/O. The engine checks
/// inputs and handles export; a strategy only maps module groups to merged deltas.
public protocol FactoredMergeStrategy: FactoredMerger {
    static var info: StrategyInfo { get }
    init(parameters: ResolvedParameters, inputCount: Int) throws
}

extension FactoredMerger {
    public func denseEquivalent() -> (any DenseModuleMerger)? { nil }
}

/// A strategy built from resolved parameters, in the form its method computes.
public enum ConfiguredStrategy: Sendable {
    case factored(any FactoredMerger)
    case dense(any DenseMergeStrategy)
    /// A factored method evaluated on dense deltas (DoRA inputs).
    case denseMerger(any DenseModuleMerger)
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
    /// The form with default parameters (see `form(for:)`).
    public let form: Form
    let make: @Sendable (ResolvedParameters, Int, UInt64) throws -> ConfiguredStrategy

    init<S: FactoredMergeStrategy>(_ type: S.Type) {
        info = S.info
        form = .factored
        // Every strategy is followed by the one final `lambda` multiplier (see `MergeScale`).
        make = { parameters, count, _ in
            .factored(LambdaScaledFactored(inner: try S(parameters: parameters, inputCount: count),
                                           lambda: MergeScale.lambda(parameters)))
        }
    }

    init<S: DenseMergeStrategy>(dense type: S.Type) {
        info = S.info
        form = .dense
        make = { parameters, count, seed in
            let lambda = MergeScale.lambda(parameters)
            // Element-wise methods run in a merge space are exact and factored (`SpaceMerge`).
            if let space = MergeSpace.of(parameters), space != .full {
                let inner = try S(parameters: parameters, inputCount: count, seed: seed)
                return .factored(LambdaScaledFactored(inner: SpaceMerge(method: inner, name: S.info.name, space: space),
                                                      lambda: lambda))
            }
            return .dense(try LambdaScaledDense<S>(parameters: parameters, inputCount: count, seed: seed))
        }
    }

    /// The form these raw parameters give: an element-wise method with `space=core|knots` is
    /// factored (an exact LoRA of rank at most sum r_i). Any other `space` than `full` counts as
    /// factored here, so that a bad value gets its own error from `instantiate`, not a
    /// complaint about the output form.
    public func form(for raw: [(String, String)]) -> Form {
        guard form == .dense, let space = raw.last(where: { $0.0 == "space" })?.1,
              space.trimmingWhitespace() != MergeSpace.full.rawValue else { return form }
        return .factored
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
        StrategyEntry(LinearStrategy.self),
        StrategyEntry(TaskArithmeticStrategy.self),
        StrategyEntry(ModelStockStrategy.self),
        StrategyEntry(SlerpStrategy.self),
        StrategyEntry(NuSlerpStrategy.self),
        StrategyEntry(KarcherStrategy.self),
        StrategyEntry(TSVStrategy.self),
        StrategyEntry(IsoCStrategy.self),
        StrategyEntry(IsoCTSStrategy.self),
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
