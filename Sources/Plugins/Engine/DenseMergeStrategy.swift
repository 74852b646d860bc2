import Ops

/// One module of every input, densified, for a dense merge method.
public struct DenseModule: Sendable {
    /// Module path, e.g. `model.layers.0.self_attn.q_proj`.
    public let name: String
    /// Position of the module in sorted order: part of the key of random streams.
    public let index: Int
    /// Each input's delta `s_i B_i A_i` (out x in, row-major Float32), in input order.
    public let deltas: [Tensor]

    public init(name: String, index: Int, deltas: [Tensor]) {
        self.name = name
        self.index = index
        self.deltas = deltas
    }

    public var shape: [Int] { deltas.first?.shape ?? [] }
    public var count: Int { deltas.first?.count ?? 0 }
}

/// Anything that merges one dense module: the engine's view of a dense strategy.
public protocol DenseModuleMerger: Sendable {
    func merge(_ module: DenseModule) throws -> Tensor
}

/// A merge method that needs the dense deltas (sparsification, sign election, per-entry masks).
///
/// The engine streams modules: it densifies one module of every input with BLAS, calls `merge`,
/// and hands the result to the output (rank-K refactorisation, dense delta file, merged
/// checkpoint) before it densifies the next, so memory stays bounded by a few modules per core.
/// `merge` is called concurrently for different modules and must not keep state between calls.
public protocol DenseMergeStrategy: DenseModuleMerger {
    static var info: StrategyInfo { get }
    /// `seed` keys the random streams of methods with random masks (DARE, DELLA).
    init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws
}
