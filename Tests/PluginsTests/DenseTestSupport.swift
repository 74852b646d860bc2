import Ops
@testable import Plugins
import Testing
import TestSupport

/// Building dense strategies and dense modules for the TIES/DARE-family tests.
enum Dense {
    /// The modules of `paths`, densified with sgemm as the engine does.
    static func modules(_ paths: [String] = Fixtures.seedPaths) throws -> [DenseModule] {
        let input = try MergeEngine.loadInputs(paths)
        return input.modules.enumerated().map { index, group in
            DenseModule(name: group.name, index: index, deltas: group.deltas.map { $0.denseFloat() })
        }
    }

    /// A synthetic one-row module from literal values per input.
    static func module(_ inputs: [[Float]], index: Int = 0) -> DenseModule {
        DenseModule(name: "synthetic", index: index,
                    deltas: inputs.map { Tensor(uncheckedShape: [1, $0.count], data: $0) })
    }

    static func strategy(_ name: String, _ params: [(String, String)] = [], inputs: Int = 3,
                         seed: UInt64 = 0) throws -> any DenseMergeStrategy {
        let (configured, _) = try StrategyRegistry.entry(named: name).instantiate(params, inputCount: inputs, seed: seed)
        guard case let .dense(strategy) = configured else {
            throw SeedloraError("\(name) is not a dense strategy")
        }
        return strategy
    }

    /// The strategy inside the registry's final lambda multiplier (`LambdaScaledDense`).
    static func unscaled(_ name: String, _ params: [(String, String)] = [], inputs: Int = 3,
                         seed: UInt64 = 0) throws -> any DenseModuleMerger {
        let configured = try strategy(name, params, inputs: inputs, seed: seed)
        guard let scaled = configured as? any LambdaScaled, case let .dense(inner) = scaled.unscaled else {
            return configured
        }
        return inner
    }

    /// The shared core of a TIES/DARE-family strategy (to look at one input's sparsification).
    static func core(_ name: String, _ params: [(String, String)] = [], inputs: Int = 3,
                     seed: UInt64 = 0) throws -> TaskVectorMerge {
        switch try unscaled(name, params, inputs: inputs, seed: seed) {
        case let s as MagnitudePruneStrategy: return s.core
        case let s as TiesStrategy: return s.core
        case let s as DareLinearStrategy: return s.core
        case let s as DareTiesStrategy: return s.core
        case let s as BreadcrumbsStrategy: return s.core
        case let s as BreadcrumbsTiesStrategy: return s.core
        case let s as DellaStrategy: return s.core
        case let s as DellaLinearStrategy: return s.core
        default: throw SeedloraError("\(name) has no task-vector core")
        }
    }

    /// Every module merged through the streaming engine with `workers` workers, in module order.
    static func stream(_ name: String, _ params: [(String, String)] = [], paths: [String] = Fixtures.seedPaths,
                       seed: UInt64 = 0, workers: Int = 2) throws -> [Tensor] {
        let input = try MergeEngine.loadInputs(paths)
        let strategy = try strategy(name, params, inputs: paths.count, seed: seed)
        var merged: [Tensor] = []
        try DenseMergeEngine.stream(strategy, input: input, workers: workers,
                                    transform: { _, tensor in tensor },
                                    consume: { _, tensor in merged.append(tensor) })
        return merged
    }

    static func bits(_ tensors: [Tensor]) -> [UInt32] {
        tensors.flatMap { $0.data.map(\.bitPattern) }
    }
}
