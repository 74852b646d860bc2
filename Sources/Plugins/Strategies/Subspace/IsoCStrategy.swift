import Ops

/// Iso-C (Marczak et al., "No Task Left Behind: Isotropic Model Merging with Common and
/// Task-Specific Subspaces", ICML 2025), on the exact nonzero spectrum of LoRA deltas.
///
/// Per module: `S = sum_i w_i tau_i`, K = its numerical rank (singular values above 1e-9 times
/// the largest), result `mean(s_1..s_K) U_K V_K^T`: S's own K directions with a flat spectrum.
/// The paper flattens the whole spectrum of the dense task-vector sum; on a LoRA sum the
/// directions past K are arbitrary null-space vectors, so only the K nonzero ones are kept.
/// `lambda` is the engine's final multiplier.
///
/// Factored: `S = [B_1 .. B_n] [w_1 s_1 A_1; ..]`, its SVD from QRs of the two stacked factors
/// (`FactoredSVD`); the result is a LoRA of rank K with `B' = mean(s) U_K`, `A' = V_K^T`.
public struct IsoCStrategy: FactoredMergeStrategy {
    public static let info = StrategyInfo(
        name: "iso_c",
        summary: "the weighted sum's singular directions with a flat (isotropic) spectrum at its mean singular value",
        reference: "Iso-C, Marczak et al. ICML 2025 (arXiv:2502.04959), on the nonzero spectrum; numpy reference in the test fixtures",
        form: "exact, factored: rank K = numerical rank of the sum (<= sum(r_i))",
        parameters: [CommonParameters.weights, MergeScale.parameter])

    let weights: [Double]

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        weights = parameters.reals("weights")
    }

    /// DoRA deltas are dense, not LoRAs: refused with a message saying so.
    public func denseEquivalent() -> (any DenseModuleMerger)? {
        RefusingMerger(message: "iso_c runs on LoRA factors, and DoRA deltas are not LoRAs")
    }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        try ConcurrentMap.run(input.modules, cancellation: cancellation) { group in try merge(group) }
    }

    func merge(_ group: ModuleGroup) throws -> LowRank {
        if let nan = NonFiniteFactors.result(for: group) { return nan }
        let svd = try SubspaceSum.svd(group.deltas, weights: weights)
        let k = svd.numericalRank()
        let level = SubspaceSum.mean(svd.s.prefix(k))
        return LowRank(b: svd.u.columns(0..<k).scaled(by: level), a: svd.vt.rows(0..<k))
    }
}

/// The weighted sum of a module's LoRA inputs, decomposed on its factors.
enum SubspaceSum {
    /// The thin SVD of `sum_i w_i tau_i` (rank <= sum r_i), without forming it.
    static func svd(_ deltas: [LowRank], weights: [Double]) throws -> FactoredSVD {
        let a = LinearAlgebra.Matrix.vstack(deltas.map(\.a), scaledBy: zip(deltas, weights).map { $1 * $0.scale })
        return try FactoredSVD(stacking: deltas.map(\.b), rows: deltas.first?.rows ?? 0, a: a)
    }

    /// The arithmetic mean (0 for no values).
    static func mean<C: Collection>(_ values: C) -> Double where C.Element == Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
