/// A low-rank matrix `scale * b @ a`, kept factored.
///
/// `b` is out x r and `a` is r x in, both Float32 as stored in adapters. This is the delta of one
/// adapted module, always in the orientation of the base weight it is added to (so `fan_in_fan_out`
/// and embedding modules are transposed on load, not on every use). Moments, inner products and
/// the best rank-k approximation are computed from the factors in O((out + in) r^2), never
/// forming the out x in matrix; see `FactorGram` and `LowRankSVD`.
public struct LowRank: Sendable, Equatable {
    public var b: Tensor
    public var a: Tensor
    public var scale: Double

    public init(b: Tensor, a: Tensor, scale: Double) throws {
        guard b.rank == 2, a.rank == 2, b.cols == a.rows else {
            throw SeedloraError("low-rank factors do not chain: B is \(b.shape), A is \(a.shape)")
        }
        self.b = b
        self.a = a
        self.scale = scale
    }

    /// For callers that built chaining factors themselves (a mismatch is a programming error).
    public init(uncheckedB b: Tensor, a: Tensor, scale: Double) {
        precondition(b.cols == a.rows, "low-rank factors do not chain")
        self.b = b
        self.a = a
        self.scale = scale
    }

    public var rows: Int { b.rows }
    public var cols: Int { a.cols }
    public var shape: [Int] { [rows, cols] }
    public var rank: Int { a.rows }
    public var elementCount: Int { rows * cols }

    /// The dense out x in matrix, computed in Float64 and rounded once to Float32.
    /// For tests, small modules and dense strategies; the factored routines never call it.
    public func dense() -> Tensor {
        var product = LinearAlgebra.matmul(LinearAlgebra.Matrix(b), LinearAlgebra.Matrix(a))
        for i in product.data.indices { product.data[i] *= scale }
        return product.toTensor()
    }

    /// The dense matrix in Float32 through sgemm: the fast path for dense merge methods.
    public func denseFloat() -> Tensor {
        Tensor(uncheckedShape: [rows, cols],
               data: LinearAlgebra.multiply(b.data, a.data, m: rows, k: rank, n: cols, alpha: Float(scale)))
    }

    /// Whether a factor or the scale holds a NaN or an infinity.
    public var hasNonFinite: Bool { !scale.isFinite || b.hasNonFinite || a.hasNonFinite }

    /// Mean, population std and Frobenius norm of the delta (exact up to Float64 rounding).
    public func moments() -> Moments {
        FactorGram([self]).moments(of: 0)
    }

    /// Adds zero columns to `b` and zero rows to `a` up to `rank`; the product is unchanged.
    public func padded(toRank target: Int) -> LowRank {
        let r = rank
        guard target > r else { return self }
        var newB = [Float](repeating: 0, count: rows * target)
        b.data.withUnsafeBufferPointer { src in
            for i in 0..<rows { for j in 0..<r { newB[i * target + j] = src[i * r + j] } }
        }
        var newA = a.data
        newA.append(contentsOf: repeatElement(0, count: (target - r) * cols))
        return LowRank(uncheckedB: Tensor(uncheckedShape: [rows, target], data: newB),
                       a: Tensor(uncheckedShape: [target, cols], data: newA), scale: scale)
    }

    /// The same delta with the scale multiplied into `a` (scale 1), as exports need.
    public func scaleFolded() -> LowRank {
        guard scale != 1 else { return self }
        let s = Float(scale)
        return LowRank(uncheckedB: b, a: Tensor(uncheckedShape: a.shape, data: a.data.map { $0 * s }), scale: 1)
    }
}

/// First and second moments of a matrix, as the SeedLoRA rescale and `stat` need them.
public struct Moments: Sendable, Equatable {
    public var count: Double
    public var sum: Double
    public var sumOfSquares: Double

    public init(count: Double, sum: Double, sumOfSquares: Double) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    public var mean: Double { count > 0 ? sum / count : 0 }
    /// Population standard deviation (ddof = 0), clamped at 0 against rounding.
    public var std: Double {
        guard count > 0 else { return 0 }
        let m = mean
        let variance = sumOfSquares / count - m * m
        return variance.isNaN ? .nan : max(0, variance).squareRoot()  // NaN must not become 0
    }
    public var frobenius: Double { sumOfSquares.isNaN ? .nan : max(0, sumOfSquares).squareRoot() }

    /// Moments of the concatenation of two matrices.
    public static func + (lhs: Moments, rhs: Moments) -> Moments {
        Moments(count: lhs.count + rhs.count, sum: lhs.sum + rhs.sum, sumOfSquares: lhs.sumOfSquares + rhs.sumOfSquares)
    }

    public static let zero = Moments(count: 0, sum: 0, sumOfSquares: 0)
}
