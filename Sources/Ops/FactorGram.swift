/// Everything second-order about a group of same-shaped low-rank deltas, from their factors.
///
/// Stack the factors as `B = [B_1 ... B_n]` (out x R) and `A = [A_1; ...; A_n]` (R x in). Then
/// with `G_B = B^T B` and `G_A = A A^T` (both R x R, one dsyrk each):
///
///     <tau_i, tau_j>_F = s_i s_j * sum_{p in i, q in j} G_B[p, q] * G_A[p, q]
///     sum(tau_i)       = s_i * sum_{p in i} (1^T B)_p * (A 1)_p
///
/// which is `trace((B_i^T B_j)(A_j A_i^T))` written elementwise. Cost O((out + in) R^2) in Float64,
/// instead of O(out * in * r) to densify. Every linear combination `sum c_i tau_i` (a soup, the
/// SeedLoRA average) then has exact moments from the same matrices.
public struct FactorGram: Sendable {
    public let count: Int
    public let elementCount: Double
    let scales: [Double]
    let offsets: [Int]
    let total: Int
    let gramB: [Double]
    let gramA: [Double]
    let colSumB: [Double]
    let rowSumA: [Double]

    /// Builds the Gram matrices of `deltas`, which must share one shape.
    public init(_ deltas: [LowRank]) {
        count = deltas.count
        scales = deltas.map(\.scale)
        var offsets: [Int] = []
        var total = 0
        for d in deltas { offsets.append(total); total += d.rank }
        self.offsets = offsets
        self.total = total
        let rows = deltas.first?.rows ?? 0
        let cols = deltas.first?.cols ?? 0
        elementCount = Double(rows) * Double(cols)

        var stackedB = LinearAlgebra.Matrix(zeros: rows, total)
        var stackedA = LinearAlgebra.Matrix(zeros: total, cols)
        var colSumB = [Double](repeating: 0, count: total)
        var rowSumA = [Double](repeating: 0, count: total)
        for (k, d) in deltas.enumerated() {
            let r = d.rank, o = offsets[k]
            d.b.data.withUnsafeBufferPointer { src in
                for i in 0..<rows {
                    for j in 0..<r {
                        let v = Double(src[i * r + j])
                        stackedB.data[i * total + o + j] = v
                        colSumB[o + j] += v
                    }
                }
            }
            d.a.data.withUnsafeBufferPointer { src in
                for p in 0..<r {
                    var s = 0.0
                    for j in 0..<cols {
                        let v = Double(src[p * cols + j])
                        stackedA.data[(o + p) * cols + j] = v
                        s += v
                    }
                    rowSumA[o + p] = s
                }
            }
        }
        gramB = LinearAlgebra.gramOfColumns(stackedB).data
        gramA = LinearAlgebra.gramOfRows(stackedA).data
        self.colSumB = colSumB
        self.rowSumA = rowSumA
    }

    /// Frobenius inner product `<tau_i, tau_j>`.
    public func inner(_ i: Int, _ j: Int) -> Double {
        var s = 0.0
        for p in offsets[i]..<(offsets[i] + rank(i)) {
            for q in offsets[j]..<(offsets[j] + rank(j)) { s += gramB[p * total + q] * gramA[p * total + q] }
        }
        return scales[i] * scales[j] * s
    }

    /// Sum of all entries of `tau_i`.
    public func sum(_ i: Int) -> Double {
        var s = 0.0
        for p in offsets[i]..<(offsets[i] + rank(i)) { s += colSumB[p] * rowSumA[p] }
        return scales[i] * s
    }

    func rank(_ i: Int) -> Int { (i + 1 < count ? offsets[i + 1] : total) - offsets[i] }

    public func moments(of i: Int) -> Moments {
        Moments(count: elementCount, sum: sum(i), sumOfSquares: inner(i, i))
    }

    /// Moments of `sum_i coefficients[i] * tau_i`.
    public func moments(ofCombination coefficients: [Double]) -> Moments {
        var s = 0.0, q = 0.0
        for i in 0..<count {
            s += coefficients[i] * sum(i)
            for j in 0..<count { q += coefficients[i] * coefficients[j] * inner(i, j) }
        }
        return Moments(count: elementCount, sum: s, sumOfSquares: q)
    }

    /// Cosine similarity of the flattened deltas (0 when either is zero).
    public func cosine(_ i: Int, _ j: Int) -> Double {
        let d = (inner(i, i) * inner(j, j)).squareRoot()
        return d > 0 ? inner(i, j) / d : 0
    }
}
