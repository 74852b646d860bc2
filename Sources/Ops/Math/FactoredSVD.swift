/// Thin SVD of a product `b @ a` (b: m x r, a: r x n, Float64) without forming the m x n matrix:
/// QR of `b` and `a^T` reduce it to the small core `R_b R_a^T`, whose SVD (dgesdd) gives the
/// singular values and vectors of the product. Cost O((m + n) r^2).
///
/// Unlike `LowRankSVD` (rank-k exports), the singular vectors stay in Float64 and are public:
/// the subspace merges (TSV, Iso-C, Iso-CTS, KnOTS) are built from them.
public struct FactoredSVD: Sendable {
    /// m x k, orthonormal columns (k = min(m, n, r)).
    public let u: LinearAlgebra.Matrix
    /// Descending.
    public let s: [Double]
    /// k x n, orthonormal rows.
    public let vt: LinearAlgebra.Matrix

    public init(b: LinearAlgebra.Matrix, a: LinearAlgebra.Matrix) throws {
        precondition(b.cols == a.rows, "FactoredSVD: factors do not chain")
        try self.init(qrOfB: LinearAlgebra.thinQR(b), a: a)
    }

    /// The SVD of `[B_1 .. B_n] @ a` for Float32 factors `parts` (part i: `rows x r_i`), stacked
    /// in one pass straight into the column-major layout LAPACK reads: the numbers of
    /// `init(b: .hstack(...), a:)` without its row-major copy and transpose.
    public init(stacking parts: [Tensor], rows: Int, a: LinearAlgebra.Matrix) throws {
        precondition(parts.reduce(0) { $0 + $1.cols } == a.rows, "FactoredSVD: factors do not chain")
        try self.init(qrOfB: LinearAlgebra.thinQR(stacking: parts, rows: rows), a: a)
    }

    private init(qrOfB: (q: LinearAlgebra.Matrix, r: LinearAlgebra.Matrix), a: LinearAlgebra.Matrix) throws {
        let (qb, rb) = qrOfB
        let (qa, ra) = try LinearAlgebra.thinQR(transposeOf: a)
        let core = LinearAlgebra.matmul(rb, ra, transposeB: true)
        let (p, values, wt) = try LinearAlgebra.svd(core)
        u = LinearAlgebra.matmul(qb, p)
        s = values
        vt = LinearAlgebra.matmul(wt, qa, transposeB: true)
    }

    /// The SVD of `scale * b @ a` for a stored LoRA delta.
    public init(_ delta: LowRank) throws {
        try self.init(b: LinearAlgebra.Matrix(delta.b), a: LinearAlgebra.Matrix(delta.a).scaled(by: delta.scale))
    }

    /// How many singular values exceed `relative` times the largest (the numerical rank).
    public func numericalRank(relative: Double = 1e-9) -> Int {
        guard let top = s.first, top > 0 else { return 0 }
        return s.filter { $0 > relative * top }.count
    }
}

extension LinearAlgebra {
    /// The polar factor `P Q^T` of `x = P S Q^T` (thin SVD): the orthonormal matrix nearest to `x`.
    /// A tall x goes through a QR first (so the SVD is k x k); a wide x is done transposed.
    public static func polarFactor(_ x: Matrix) throws -> Matrix {
        // A wide x: polar(x) = polar(x^T)^T, and x's rows are x^T's columns in the column-major
        // order LAPACK reads, so thinQR(transposeOf:) needs no copy (it used to be transposed
        // twice on the way in; the numbers are the same).
        let (q, r) = try x.rows < x.cols ? thinQR(transposeOf: x) : thinQR(x)
        let (p, _, wt) = try svd(r)
        let polar = matmul(q, matmul(p, wt))
        return x.rows < x.cols ? polar.transposed() : polar
    }
}
