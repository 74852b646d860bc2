import Ops

/// DELLA's MagPrune masks (arXiv:2406.11617; see `DellaStrategy`) followed by a weighted sum
/// (mergekit `della_linear`):
///
///     x_i = rescale(m_i . d_i),   m_i,j ~ Bernoulli(p_i,j)
///     out = lambda * sum_i w_i x_i / D
///
/// `convention=peft` (default; the paper's rescale): each kept entry divided by its own `p_i,j`,
/// so `E[out] = lambda * sum_i w_i d_i`. `convention=mergekit` matches mergekit `della_linear`:
/// each `x_i` rescaled to `||d_i||_1`. `D = sum_i w_i` with `normalize=true`, else 1 (`auto` =
/// false, both). Masks: entry `j` of input `i` is kept when
/// `CounterRNG(seed, module index, i).uniform(j) < p_i,j` (Philox4x32-10).
public struct DellaLinearStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "della_linear",
        summary: "drop entries at random with magnitude-ranked probabilities, rescale, add up (weighted)",
        reference: "DELLA-Merging, arXiv:2406.11617; convention=mergekit matches mergekit della_linear (PEFT has none)",
        form: MergeSpace.form("dense: a full-rank delta per module; random masks keyed by the merge seed (Philox, reproducible)"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.epsilon,
            TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "false (a plain weighted sum, in both conventions)"),
            TaskVectorParameters.convention,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        try TaskVectorParameters.checkDellaRange(parameters, strategy: Self.info.name)
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .della(density: $0,
                                                      epsilon: parameters.real("epsilon")) },
                               consensus: false, automaticNormalize: { _ in false })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
