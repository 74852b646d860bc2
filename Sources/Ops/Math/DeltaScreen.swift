/// Whether a low-rank delta is zero, not finite, or neither: what the result warnings ("the
/// merged adapter is all zero", "... is not finite") need, in about one pass over the factors.
///
/// Its Frobenius norm would tell the same but costs the Gram matrices of the factors,
/// O((out + in) r^2); for a factored SeedLoRA merge that was a third of the work. Here:
/// - any non-finite factor value makes the product non-finite (a row of `B` with an inf or NaN
///   meets every column of `A` with a product that is inf or NaN), and a non-finite scale too;
/// - otherwise a few entries of `B A`, at fixed pseudo-random places, are computed in Float64:
///   one that is nonzero settles it. Only when all of them are zero do the Gram matrices decide,
///   so a delta is called zero exactly when its norm from the Gram matrices is zero, as before
///   (zero factors, zero weights, everything trimmed away).
public enum DeltaScreen: Sendable, Equatable {
    case zero, nonFinite, nonzero

    /// The screen of a delta whose Frobenius norm is known.
    public init(norm: Double) {
        self = !norm.isFinite ? .nonFinite : (norm == 0 ? .zero : .nonzero)
    }

    /// The screen of a dense delta.
    public init(dense: Tensor) {
        if dense.hasNonFinite {
            self = .nonFinite
        } else {
            self = dense.data.allSatisfy { $0 == 0 } ? .zero : .nonzero
        }
    }

    public init(_ delta: LowRank) {
        if delta.hasNonFinite {
            self = .nonFinite
        } else if delta.scale != 0, Self.someProbeIsNonzero(delta) {
            self = .nonzero
        } else {
            self = delta.moments().sumOfSquares == 0 ? .zero : .nonzero
        }
    }

    /// Probes per delta: a dense merged delta has no zero entries to speak of, so the first
    /// probe almost always settles it; a sparse one falls through to the Gram matrices.
    public static let probes = 32

    /// Whether any of `probes` entries of `B A` is nonzero.
    public static func someProbeIsNonzero(_ delta: LowRank) -> Bool {
        let rows = delta.rows, cols = delta.cols, r = delta.rank
        guard rows > 0, cols > 0, r > 0 else { return false }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(below n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return delta.b.data.withUnsafeBufferPointer { b in
            delta.a.data.withUnsafeBufferPointer { a in
                for _ in 0..<probes {
                    let i = next(below: rows), j = next(below: cols)
                    var s = 0.0
                    for p in 0..<r { s += Double(b[i * r + p]) * Double(a[p * cols + j]) }
                    if s != 0 { return true }
                }
                return false
            }
        }
    }
}
