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

/// One module of every input, still factored: for methods that densify blocks of rows themselves.
public struct FactoredDenseModule: Sendable {
    /// Module path, e.g. `model.layers.0.self_attn.q_proj`.
    public let name: String
    /// Position of the module in sorted order: part of the key of random streams.
    public let index: Int
    /// Each input's delta `s_i B_i A_i`, factored, in input order (all of one shape).
    public let factors: [LowRank]

    public init(name: String, index: Int, factors: [LowRank]) {
        self.name = name
        self.index = index
        self.factors = factors
    }

    public var shape: [Int] { factors.first?.shape ?? [] }
}

/// Thrown by a row-block merge that met a non-finite value in a densified block (finite factors
/// can still overflow): the engine then merges that module densified whole, where the
/// non-finite guard decides what it becomes.
public struct NonFiniteRows: Error {
    public init() {}
}

/// Anything that merges one dense module: the engine's view of a dense strategy.
public protocol DenseModuleMerger: Sendable {
    func merge(_ module: DenseModule) throws -> Tensor
    /// The same merge computed from blocks of rows densified on demand (so no input module is
    /// ever held whole), or nil when this merger cannot work that way; the engine then densifies
    /// whole modules and calls `merge`. Must equal `merge` on the densified module.
    func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor?
}

extension DenseModuleMerger {
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { nil }
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
