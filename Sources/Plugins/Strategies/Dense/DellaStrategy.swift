import Ops

/// DELLA-Merging (Deep et al. 2024, arXiv:2406.11617): MagPrune drop, elect sign, fuse.
///
///     x_i = rescale(m_i . d_i),   m_i,j ~ Bernoulli(p_i,j)
///     out = lambda * sum_{i: sign x_i = e} w_i x_i / D
///
/// `p_i,j` ranks each row of `d_i` by magnitude and maps the ranks linearly onto
/// `[density - epsilon, density + epsilon]` (`DellaProbabilities`), exactly as mergekit's
/// `della_magprune`. Masks: entry `j` of input `i` is kept when
/// `CounterRNG(seed, module index, i).uniform(j) < p_i,j` (Philox4x32-10).
///
/// `convention=peft` (default; PEFT has no DELLA, so this is the paper's rule applied the PEFT
/// way): each kept entry divided by its own `p_i,j` (so `E[x_i] = d_i`), sign from the unweighted
/// `x_i`, `D` = count of agreeing inputs. `convention=mergekit` matches mergekit `della`: each
/// `x_i` rescaled to `||d_i||_1`, sign from `w_i x_i`, `D` = sum of agreeing weights.
/// `normalize=auto` is true in both (mergekit's default for della).
public struct DellaStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "della",
        summary: "drop entries at random with magnitude-ranked probabilities, rescale, elect a sign, average the agreeing entries",
        reference: "DELLA-Merging, arXiv:2406.11617; convention=mergekit matches mergekit della (PEFT has none)",
        form: MergeSpace.form("dense: a full-rank delta per module; random masks keyed by the merge seed (Philox, reproducible)"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.epsilon,
            TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "true (the disjoint mean, in both conventions)"),
            TaskVectorParameters.convention, TaskVectorParameters.majority,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        try TaskVectorParameters.checkDellaRange(parameters, strategy: Self.info.name)
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .della(density: $0,
                                                      epsilon: parameters.real("epsilon")) },
                               consensus: true, automaticNormalize: { _ in true })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
