internal import CBLAS
internal import CKernels

/// Dense linear algebra on row-major Float64 matrices, through OpenBLAS and LAPACKE.
///
/// This is the only file that sees the BLAS/LAPACK C API. LAPACK status codes become
/// `SeedloraError(.numerical)` with LAPACK's meaning kept: info < 0 is a bad argument (our bug),
/// info > 0 means the algorithm did not converge.
public enum LinearAlgebra {
    /// A row-major matrix of doubles.
    public struct Matrix: Sendable, Equatable {
        public var rows: Int
        public var cols: Int
        public var data: [Double]

        public init(rows: Int, cols: Int, data: [Double]) {
            precondition(data.count == rows * cols, "matrix data does not match its shape")
            self.rows = rows
            self.cols = cols
            self.data = data
        }

        public init(zeros rows: Int, _ cols: Int) {
            self.init(rows: rows, cols: cols, data: [Double](repeating: 0, count: rows * cols))
        }

        public init(_ tensor: Tensor) {
            let count = tensor.count
            let data = [Double](unsafeUninitializedCapacity: count) { dst, initialized in
                tensor.data.withUnsafeBufferPointer { src in
                    for i in 0..<count { dst[i] = Double(src[i]) }
                }
                initialized = count
            }
            self.init(rows: tensor.rows, cols: tensor.cols, data: data)
        }

        public subscript(i: Int, j: Int) -> Double {
            get { data[i * cols + j] }
            set { data[i * cols + j] = newValue }
        }

        public func transposed() -> Matrix {
            Matrix(rows: cols, cols: rows, data: LinearAlgebra.transposing(data, rows: rows, cols: cols))
        }

        public func toTensor() -> Tensor {
            let count = data.count
            let values = [Float](unsafeUninitializedCapacity: count) { dst, initialized in
                data.withUnsafeBufferPointer { src in
                    for i in 0..<count { dst[i] = Float(src[i]) }
                }
                initialized = count
            }
            return Tensor(uncheckedShape: [rows, cols], data: values)
        }
    }

    /// `op(a) * op(b)` with optional transposes.
    public static func matmul(_ a: Matrix, _ b: Matrix, transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "matmul inner dimensions differ")
        var c = Matrix(zeros: m, n)
        if m == 0 || n == 0 || k == 0 { return c }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1.0, a.data, Int32(a.cols), b.data, Int32(b.cols),
                    0.0, &c.data, Int32(n))
        return c
    }

    /// `alpha * b @ a` in Float32 (sgemm): b is m x k, a is k x n, both row-major.
    /// Densifying a LoRA delta sums only r products per entry, so Float32 keeps it to ~1e-7.
    public static func multiply(_ b: [Float], _ a: [Float], m: Int, k: Int, n: Int, alpha: Float) -> [Float] {
        var out = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return out }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
                    b, Int32(k), a, Int32(n), 0, &out, Int32(n))
        return out
    }

    /// `op(x) * op(y)` in Float32 with optional transposes (for randomized SVD on dense deltas).
    public static func multiply(_ x: [Float], rows xr: Int, cols xc: Int, transposeX: Bool,
                                _ y: [Float], rows yr: Int, cols yc: Int, transposeY: Bool) -> [Float] {
        let m = transposeX ? xc : xr, k = transposeX ? xr : xc
        let n = transposeY ? yr : yc
        precondition(k == (transposeY ? yc : yr), "multiply inner dimensions differ")
        var out = [Float](repeating: 0, count: m * n)
        guard m > 0, n > 0, k > 0 else { return out }
        cblas_sgemm(CblasRowMajor, transposeX ? CblasTrans : CblasNoTrans, transposeY ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, x, Int32(xc), y, Int32(yc), 0, &out, Int32(n))
        return out
    }

    /// Dot product of two Float32 vectors accumulated in Float64 (dsdot): exact enough for the
    /// norms of 45M-entry deltas.
    public static func dot(_ x: [Float], _ y: [Float]) -> Double {
        let n = min(x.count, y.count)
        guard n > 0 else { return 0 }
        // dsdot takes a 32-bit count; long vectors go in chunks.
        var total = 0.0
        var start = 0
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeBufferPointer { yp in
                guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                while start < n {
                    let len = min(n - start, 1 << 30)
                    total += cblas_dsdot(Int32(len), xb + start, 1, yb + start, 1)
                    start += len
                }
            }
        }
        return total
    }

    /// The sum of squares of a Float32 vector, accumulated in Float64 (dsdot of x with itself):
    /// the Frobenius energy of a dense module in one vectorised pass.
    public static func sumOfSquares(_ x: [Float]) -> Double {
        dot(x, x)
    }

    /// `a^T a` (cols x cols), symmetric, through dsyrk.
    public static func gramOfColumns(_ a: Matrix) -> Matrix {
        syrk(a, transpose: true)
    }

    /// `a a^T` (rows x rows), symmetric, through dsyrk.
    public static func gramOfRows(_ a: Matrix) -> Matrix {
        syrk(a, transpose: false)
    }

    private static func syrk(_ a: Matrix, transpose: Bool) -> Matrix {
        let n = transpose ? a.cols : a.rows
        let k = transpose ? a.rows : a.cols
        var c = Matrix(zeros: n, n)
        if n == 0 || k == 0 { return c }
        cblas_dsyrk(CblasRowMajor, CblasUpper, transpose ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), 1.0, a.data, Int32(a.cols), 0.0, &c.data, Int32(n))
        for i in 0..<n { for j in 0..<i { c.data[i * n + j] = c.data[j * n + i] } }
        return c
    }

    /// Thin QR: `a = q r` with `q` (m x k) orthonormal columns and `r` (k x n), k = min(m, n).
    public static func thinQR(_ a: Matrix) throws -> (q: Matrix, r: Matrix) {
        var columnMajor = transposing(a.data, rows: a.rows, cols: a.cols)
        return try thinQR(columnMajor: &columnMajor, rows: a.rows, cols: a.cols)
    }

    /// `thinQR` of the `rows x cols` matrix whose entries are `columnMajor`, column by column.
    /// The array is consumed: a temporary passed in is factored in place, not copied.
    public static func thinQR(columnMajor: consuming [Double], rows: Int, cols: Int) throws -> (q: Matrix, r: Matrix) {
        precondition(columnMajor.count == rows * cols, "thinQR: data does not match the shape")
        return try thinQR(columnMajor: &columnMajor, rows: rows, cols: cols)
    }

    /// `thinQR` of `[B_1 .. B_n]` for Float32 factors `parts` (part i: `rows x r_i`), stacked in
    /// one pass into the column-major layout LAPACK reads (`columnMajorStack`).
    public static func thinQR(stacking parts: [Tensor], rows: Int) throws -> (q: Matrix, r: Matrix) {
        try thinQR(columnMajor: columnMajorStack(parts, rows: rows), rows: rows, cols: parts.reduce(0) { $0 + $1.cols })
    }

    /// The Float32 row-major matrices `parts` (part i: `rows x widths[i]`) side by side, as one
    /// column-major Float64 matrix (`rows x sum(widths)`): `[B_1 .. B_n]` the way LAPACK reads it.
    public static func columnMajorStack(_ parts: [Tensor], rows: Int) -> [Double] {
        let total = parts.reduce(0) { $0 + $1.cols }
        return [Double](unsafeUninitializedCapacity: rows * total) { dst, initialized in
            var column = 0
            for part in parts {
                precondition(part.rows == rows, "columnMajorStack: row counts differ")
                part.data.withUnsafeBufferPointer {
                    seedlora_transpose_f32_to_f64($0.baseAddress, rows, part.cols, dst.baseAddress.map { $0 + column * rows })
                }
                column += part.cols
            }
            initialized = rows * total
        }
    }

    /// The row-major `cols x rows` transpose of a row-major `rows x cols` matrix (equivalently:
    /// the matrix in column-major order), copied in tiles.
    static func transposing(_ data: [Double], rows: Int, cols: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: rows * cols) { dst, initialized in
            data.withUnsafeBufferPointer { seedlora_transpose_f64($0.baseAddress, rows, cols, dst.baseAddress) }
            initialized = rows * cols
        }
    }

    /// `thinQR(a.transposed())` without the transposed copy: a row-major matrix is its
    /// transpose stored column-major, which is what LAPACK reads.
    public static func thinQR(transposeOf a: Matrix) throws -> (q: Matrix, r: Matrix) {
        var columnMajor = a.data
        return try thinQR(columnMajor: &columnMajor, rows: a.cols, cols: a.rows)
    }

    /// dgeqrf and dorgqr on a column-major m x n matrix, results row-major. LAPACKE's row-major
    /// interface would transpose into exactly this layout, call the same routines and transpose
    /// back, so the bits are the same. Measured on a W7B `tsv` merge: LAPACKE's transpositions
    /// were 17 % of the samples; done here, once each and without `transposed()` copies, the
    /// merge's CPU time barely moved (3.09 to 3.06 s): the copies of these tall matrices cost
    /// what they cost wherever they are made.
    private static func thinQR(columnMajor work: inout [Double], rows m: Int, cols n: Int) throws -> (q: Matrix, r: Matrix) {
        let k = min(m, n)
        if k == 0 { return (Matrix(zeros: m, 0), Matrix(zeros: 0, n)) }
        var tau = [Double](repeating: 0, count: k)
        try householderQR(&work, rows: m, cols: n, tau: &tau)
        var r = Matrix(zeros: k, n)
        work.withUnsafeBufferPointer { src in
            r.data.withUnsafeMutableBufferPointer { dst in
                for i in 0..<k { for j in i..<n { dst[i * n + j] = src[j * m + i] } }
            }
        }
        // The reflectors are the first k columns: a contiguous prefix in column-major order.
        var q = Array(work.prefix(m * k))
        try formQ(&q, rows: m, cols: k, tau: tau)
        // Column-major m x k is row-major k x m: its transpose is the row-major q.
        return (Matrix(rows: m, cols: k, data: transposing(q, rows: k, cols: m)), r)
    }

    /// dgeqrf on a column-major `rows x cols` matrix, through LAPACKE's `_work` entry point: the
    /// plain one first scans the whole matrix for NaN (4.5 % of a W7B `tsv` merge), which the
    /// inputs have had already; a NaN that is let through (`--allow-nonfinite`) propagates.
    static func householderQR(_ a: inout [Double], rows m: Int, cols n: Int, tau: inout [Double]) throws {
        var size = 0.0
        try check(LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, Int32(m), Int32(n), &a, Int32(m), &tau, &size, -1), "dgeqrf")
        var work = [Double](repeating: 0, count: max(1, Int(size)))
        try check(LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, Int32(m), Int32(n), &a, Int32(m), &tau, &work, Int32(work.count)), "dgeqrf")
    }

    /// dorgqr (the first `cols` columns of Q from dgeqrf's reflectors), without the NaN scan.
    static func formQ(_ a: inout [Double], rows m: Int, cols k: Int, tau: [Double]) throws {
        var size = 0.0
        try check(LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, Int32(m), Int32(k), Int32(k), &a, Int32(m), tau, &size, -1), "dorgqr")
        var work = [Double](repeating: 0, count: max(1, Int(size)))
        try check(LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, Int32(m), Int32(k), Int32(k), &a, Int32(m), tau, &work, Int32(work.count)), "dorgqr")
    }

    /// An orthonormal basis of the columns of a row-major rows x cols Float32 matrix, rows >= cols:
    /// `thinQR`'s q (the same dgeqrf and dorgqr on the same numbers, so the same bits), computed
    /// on one column-major Float64 copy that the conversion writes, without LAPACKE's row-major
    /// transpositions and the copies around them: on 11008 x 32, 8 ms instead of 23 ms (measured,
    /// single-threaded Haswell kernels), called 3 to 9 times per randomized SVD.
    public static func orthonormalColumns(_ x: [Float], rows m: Int, cols n: Int) throws -> [Float] {
        precondition(x.count == m * n && m >= n, "orthonormalColumns needs a tall matrix")
        if n == 0 { return [] }
        var a = [Double](unsafeUninitializedCapacity: m * n) { dst, initialized in
            x.withUnsafeBufferPointer { seedlora_transpose_f32_to_f64($0.baseAddress, m, n, dst.baseAddress) }
            initialized = m * n
        }
        var tau = [Double](repeating: 0, count: n)
        try householderQR(&a, rows: m, cols: n, tau: &tau)
        try formQ(&a, rows: m, cols: n, tau: tau)
        // Column-major m x n is row-major n x m.
        let out = [Float](unsafeUninitializedCapacity: m * n) { dst, initialized in
            a.withUnsafeBufferPointer { seedlora_transpose_f64_to_f32($0.baseAddress, n, m, dst.baseAddress) }
            initialized = m * n
        }
        return out
    }

    /// Thin SVD `a = u diag(s) vt`, singular values descending (dgesdd, with dgesvd as fallback).
    public static func svd(_ a: Matrix) throws -> (u: Matrix, s: [Double], vt: Matrix) {
        let m = a.rows, n = a.cols, k = min(m, n)
        if k == 0 { return (Matrix(zeros: m, 0), [], Matrix(zeros: 0, n)) }
        var work = a.data
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: m * k)
        var vt = [Double](repeating: 0, count: k * n)
        let info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int32(m), Int32(n), &work, Int32(n),
                                  &s, &u, Int32(k), &vt, Int32(n))
        if info > 0 {
            // Divide and conquer can fail to converge where the QR iteration succeeds.
            work = a.data
            var superb = [Double](repeating: 0, count: max(k - 1, 1))
            try check(LAPACKE_dgesvd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "S")), Int8(UInt8(ascii: "S")),
                                     Int32(m), Int32(n), &work, Int32(n), &s, &u, Int32(k), &vt, Int32(n), &superb),
                      "dgesvd")
        } else {
            try check(info, "dgesdd")
        }
        return (Matrix(rows: m, cols: k, data: u), s, Matrix(rows: k, cols: n, data: vt))
    }

    private static func check(_ info: Int32, _ routine: String) throws {
        if info < 0 {
            throw SeedloraError(.numerical, "LAPACK \(routine): argument \(-info) was invalid (a seedlora bug; please report it)")
        }
        if info > 0 {
            throw SeedloraError(.numerical, "LAPACK \(routine) did not converge (info \(info)); the input may contain extreme values")
        }
    }

    /// Sets OpenBLAS's own thread count. Module-parallel loops call BLAS from every core at once;
    /// letting each call spawn threads too oversubscribes the machine (seen: most time in the
    /// scheduler), so they run BLAS single-threaded.
    public static func setBLASThreads(_ n: Int) {
        // Only on a change: setting any count starts OpenBLAS's worker threads again when they
        // were stopped (`stopBLASThreads`), and they spin for 0.1 s.
        let count = Int32(max(1, n))
        if openblas_get_num_threads() != count { openblas_set_num_threads(count) }
    }

    /// Makes BLAS single-threaded for the whole process and stops OpenBLAS's worker threads.
    /// seedlora parallelises over modules itself, and every BLAS call runs on one thread (see
    /// `setBLASThreads`); but OpenBLAS starts its workers when it loads, and each spins on
    /// `sched_yield` for about 2^28 cycles (0.1 s) before it sleeps. Measured on a 2-core
    /// machine: 13 % of a 0.3 s factored merge was that spinning, on a core the merge needed.
    public static func stopBLASThreads() {
        openblas_set_num_threads(1)
        blas_thread_shutdown_()
    }

    /// The kernel set OpenBLAS runs (see `BLASKernels`).
    public static var blasCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The OpenBLAS build, for `seedlora version`.
    public static var blasDescription: String {
        guard let config = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: config)
    }
}
