import Ops

/// TIES-Merging (Yadav et al. 2023, arXiv:2306.01708): trim, elect sign, disjoint merge.
///
///     x_i = top_k(d_i)                        k = int(density * n) largest |d_i|
///     e   = sign of the majority statistic    (>= 0 counts as +)
///     out = lambda * sum_{i: sign x_i = e} w_i x_i / D
///
/// `convention=peft` (default) matches PEFT `merge_utils.ties`: the statistic is
/// `sum_i x_i` (`majority=total`) or `sum_i sign(x_i)` (`frequency`) over the UNWEIGHTED trimmed
/// deltas, and `D` is the COUNT of agreeing inputs (at least 1). Weights multiply after the
/// election, so weights 1/3 give exactly 1/3 of the unweighted result.
/// `convention=mergekit` matches mergekit `ties`: the statistic is over `w_i x_i`, and `D` is the
/// SUM OF THE AGREEING WEIGHTS (1 when 0). With equal weights both give the same result.
/// `normalize=false` takes `D = 1`; `auto` is true in both conventions.
public struct TiesStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "ties",
        summary: "trim each delta to its largest entries, elect a sign per entry, average the agreeing entries",
        reference: "TIES-Merging, arXiv:2306.01708; convention=peft matches PEFT merge_utils.ties, convention=mergekit matches mergekit ties",
        form: MergeSpace.form("dense: a full-rank delta per module"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "true (the disjoint mean, in both conventions)"),
            TaskVectorParameters.convention, TaskVectorParameters.majority,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .magnitude(density: $0) },
                               consensus: true, automaticNormalize: { _ in true })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
