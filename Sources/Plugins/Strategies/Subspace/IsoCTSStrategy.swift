import Ops

/// Iso-CTS (Marczak et al., ICML 2025): Iso-C's flat spectrum over a common subspace of the sum
/// plus task-specific directions of each input, on the exact nonzero spectrum of LoRA deltas.
///
/// Per module: `S = sum_i tau_i`, K its numerical rank; `kc = floor(common_fraction * K)`,
/// `kt = floor((K - kc) / n)`. Common directions `Uc`, `Vc` = the top kc of S. Per input, the
/// top kt singular triplets of `(I - Uc Uc^T) tau_i` (what the common subspace misses). The left
/// vectors `[Uc, U_1t, .., U_nt]` and the right vectors `[Vc; V_1t; ..]` are replaced by their
/// polar factors, and the result is `mean(s_1..s_{kc + n kt} of S) U_hat V_hat`. `lambda` is the
/// engine's final multiplier.
///
/// Factored: every SVD comes from QRs of factors (`FactoredSVD`); `(I - Uc Uc^T) tau_i` is the
/// LoRA `(B_i - Uc (Uc^T B_i)) s_i A_i`. The result has rank `kc + n kt <= K`.
public struct IsoCTSStrategy: FactoredMergeStrategy {
    public static let info = StrategyInfo(
        name: "iso_cts",
        summary: "a flat spectrum over the sum's common directions plus each input's own directions",
        reference: "Iso-CTS, Marczak et al. ICML 2025 (arXiv:2502.04959), on the nonzero spectrum; numpy reference in the test fixtures",
        form: "exact, factored: rank kc + n kt <= numerical rank of the sum",
        parameters: [
            ParameterSpec("common_fraction", .real(0...1), default: .real(0.8),
                          doc: "fraction of the sum's K directions kept as the common subspace, in (0, 1]; the rest is shared among the inputs' own directions"),
            MergeScale.parameter,
        ])

    let commonFraction: Double

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        commonFraction = parameters.real("common_fraction")
        guard commonFraction > 0 else {
            throw SeedloraError(.usage, "iso_cts: parameter common_fraction = '\(ParameterValue.format(commonFraction))': expected a number in (0, 1]")
        }
    }

    /// DoRA deltas are dense, not LoRAs: refused with a message saying so.
    public func denseEquivalent() -> (any DenseModuleMerger)? {
        RefusingMerger(message: "iso_cts runs on LoRA factors, and DoRA deltas are not LoRAs")
    }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        try ConcurrentMap.run(input.modules, cancellation: cancellation) { group in try merge(group) }
    }

    func merge(_ group: ModuleGroup) throws -> LowRank {
        if let nan = NonFiniteFactors.result(for: group) { return nan }
        let n = group.deltas.count
        let sum = try SubspaceSum.svd(group.deltas, weights: Array(repeating: 1, count: n))
        let k = sum.numericalRank()
        let kc = InputSparsifier.count(commonFraction, of: k)
        let kt = (k - kc) / max(1, n)
        let uc = sum.u.columns(0..<kc)
        var lefts = [uc], rights = [sum.vt.rows(0..<kc)]
        if kt > 0 {
            for delta in group.deltas {
                // (I - Uc Uc^T) B_i, then the SVD of that times s_i A_i.
                let b = LinearAlgebra.Matrix(delta.b)
                var projected = b
                let inCommon = LinearAlgebra.matmul(uc, LinearAlgebra.matmul(uc, b, transposeA: true))
                for i in projected.data.indices { projected.data[i] -= inCommon.data[i] }
                let svd = try FactoredSVD(b: projected, a: LinearAlgebra.Matrix(delta.a).scaled(by: delta.scale))
                let take = min(kt, svd.s.count)
                lefts.append(svd.u.columns(0..<take))
                rights.append(svd.vt.rows(0..<take))
            }
        }
        let left = LinearAlgebra.Matrix.hstack(lefts), right = LinearAlgebra.Matrix.vstack(rights)
        guard left.cols > 0 else { return LowRank(b: left, a: right) }
        let level = SubspaceSum.mean(sum.s.prefix(kc + n * kt))
        return LowRank(b: try LinearAlgebra.polarFactor(left).scaled(by: level), a: try LinearAlgebra.polarFactor(right))
    }
}
