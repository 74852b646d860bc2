import Ops

/// The stored factors of one module's inputs, in Float64: `[B_1 .. B_n]` (out x R) and
/// `[A_1; ..; A_n]` (R x in), with each input's block of R = sum r_i and its scale `s_i`.
struct StackedFactors {
    /// Thin QR of `[B_1 .. B_n]` (out x R), the only use of the stacked `B`: the stack is built
    /// in LAPACK's column-major Float64 layout in one pass over the Float32 factors.
    let qrOfB: (q: LinearAlgebra.Matrix, r: LinearAlgebra.Matrix)
    let a: LinearAlgebra.Matrix
    /// Input i's columns of `b` (rows of `a`).
    let blocks: [Range<Int>]
    let scales: [Double]

    init(_ deltas: [LowRank]) throws {
        qrOfB = try LinearAlgebra.thinQR(stacking: deltas.map(\.b), rows: deltas.first?.rows ?? 0)
        a = .vstack(deltas.map { LinearAlgebra.Matrix($0.a) })
        var start = 0
        blocks = deltas.map { d in
            defer { start += d.rank }
            return start..<(start + d.rank)
        }
        scales = deltas.map(\.scale)
    }
}

extension LowRank {
    /// A LoRA from Float64 factors `b a` (rounded once to Float32), scale 1. A rank-0 result (no
    /// directions at all) becomes one zero direction, which every export format can hold.
    init(b: LinearAlgebra.Matrix, a: LinearAlgebra.Matrix) {
        guard b.cols > 0 else {
            self.init(uncheckedB: Tensor(uncheckedShape: [b.rows, 1], data: [Float](repeating: 0, count: b.rows)),
                      a: Tensor(uncheckedShape: [1, a.cols], data: [Float](repeating: 0, count: a.cols)), scale: 1)
            return
        }
        self.init(uncheckedB: b.toTensor(), a: a.toTensor(), scale: 1)
    }
}
