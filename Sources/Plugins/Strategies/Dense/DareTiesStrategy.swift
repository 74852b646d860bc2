import Ops

/// DARE masks (arXiv:2311.03099) followed by the TIES sign election and disjoint merge:
///
///     x_i = rescale(m_i . d_i),   m_i,j ~ Bernoulli(density)
///     out = lambda * sum_{i: sign x_i = e} w_i x_i / D
///
/// `convention=peft` (default) matches PEFT `merge_utils.dare_ties`: kept entries divided by
/// `density`; sign elected from the unweighted `x_i` (`majority` total or frequency, >= 0 counts
/// as +); `D` = count of agreeing inputs (`normalize=auto` is true here, as PEFT always divides).
/// `convention=mergekit` matches mergekit `dare_ties`: each `x_i` rescaled to `||d_i||_1`; sign
/// elected from `w_i x_i`; `D` = sum of agreeing weights when normalising, and `auto` is false
/// (mergekit's default: the plain sum of the agreeing entries).
///
/// Masks as `dare_linear`: entry `j` of input `i` is kept when
/// `CounterRNG(seed, module index, i).uniform(j) < density` (Philox4x32-10).
public struct DareTiesStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "dare_ties",
        summary: "drop random entries of each delta and rescale, elect a sign per entry, merge the agreeing entries",
        reference: "DARE, arXiv:2311.03099, with TIES election; convention=peft matches PEFT merge_utils.dare_ties, convention=mergekit matches mergekit dare_ties",
        form: MergeSpace.form("dense: a full-rank delta per module; random masks keyed by the merge seed (Philox, reproducible)"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "true with convention=peft (PEFT's disjoint mean), false with convention=mergekit (mergekit's default)"),
            TaskVectorParameters.convention, TaskVectorParameters.majority,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .bernoulli(density: $0) },
                               consensus: true, automaticNormalize: { $0 == .peft })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
