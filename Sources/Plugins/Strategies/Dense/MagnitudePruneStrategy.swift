import Ops

/// Magnitude pruning, then task arithmetic (PEFT `merge_utils.magnitude_prune`):
///
///     out = lambda * sum_i w_i top_k(d_i) / D
///
/// `top_k` keeps the `k = int(density * n)` entries of largest `|d_i|` of the module (equal
/// magnitudes at the threshold: the lower flat index is kept; density 1 keeps everything).
/// `D = sum_i w_i` with `normalize=true`, otherwise 1 (`auto` = false, as PEFT). Weights multiply
/// after pruning, so they do not change which entries are kept. PEFT and mergekit agree on this
/// method (mergekit's generalized merge with magnitude sparsification and no consensus computes
/// the same), so it has no `convention`.
public struct MagnitudePruneStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "magnitude_prune",
        summary: "keep each delta's largest-magnitude entries, then add them up (weighted)",
        reference: "PEFT merge_utils.magnitude_prune",
        form: MergeSpace.form("dense: a full-rank delta per module"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "false (a plain weighted sum, as PEFT)"),
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .magnitude(density: $0) },
                               consensus: false, automaticNormalize: { _ in false })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
