import Ops

/// The KnOTS space of one module's LoRA inputs (KnOTS, ICLR 2025, on the exact nonzero spectrum).
///
/// The thin SVD `[tau_1 | .. | tau_n] = U S [V_1 | .. | V_n]` (out x n in), keeping the K
/// components above 1e-9 times the largest singular value (the numerical rank): `U` is out x K
/// and each `V_i` is K x in. A method `f` on the `V_i` gives the LoRA `B' = U diag(S)`,
/// `A' = f(V_1, .., V_n)`.
///
/// With `[tau] = [B_1 .. B_n] blockdiag(s_i A_i)`, QRs of `[B]` and of each `(s_i A_i)^T` reduce
/// the SVD to one of an R x R matrix; nothing `out x n in` is formed.
struct KnotsSpace {
    /// out x K.
    let u: LinearAlgebra.Matrix
    /// K values, descending.
    let s: [Double]
    /// K x in each, in input order.
    let factors: [LinearAlgebra.Matrix]

    init(_ deltas: [LowRank]) throws {
        let stacked = try StackedFactors(deltas)
        let (qb, rb) = stacked.qrOfB
        // (s_i A_i)^T = Q_i R_i, so tau_i = Q_b (R_b[:, block i] R_i^T) Q_i^T.
        var middle: [LinearAlgebra.Matrix] = []
        var qs: [LinearAlgebra.Matrix] = []
        for (block, scale) in zip(stacked.blocks, stacked.scales) {
            let (qi, ri) = try LinearAlgebra.thinQR(transposeOf: stacked.a.rows(block).scaled(by: scale))
            middle.append(LinearAlgebra.matmul(rb.columns(block), ri, transposeB: true))
            qs.append(qi)
        }
        let (p, values, wt) = try LinearAlgebra.svd(.hstack(middle))
        let top = values.first ?? 0
        let k = top > 0 ? values.filter { $0 > 1e-9 * top }.count : 0
        u = LinearAlgebra.matmul(qb, p.columns(0..<k))
        s = Array(values.prefix(k))
        var start = 0
        factors = zip(middle, qs).map { m, q in
            defer { start += m.cols }
            // V_i = W^T[:K, block i] Q_i^T.
            return LinearAlgebra.matmul(wt.rows(0..<k).columns(start..<(start + m.cols)), q, transposeB: true)
        }
    }

    /// `U diag(S) f` as a LoRA.
    func lift(_ f: LinearAlgebra.Matrix) -> LowRank {
        LowRank(b: u.scalingColumns(by: s), a: f)
    }
}
