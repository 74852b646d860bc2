import Ops

/// Model Breadcrumbs sparsification (arXiv:2312.06795; see `BreadcrumbsStrategy`) followed by the
/// TIES sign election and disjoint merge (mergekit `breadcrumbs_ties`):
///
///     out = lambda * sum_{i: sign x_i = e} w_i x_i / D
///
/// `convention=mergekit` matches mergekit: sign elected from `w_i x_i`; `D` = sum of agreeing
/// weights when normalising, and `normalize=auto` is false (mergekit's default, the plain sum of
/// the agreeing entries). `convention=peft` (default; PEFT has no breadcrumbs, so this is the TIES
/// paper's rule as PEFT applies it): sign from the unweighted `x_i`, `D` = count of agreeing
/// inputs, `auto` true (the disjoint mean).
public struct BreadcrumbsTiesStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "breadcrumbs_ties",
        summary: "breadcrumbs sparsification, then elect a sign per entry and merge the agreeing entries",
        reference: "Model Breadcrumbs, arXiv:2312.06795, with TIES election; convention=mergekit matches mergekit breadcrumbs_ties",
        form: MergeSpace.form("dense: a full-rank delta per module"),
        parameters: [
            TaskVectorParameters.weights, TaskVectorParameters.density, TaskVectorParameters.gamma,
            TaskVectorParameters.lambda,
            TaskVectorParameters.normalize(auto: "true with convention=peft (the disjoint mean), false with convention=mergekit (mergekit's default)"),
            TaskVectorParameters.convention, TaskVectorParameters.majority,
            MergeSpace.parameter,
        ])

    let core: TaskVectorMerge

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        core = TaskVectorMerge(Self.info, parameters: parameters, seed: seed,
                               sparsification: { .magnitudeOutliers(density: $0,
                                                                  gamma: parameters.real("gamma")) },
                               consensus: true, automaticNormalize: { $0 == .peft })
    }

    public func merge(_ module: DenseModule) throws -> Tensor { try core.merge(module) }
    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? { try core.merge(rowBlocks: module) }
}
