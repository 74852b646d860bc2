internal import CKernels

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
public struct FactorGram: DeltaGeometry {
    public let count: Int
    public let elementCount: Double
    let scales: [Double]
    let offsets: [Int]
    let total: Int
    let gramB: [Double]
    let gramA: [Double]
    let colSumB: [Double]
    let rowSumA: [Double]

    /// Builds the Gram matrices of `deltas`, which must share one shape (no stacked copy: the
    /// kernel reads each factor where it is).
    public init(_ deltas: [LowRank]) {
        let rows = deltas.first?.rows ?? 0
        let cols = deltas.first?.cols ?? 0
        // Callers check shapes with a message (the kernel reads rows x rank and rank x cols).
        precondition(deltas.allSatisfy { $0.rows == rows && $0.cols == cols }, "FactorGram: deltas of different shapes")
        self = Tensor.withDataPointers(deltas.map(\.b)) { b in Tensor.withDataPointers(deltas.map(\.a)) { a in
            FactorGram(bParts: zip(deltas, b).map { seedlora_gram_part(data: $1, rank: $0.rank, ld: $0.rank) },
                       aParts: zip(deltas, a).map { seedlora_gram_part(data: $1, rank: $0.rank, ld: cols) },
                       rows: rows, cols: cols, ranks: deltas.map(\.rank), scales: deltas.map(\.scale))
        } }
    }

    /// Builds the Gram matrices from factors already stacked in Float32: `stackedB` is
    /// rows x ldb (its first sum(ranks) columns are `[B_1 .. B_n]`), `stackedA` holds the rows
    /// `[A_1; ..; A_n]` of length `cols`.
    public init(stackedB: UnsafeBufferPointer<Float>, rows: Int, ldb: Int, stackedA: UnsafeBufferPointer<Float>,
                cols: Int, ranks: [Int], scales: [Double]) {
        let total = ranks.reduce(0, +)
        precondition(stackedB.count >= rows * ldb && ldb >= total && stackedA.count >= total * cols,
                     "FactorGram: stacked factors smaller than their shape")
        self.init(bParts: [seedlora_gram_part(data: stackedB.baseAddress, rank: total, ld: ldb)],
                  aParts: [seedlora_gram_part(data: stackedA.baseAddress, rank: total, ld: cols)],
                  rows: rows, cols: cols, ranks: ranks, scales: scales)
    }

    /// Accumulation is in Float64 straight from the Float32 factors (`Sources/CKernels/gram.c`):
    /// the only memory traffic is reading each factor once. Before, the factors were copied to
    /// Float64 in chunks for dsyrk, and that copy cost more than the products.
    private init(bParts: [seedlora_gram_part], aParts: [seedlora_gram_part], rows: Int, cols: Int,
                 ranks: [Int], scales: [Double]) {
        count = ranks.count
        self.scales = scales
        var offsets: [Int] = []
        var total = 0
        for r in ranks { offsets.append(total); total += r }
        self.offsets = offsets
        self.total = total
        elementCount = Double(rows) * Double(cols)
        var scratch = [Double](repeating: 0, count: seedlora_gram_scratch_count(total))
        var gramB = [Double](repeating: 0, count: total * total)
        var colSumB = [Double](repeating: 0, count: total)
        var gramA = [Double](repeating: 0, count: total * total)
        var rowSumA = [Double](repeating: 0, count: total)
        if total > 0 {
            seedlora_gram_of_columns(bParts, bParts.count, rows, &scratch, &gramB, &colSumB)
            seedlora_gram_of_rows(aParts, aParts.count, cols, &scratch, &gramA, &rowSumA)
        }
        self.gramB = gramB
        self.gramA = gramA
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
}

/// Inner products and sums of a group of same-shaped deltas: all that linear-combination merge
/// methods (soups, SeedLoRA, slerp, model stock, Karcher) need. `FactorGram` computes it from
/// LoRA factors, `DenseGram` from dense matrices (DoRA deltas, which depend on the base).
public protocol DeltaGeometry: Sendable {
    var count: Int { get }
    var elementCount: Double { get }
    /// Frobenius inner product `<tau_i, tau_j>`.
    func inner(_ i: Int, _ j: Int) -> Double
    /// Sum of all entries of `tau_i`.
    func sum(_ i: Int) -> Double
}

extension DeltaGeometry {
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

/// `DeltaGeometry` of dense deltas, accumulated in Float64 (dsdot).
public struct DenseGram: DeltaGeometry {
    public let count: Int
    public let elementCount: Double
    let inners: [Double]
    let sums: [Double]

    public init(_ deltas: [Tensor]) {
        count = deltas.count
        elementCount = Double(deltas.first?.count ?? 0)
        var inners = [Double](repeating: 0, count: count * count)
        for i in 0..<count {
            for j in i..<count {
                let v = LinearAlgebra.dot(deltas[i].data, deltas[j].data)
                inners[i * count + j] = v
                inners[j * count + i] = v
            }
        }
        self.inners = inners
        sums = deltas.map { $0.data.reduce(0.0) { $0 + Double($1) } }
    }

    public func inner(_ i: Int, _ j: Int) -> Double { inners[i * count + j] }
    public func sum(_ i: Int) -> Double { sums[i] }
}
