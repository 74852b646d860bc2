import Ops

/// TSV-Merge (Gargiulo et al., "Task Singular Vectors: Reducing Task Interference in Model
/// Merging", CVPR 2025), on the exact nonzero spectrum of LoRA deltas.
///
/// Per module, with n inputs: keep each input's top `k_i = min(r_i, floor(min(out, in) / n))`
/// singular triplets (`U_i`, `s_i`, `V_i`), concatenate them (`U_cat` out x K, `V_cat` K x in),
/// replace both by their polar factors (the nearest orthonormal matrices: this is the paper's
/// decorrelation step) and return `polar(U_cat) diag(s_cat) polar(V_cat)`. `lambda` is the
/// engine's final multiplier.
///
/// Factored: the SVDs of the inputs come from QRs of their factors (`FactoredSVD`) and the polar
/// factors from a QR plus a K x K SVD, so the result is a LoRA of rank K <= sum r_i with
/// `B' = polar(U_cat) diag(s_cat)`, `A' = polar(V_cat)`.
public struct TSVStrategy: FactoredMergeStrategy {
    public static let info = StrategyInfo(
        name: "tsv",
        summary: "keep each input's top singular directions, decorrelate them (polar factors), sum",
        reference: "TSV-Merge, Gargiulo et al. CVPR 2025 (arXiv:2412.00081), on the nonzero spectrum; numpy reference in the test fixtures",
        form: "exact, factored: rank sum(k_i) <= sum(r_i)",
        parameters: [MergeScale.parameter])

    public init(parameters: ResolvedParameters, inputCount: Int) throws {}

    /// DoRA deltas are dense, not LoRAs: refused with a message saying so.
    public func denseEquivalent() -> (any DenseModuleMerger)? {
        RefusingMerger(message: "tsv runs on LoRA factors, and DoRA deltas are not LoRAs")
    }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        try ConcurrentMap.run(input.modules, cancellation: cancellation) { group in try merge(group) }
    }

    func merge(_ group: ModuleGroup) throws -> LowRank {
        if let nan = NonFiniteFactors.result(for: group) { return nan }
        let n = group.deltas.count, shape = group.shape
        guard shape.count == 2 else { throw SeedloraError("internal: tsv: module \(group.name) has no inputs") }
        let perInput = min(shape[0], shape[1]) / max(1, n)
        var lefts: [LinearAlgebra.Matrix] = [], rights: [LinearAlgebra.Matrix] = [], values: [Double] = []
        for delta in group.deltas {
            let svd = try FactoredSVD(delta)
            let k = min(delta.rank, perInput, svd.s.count)
            lefts.append(svd.u.columns(0..<k))
            rights.append(svd.vt.rows(0..<k))
            values += svd.s.prefix(k)
        }
        let left = try LinearAlgebra.polarFactor(.hstack(lefts))
        let right = try LinearAlgebra.polarFactor(.vstack(rights))
        return LowRank(b: left.scalingColumns(by: values), a: right)
    }
}
