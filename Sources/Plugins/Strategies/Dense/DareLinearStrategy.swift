import Ops

/// DARE (Yu et al. 2023, arXiv:2311.03099: drop and rescale), then a weighted sum:
///
///     x_i = rescale(m_i . d_i),   m_i,j ~ Bernoulli(density)
///     out = lambda * sum_i w_i x_i / D
///
/// `convention=peft` (default) matches PEFT `merge_utils.dare_linear` and the paper: every kept
/// entry is divided by `density`, so `E[x_i] = d_i` and `E[out] = lambda * sum_i w_i d_i`.
/// `convention=mergekit` matches mergekit `dare_linear`: each `x_i` is scaled so that
/// `||x_i||_1 = ||d_i||_1`. `D = sum_i w_i` with `normalize=true`, else 1 (`auto` = false, both).
///
/// Masks: entry `j` (flat index) of input `i` is kept when `CounterRNG(seed, module index,
/// i).uniform(j) < density` (Philox4x32-10), so a seed gives the same bits on every run and any
/// number of threads. `density` 1 keeps everything; 0 keeps nothing (PEFT would divide by 0).
public struct DareLinearStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "dare_linear",
        summary: "drop random entries of each delta, rescale the rest, add them up (weighted)",
        reference: "DARE, arXiv:2311.03099; convention=peft matches PEFT merge_utils.dare_linear, convention=mergekit matches mergekit dare_linear",
        form: MergeSpace.form("dense: a full-rank delta per module; random masks keyed by the merge seed (Philox, reproducible)"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "false (a plain weighted sum, in both conventions)"),
            TaskVectorParameters.convention,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .bernoulli(density: $0) },
                               consensus: false, automaticNormalize: { _ in false })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
