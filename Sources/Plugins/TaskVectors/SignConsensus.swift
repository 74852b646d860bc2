internal import CKernels
/// Which peer's rules a TIES/DARE-family merge follows (docs/method.md section 4).
public enum MergeConvention: String, Sendable, CaseIterable {
    /// PEFT `merge_utils`, which follows the TIES and DARE papers: the sign is elected from the
    /// unweighted sparsified inputs, the disjoint mean divides by the count of agreeing inputs,
    /// random masks rescale kept entries by 1 / keep probability.
    case peft
    /// mergekit `GeneralizedTaskArithmeticMerge`: the sign is elected from the weighted inputs,
    /// the disjoint mean divides by the sum of the agreeing weights, random masks rescale each
    /// input to its original L1 norm.
    case mergekit
}

/// How the sign of an entry is elected (PEFT's `majority_sign_method`; mergekit's consensus
/// `sum` / `count`).
public enum MajoritySign: String, Sendable, CaseIterable {
    /// `sign(sum_i x_i)`: the sign with the larger total mass.
    case total
    /// `sign(sum_i sign(x_i))`: the sign of more inputs.
    case frequency
}

/// How the sparsified inputs `x_i` of one entry become the merged entry.
///
/// Linear (no election): `sum_i w_i x_i / D`, with `D = sum_i w_i` when normalising
/// (1 when `|sum_i w_i| < 1e-8`, as mergekit) and `D = 1` otherwise.
///
/// Sign consensus (TIES "elect" and "disjoint merge"): elect `e = +1` when the majority statistic
/// is >= 0 (so a tie at 0 counts as +), else `e = -1`; input i agrees when `sign(x_i) = e` (a zero
/// never agrees); the entry is `sum_agreeing w_i x_i / D` with
/// - `peft`: statistic over the unweighted `x_i`; `D = max(1, number agreeing)` when normalising.
/// - `mergekit`: statistic over `y_i = w_i x_i` (so agreement is `sign(y_i) = e`);
///   `D = sum_agreeing w_i` (1 when that is 0) when normalising.
/// Without normalising, `D = 1` in both. The method's `lambda` is applied afterwards, once, by
/// the engine (`MergeScale`).
struct Combination: Sendable {
    enum Rule: Sendable, Equatable {
        case linear
        case consensus(MajoritySign)
    }

    let rule: Rule
    let convention: MergeConvention
    let normalize: Bool
    let weights: [Double]

    /// Combines one row: `inputs` holds the sparsified rows of every input one after the other
    /// (`weights.count` x `out.count`). Each step is a loop over the columns with the input fixed,
    /// which the compiler vectorises; the sums over inputs still run in input order.
    func combineRow(_ inputs: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>,
                    scratch: inout CombineScratch) {
        let cols = out.count, count = weights.count
        guard inputs.count >= count * cols else { return }
        scratch.withBuffers(cols) { sum, tally, elected in
            for c in 0..<cols { sum[c] = 0 }
            switch rule {
            case .linear:
                for i in 0..<count {
                    let w = weights[i], row = UnsafeBufferPointer(rebasing: inputs[(i * cols)..<((i + 1) * cols)])
                    for c in 0..<cols { sum[c] += w * Double(row[c]) }
                }
                let total = weights.reduce(0, +)
                let factor = 1 / (normalize && abs(total) >= 1e-8 ? total : 1)
                for c in 0..<cols { out[c] = Float(sum[c] * factor) }
            case let .consensus(majority):
                consensus(majority, inputs, cols: cols, into: out)
            }
        }
    }

    /// Sign election and the disjoint mean of one row (see the type's comment), in the C kernel
    /// `seedlora_consensus_row`: the same Float64 operations in the same order as a scalar loop
    /// (statistic, then agreeing sum and count, over the inputs in input order), vectorised
    /// over the columns for the CPU's instruction set.
    private func consensus(_ majority: MajoritySign, _ inputs: UnsafeBufferPointer<Float>, cols: Int,
                           into out: UnsafeMutableBufferPointer<Float>) {
        guard let source = inputs.baseAddress, let target = out.baseAddress, cols > 0 else { return }
        weights.withUnsafeBufferPointer { w in
            guard let weightBase = w.baseAddress else { return }
            seedlora_consensus_row(source, w.count, cols, weightBase, convention == .mergekit ? 1 : 0,
                                   majority == .total ? 1 : 0, normalize ? 1 : 0, target)
        }
    }

    /// -1, 0 or +1 (0 for NaN, which therefore never agrees).
    @inline(__always)
    static func sign(_ x: Double) -> Double {
        x > 0 ? 1 : (x < 0 ? -1 : 0)
    }
}

/// Row-length Float64 scratch for `Combination.combineRow`, reused across rows.
struct CombineScratch {
    private var sum: [Double] = []
    private var tally: [Double] = []
    private var elected: [Double] = []

    mutating func withBuffers<R>(_ cols: Int, _ body: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>,
                                                       UnsafeMutableBufferPointer<Double>) -> R) -> R {
        if sum.count < cols {
            sum = [Double](repeating: 0, count: cols)
            tally = sum
            elected = sum
        }
        return sum.withUnsafeMutableBufferPointer { s in
            tally.withUnsafeMutableBufferPointer { t in
                elected.withUnsafeMutableBufferPointer { e in
                    body(UnsafeMutableBufferPointer(rebasing: s[0..<cols]), UnsafeMutableBufferPointer(rebasing: t[0..<cols]),
                         UnsafeMutableBufferPointer(rebasing: e[0..<cols]))
                }
            }
        }
    }
}
