import Ops

/// The core space of one module's LoRA inputs (Core Space merging, NeurIPS 2025, on exact bases).
///
/// `U` = left singular vectors of `[B_1 .. B_n]` (out x kb, kb = min(out, R)), `Vh` = right
/// singular vectors of `[A_1; ..; A_n]` (ka x in, ka = min(in, R)), and each input's core matrix
/// `M_i = U^T tau_i Vh^T = s_i (U^T B_i)(A_i Vh^T)` (kb x ka). Every `tau_i` lies in
/// `span(U) x span(Vh)`, so `U M_i Vh = tau_i` exactly: the space loses nothing.
///
/// Computed in Float64 from QRs of the stacked factors and SVDs of their R x R triangles; nothing
/// `out x in` is formed. Each basis vector is fixed up to its sign (LAPACK's choice), the same
/// for every input, which element-wise methods do not see (they treat `x` and `-x` alike).
struct CoreSpace {
    /// out x kb.
    let u: LinearAlgebra.Matrix
    /// ka x in.
    let vh: LinearAlgebra.Matrix
    /// kb x ka each, in input order.
    let cores: [LinearAlgebra.Matrix]

    init(_ deltas: [LowRank]) throws {
        let stacked = try StackedFactors(deltas)
        // [B_1 .. B_n] = Q_b R_b, R_b = P S W^T: U = Q_b P and U^T B_i = P^T R_b[:, block i].
        let (qb, rb) = stacked.qrOfB
        let (pb, _, _) = try LinearAlgebra.svd(rb)
        u = LinearAlgebra.matmul(qb, pb)
        let left = LinearAlgebra.matmul(pb, rb, transposeA: true)   // U^T [B_1 .. B_n], kb x R
        // [A_1; ..; A_n]^T = Q_a R_a, so [A] = R_a^T Q_a^T; R_a^T = P' S' W'^T gives
        // Vh = W'^T Q_a^T and A_i Vh^T = R_a^T[block i, :] W'.
        let (qa, ra) = try LinearAlgebra.thinQR(transposeOf: stacked.a)
        let raT = ra.transposed()
        let (_, _, wt) = try LinearAlgebra.svd(raT)
        vh = LinearAlgebra.matmul(wt, qa, transposeB: true)
        let right = LinearAlgebra.matmul(raT, wt, transposeB: true)   // [A] Vh^T, R x ka
        cores = zip(stacked.blocks, stacked.scales).map { block, scale in
            LinearAlgebra.matmul(left.columns(block), right.rows(block)).scaled(by: scale)
        }
    }

    /// `U m Vh` as a LoRA: `B' = U m` (out x ka), `A' = Vh`.
    func lift(_ m: LinearAlgebra.Matrix) -> LowRank {
        LowRank(b: LinearAlgebra.matmul(u, m), a: vh)
    }
}
