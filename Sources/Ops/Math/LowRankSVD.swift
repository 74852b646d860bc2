/// Singular value decomposition of a factored matrix `scale * b @ a` without densifying it.
///
/// QR of `b` (out x r) and of `a^T` (in x r) reduce the problem to the r x r core `R_b R_a^T`;
/// its SVD gives the exact singular values and vectors of the product (Eckart-Young: keeping the
/// top k is the best rank-k approximation in Frobenius and spectral norm).
public struct LowRankSVD: Sendable {
    /// Singular values, descending (exactly `min(r, out, in)` of them; trailing ones may be 0).
    public let values: [Double]
    let left: LinearAlgebra.Matrix    // out x m, orthonormal columns
    let rightT: LinearAlgebra.Matrix  // m x in, orthonormal rows

    public init(_ delta: LowRank) throws {
        let b = LinearAlgebra.Matrix(delta.b)
        let (qb, rb) = try LinearAlgebra.thinQR(b)
        let (qa, ra) = try LinearAlgebra.thinQR(transposeOf: LinearAlgebra.Matrix(delta.a))
        var core = LinearAlgebra.matmul(rb, ra, transposeB: true)
        for i in core.data.indices { core.data[i] *= delta.scale }
        let (u, s, vt) = try LinearAlgebra.svd(core)
        values = s
        left = LinearAlgebra.matmul(qb, u)
        rightT = LinearAlgebra.matmul(vt, qa, transposeB: true)
    }

    /// Fraction of the squared Frobenius norm kept by the top `k` values (1 for a zero matrix).
    public func energyKept(rank k: Int) -> Double {
        let total = values.reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 1 }
        return values.prefix(k).reduce(0) { $0 + $1 * $1 } / total
    }

    /// The best rank-k approximation as factors with scale 1; `sqrt(sigma)` goes to each side so
    /// both factors have similar magnitudes (this matters when they are stored as bf16/f16).
    public func truncated(rank k: Int) -> LowRank {
        let m = min(k, values.count)
        let out = left.rows, inn = rightT.cols
        var b = [Float](repeating: 0, count: out * m)
        var a = [Float](repeating: 0, count: m * inn)
        for j in 0..<m {
            let root = values[j].squareRoot()
            for i in 0..<out { b[i * m + j] = Float(left[i, j] * root) }
            for i in 0..<inn { a[j * inn + i] = Float(rightT[j, i] * root) }
        }
        return LowRank(uncheckedB: Tensor(uncheckedShape: [out, m], data: b), a: Tensor(uncheckedShape: [m, inn], data: a), scale: 1)
    }
}
