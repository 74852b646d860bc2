internal import CBLAS

/// Rows of a low-rank delta, densified on demand: what dense merge methods read instead of the
/// whole out x in matrix.
///
/// A block of `rows.count` rows costs one small sgemm (`scale * B[rows] @ A`) and lives in a
/// caller's buffer that fits in cache, so a dense method can pass over a module several times
/// (threshold selection, then the merge) by recomputing blocks, where materialising the module
/// would cost a fresh out x in allocation per input and a trip to memory per pass. The values
/// are the same sgemm products `denseFloat()` gives: OpenBLAS computes each entry as the same
/// r-term sum in the same order whatever the row range, so they are bit-identical (tested).
extension LowRank {
    /// Writes rows `range` of `scale * b @ a` (row-major, `range.count x cols`) into `out`.
    public func denseRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let m = range.count, n = cols, k = rank
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            out.initialize(repeating: 0, count: m * n)
            return
        }
        b.data.withUnsafeBufferPointer { bp in
            a.data.withUnsafeBufferPointer { ap in
                guard let bBase = bp.baseAddress, let aBase = ap.baseAddress else { return }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), Float(scale),
                            bBase + range.lowerBound * k, Int32(k), aBase, Int32(n), 0, out, Int32(n))
            }
        }
    }
}
