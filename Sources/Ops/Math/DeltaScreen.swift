import CKernels

/// Whether a low-rank delta is zero, not finite, or neither: what the result warnings ("the
/// merged adapter is all zero", "... is not finite") need, in one pass over the factors.
///
/// Its Frobenius norm would tell the same but costs the Gram matrices of the factors,
/// O((out + in) r^2); for a factored SeedLoRA merge that was a third of the work. Here:
/// - any non-finite factor value makes the product non-finite (a row of `B` with an inf or NaN
///   meets every column of `A` with a product that is inf or NaN), and a non-finite scale too;
/// - an all-zero factor (or scale 0) makes it zero;
/// - otherwise `B (A x)` for a fixed pseudo-random `x`, in Float64: nonzero only if the delta
///   is (exactly cancelling inputs, such as `tau - tau`, give exactly zero here too). When it is
///   zero the Gram matrices decide, so a delta is never called zero when it is not.
public enum DeltaScreen: Sendable, Equatable {
    case zero, nonFinite, nonzero

    /// The screen of a delta whose Frobenius norm is known.
    public init(norm: Double) {
        self = !norm.isFinite ? .nonFinite : (norm == 0 ? .zero : .nonzero)
    }

    /// The screen of a dense delta.
    public init(dense: Tensor) {
        let values = dense.data
        if values.withUnsafeBufferPointer({ seedlora_has_nonfinite($0.baseAddress, $0.count) != 0 }) {
            self = .nonFinite
        } else {
            self = values.allSatisfy { $0 == 0 } ? .zero : .nonzero
        }
    }

    public init(_ delta: LowRank) {
        let b = delta.b.data, a = delta.a.data
        let badB = b.withUnsafeBufferPointer { seedlora_has_nonfinite($0.baseAddress, $0.count) != 0 }
        let badA = a.withUnsafeBufferPointer { seedlora_has_nonfinite($0.baseAddress, $0.count) != 0 }
        if badB || badA || !delta.scale.isFinite {
            self = .nonFinite
        } else if delta.scale == 0 || b.allSatisfy({ $0 == 0 }) || a.allSatisfy({ $0 == 0 }) {
            self = .zero
        } else if Self.sketchIsZero(delta) {
            self = delta.moments().sumOfSquares == 0 ? .zero : .nonzero
        } else {
            self = .nonzero
        }
    }

    /// Whether `B (A x)` is exactly zero for a fixed x with entries in [-1, 1).
    static func sketchIsZero(_ delta: LowRank) -> Bool {
        let rows = delta.rows, cols = delta.cols, r = delta.rank
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var x = [Double](repeating: 0, count: cols)
        for j in 0..<cols {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            x[j] = Double(Int64(bitPattern: state) >> 11) / Double(1 << 52)
        }
        var u = [Double](repeating: 0, count: r)
        delta.a.data.withUnsafeBufferPointer { a in
            for p in 0..<r {
                var s = 0.0
                for j in 0..<cols { s += Double(a[p * cols + j]) * x[j] }
                u[p] = s
            }
        }
        return delta.b.data.withUnsafeBufferPointer { b in
            for i in 0..<rows {
                var s = 0.0
                for p in 0..<r { s += Double(b[i * r + p]) * u[p] }
                if s != 0 { return false }
            }
            return true
        }
    }
}
