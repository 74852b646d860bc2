/// Best rank-k approximation of a dense matrix by randomized SVD (Halko, Martinsson & Tropp 2011,
/// algorithms 4.4 and 5.1): a sketch `Omega`, rounds of subspace iteration (each re-orthonormalised
/// by QR), then an exact SVD of the small projected matrix. The cost is the passes over the
/// matrix (sgemm): one for `M Omega`, two per power iteration, one for `Q^T M`.
///
/// Two sketches:
/// - Gaussian (no `start`): width k + `oversample` (default max(10, k)), 4 power iterations, 10
///   passes. With 2 iterations the top singular values of LoRA-merge deltas agree with an exact SVD
///   to ~1e-6 relative, but TIES results have flat spectra: 2 iterations gave 3.5e-3 there in this
///   project's tests, hence 4.
/// - Informed (`start`, e.g. the A factors of a merge's LoRA inputs): the transposed rows of the
///   start tensors, then Gaussian columns (at least 8, and enough to reach the Gaussian width), and
///   by default 1 power iteration: 4 passes. A dense merge of LoRA deltas (TIES trims and
///   sign-elects entrywise) has its leading right-singular directions close to, not inside, the
///   inputs' row spaces, so these columns start near the answer and one iteration finishes it.
///
/// Measured in numpy (float32 passes, float64 QR) on 4096 x 4096 TIES merges (density 0.2) of
/// random LoRA deltas, worst relative error of the top-k singular values against an exact SVD:
/// - 3 rank-8 inputs, k = 16 (sigma_17/sigma_16 = 0.994): Gaussian 32 wide, 4 iterations 3e-9,
///   2 iterations 1.2e-7, 1 iteration 2.4e-4; informed 24 + 8 wide, 0 iterations 3.9e-4,
///   1 iteration 1.3e-7.
/// - 3 rank-16 inputs, k = 16: the Gaussian sketch (32 wide, 4 iterations) is off by 1.4e-2: it is
///   narrower than the ~48 near-equal leading values it must separate; informed 48 + 8, 1 iteration: 8e-8.
///   5 rank-16 inputs, k = 16: Gaussian 2.2e-2, informed 80 + 8: 3.9e-7.
/// - 4, 8 or 16 Gaussian columns beside the start give the same accuracy (1.0e-7, 9.8e-8, 9.3e-8 at
///   k = 8); 8 are kept as a margin for directions the start misses (DoRA inputs, strategies that
///   leave the inputs' row spaces).
/// - A start wider than needed must not be compressed: a random mix of the 48 start columns into
///   24 gave 3e-2. So all start columns are used, up to min(rows, cols) - 8; a start wider than
///   that gives a Gaussian sketch of full width min(rows, cols), whose range is the matrix's.
/// - k beyond the start's columns (3 rank-8 inputs, k = 32): the trailing values lie in the flat
///   bulk the trimming leaves; informed with 1 iteration 1.2e-1, with 4 iterations 2.7e-2 (Gaussian:
///   2.6e-2). So then the default is 4 iterations, the Gaussian sketch's cost and accuracy.
///
/// Measured in Swift (release, one core, Haswell kernels, a loaded machine) on 11008 x 4096 TIES
/// merges (W7B's MLP shape), k = 16, median of 3, error against numpy's exact SVD:
/// - 3 rank-8 inputs: the previous code (Gaussian, its QR and energy sum) 0.71-0.79 s, error 3.0e-9;
///   Gaussian now 0.61-0.64 s, same bits; informed 0.25 s, error 9.0e-8.
/// - 3 rank-16 inputs: Gaussian 0.61 s, error 1.6e-2; informed (48 + 8 wide) 0.38 s, 4e-8.
///
/// The large products run in Float32 (sgemm); QR and the small SVD in Float64 (LAPACK). The
/// Gaussian columns come from `CounterRNG`, so results are reproducible. The energy is one dsdot
/// pass (Float64 accumulation; 15 ms on 45M entries where a Swift reduce took 45-60 ms).
public enum RandomizedSVD {
    public struct Result: Sendable {
        /// The rank-k factors (scale 1; `sqrt(sigma)` on each side).
        public let factors: LowRank
        /// The k singular values found, descending.
        public let values: [Double]
        /// Fraction of the squared Frobenius norm the approximation keeps (exact, from the matrix).
        public let energyKept: Double
    }

    /// Gaussian columns beside an informed start (see the type's comment).
    public static let gaussianBesideStart = 8

    /// `start`: tensors of `m.cols` columns whose rows lie near `m`'s leading right-singular
    /// directions (any rows are valid; only the accuracy depends on them). Tensors with a
    /// non-finite entry are left out. `powerIterations` defaults to 4 without a start (or when k
    /// exceeds its rows), else 1.
    public static func approximate(_ m: Tensor, rank k: Int, start: [Tensor] = [], oversample: Int? = nil,
                                   powerIterations: Int? = nil, rng: CounterRNG) throws -> Result {
        let oversample = oversample ?? max(10, k)
        let rows = m.rows, cols = m.cols
        let total = LinearAlgebra.sumOfSquares(m.data)
        let limit = min(rows, cols)
        let keep = min(k, limit)
        let gaussianWidth = min(keep + oversample, limit)
        guard keep > 0, gaussianWidth > 0 else {
            return Result(factors: LowRank(uncheckedB: Tensor(uncheckedShape: [rows, 0], data: []),
                                           a: Tensor(uncheckedShape: [0, cols], data: []), scale: 1),
                          values: [], energyKept: 1)
        }
        if let wrong = start.first(where: { $0.cols != cols }) {
            throw SeedloraError(.numerical, "internal: a randomized SVD start of shape \(wrong.shape) for a matrix of \(cols) columns")
        }
        let usable = start.filter { $0.firstNonFinite() == nil && $0.count > 0 }
        let startColumns = usable.reduce(0) { $0 + $1.count / cols }
        let (omega, width, iterations): ([Float], Int, Int)
        if start.isEmpty {
            omega = gaussian(cols: cols, width: gaussianWidth, rng: rng)
            (width, iterations) = (gaussianWidth, powerIterations ?? 4)
        } else if startColumns + gaussianBesideStart <= limit {
            let extra = min(max(gaussianBesideStart, gaussianWidth - startColumns), limit - startColumns)
            width = startColumns + extra
            omega = informed(usable, cols: cols, width: width, rng: rng)
            iterations = powerIterations ?? (keep <= startColumns ? 1 : 4)
        } else {
            omega = gaussian(cols: cols, width: limit, rng: rng)
            (width, iterations) = (limit, powerIterations ?? 1)
        }
        // Y = M Omega (rows x width), then power iterations Y = M (M^T Q).
        var y = LinearAlgebra.multiply(m.data, rows: rows, cols: cols, transposeX: false,
                                       omega, rows: cols, cols: width, transposeY: false)
        for _ in 0..<iterations {
            let q = try LinearAlgebra.orthonormalColumns(y, rows: rows, cols: width)
            let z = LinearAlgebra.multiply(m.data, rows: rows, cols: cols, transposeX: true,
                                           q, rows: rows, cols: width, transposeY: false)
            let qz = try LinearAlgebra.orthonormalColumns(z, rows: cols, cols: width)
            y = LinearAlgebra.multiply(m.data, rows: rows, cols: cols, transposeX: false,
                                       qz, rows: cols, cols: width, transposeY: false)
        }
        let q = try LinearAlgebra.orthonormalColumns(y, rows: rows, cols: width)
        // Small matrix Bm = Q^T M (width x cols); its SVD gives M's top singular triplets.
        let small = LinearAlgebra.multiply(q, rows: rows, cols: width, transposeX: true,
                                           m.data, rows: rows, cols: cols, transposeY: false)
        let (u, s, vt) = try LinearAlgebra.svd(LinearAlgebra.Matrix(rows: width, cols: cols, data: small.map(Double.init)))
        let left = LinearAlgebra.matmul(LinearAlgebra.Matrix(rows: rows, cols: width, data: q.map(Double.init)), u)
        var b = [Float](repeating: 0, count: rows * keep)
        var a = [Float](repeating: 0, count: keep * cols)
        for j in 0..<keep {
            let root = s[j].squareRoot()
            for i in 0..<rows { b[i * keep + j] = Float(left[i, j] * root) }
            for i in 0..<cols { a[j * cols + i] = Float(vt[j, i] * root) }
        }
        let kept = s.prefix(keep).reduce(0) { $0 + $1 * $1 }
        return Result(factors: LowRank(uncheckedB: Tensor(uncheckedShape: [rows, keep], data: b),
                                       a: Tensor(uncheckedShape: [keep, cols], data: a), scale: 1),
                      values: Array(s.prefix(keep)), energyKept: total > 0 ? min(1, kept / total) : 1)
    }

    /// A cols x width row-major Gaussian sketch; entry (i, j) is draw i * width + j.
    static func gaussian(cols: Int, width: Int, rng: CounterRNG) -> [Float] {
        var omega = [Float](repeating: 0, count: cols * width)
        fillGaussian(&omega, cols: cols, width: width, from: 0, rng: rng)
        return omega
    }

    /// The start's rows as the first columns of a cols x width sketch, then Gaussian columns.
    static func informed(_ start: [Tensor], cols: Int, width: Int, rng: CounterRNG) -> [Float] {
        var omega = [Float](repeating: 0, count: cols * width)
        var column = 0
        for t in start {
            let r = t.count / cols
            t.data.withUnsafeBufferPointer { src in
                omega.withUnsafeMutableBufferPointer { dst in
                    for row in 0..<r {
                        for i in 0..<cols { dst[i * width + column + row] = src[row * cols + i] }
                    }
                }
            }
            column += r
        }
        fillGaussian(&omega, cols: cols, width: width, from: column, rng: rng)
        return omega
    }

    /// Fills columns `from..<width` of a cols x width row-major sketch with Gaussian draws, entry
    /// (i, j) with draw i * (width - from) + (j - from): with `from` 0, the stream in order.
    static func fillGaussian(_ omega: inout [Float], cols: Int, width: Int, from: Int, rng: CounterRNG) {
        let g = width - from
        guard g > 0 else { return }
        omega.withUnsafeMutableBufferPointer { out in
            for i in 0..<cols {
                for j in 0..<g { out[i * width + from + j] = Float(rng.normal(i * g + j)) }
            }
        }
    }
}
