import Ops

/// Model Breadcrumbs (Davari & Belilovsky 2023, arXiv:2312.06795), as mergekit `breadcrumbs`:
/// drop each delta's largest-magnitude outliers and its smallest entries, then add up.
///
///     x_i = d_i on the entries of descending |d_i| rank in [t, t + k), 0 elsewhere
///     out = lambda * sum_i w_i x_i / D
///
/// with `k = int(density * n)` and `t = min(int(gamma * n), n - k)` (mergekit drops fewer
/// outliers when `gamma + density` exceeds 1, so exactly `k` entries stay). Ties at either
/// threshold: the lower flat index ranks first. `D = sum_i w_i` with `normalize=true`, else 1
/// (`auto` = false, mergekit's default). Differs from mergekit when `int(gamma * n) = 0`: mergekit's
/// slice then keeps nothing, we keep the `k` largest. PEFT has no breadcrumbs, so there is no
/// `convention`.
public struct BreadcrumbsStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "breadcrumbs",
        summary: "drop each delta's largest outliers and smallest entries, add up the rest (weighted)",
        reference: "Model Breadcrumbs, arXiv:2312.06795; matches mergekit breadcrumbs",
        form: MergeSpace.form("dense: a full-rank delta per module"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.gamma,
            TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "false (a plain weighted sum, as mergekit)"),
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .magnitudeOutliers(density: $0,
                                                                  gamma: parameters.real("gamma")) },
                               consensus: false, automaticNormalize: { _ in false })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
