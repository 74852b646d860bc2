internal import CKernels
import Ops

/// The output factors of a linear combination `sum_i c_i tau_i (+ offset 1 1^T)` of LoRA deltas,
/// built without forming any out x in matrix.
///
/// `B' = [B_1 .. B_n (, 1)]` and `A' = [c_1 s_1 A_1; ..; c_n s_n A_n (; offset 1^T)]`: the result
/// is exactly a LoRA of rank `sum r_i` (+1 with an offset). While the coefficients are not known
/// yet, `a` holds `s_i A_i`, so `gram()` gives every input's exact moments and inner products.
struct FactoredCombination {
    var b: [Float]
    var a: [Float]
    let rows: Int
    let cols: Int
    let ranks: [Int]
    let hasOffset: Bool

    var width: Int { ranks.reduce(0, +) + (hasOffset ? 1 : 0) }

    init(_ deltas: [LowRank], offsetColumn: Bool) {
        rows = deltas.first?.rows ?? 0
        cols = deltas.first?.cols ?? 0
        ranks = deltas.map(\.rank)
        hasOffset = offsetColumn
        let width = ranks.reduce(0, +) + (offsetColumn ? 1 : 0)
        let rows = self.rows, cols = self.cols, ranks = self.ranks
        // Every entry is written: the inputs' columns by the kernel, then the offset column.
        b = [Float](unsafeUninitializedCapacity: rows * width) { dst, initialized in
            Tensor.withDataPointers(deltas.map(\.b)) { parts in
                seedlora_stack_columns(parts, ranks, parts.count, rows, dst.baseAddress, width)
            }
            if offsetColumn { for i in 0..<rows { dst[i * width + width - 1] = 1 } }
            initialized = rows * width
        }
        a = [Float](unsafeUninitializedCapacity: width * cols) { dst, initialized in
            guard let base = dst.baseAddress else { return }
            var row = 0
            for d in deltas {
                d.a.data.withUnsafeBufferPointer { src in
                    seedlora_scale(src.baseAddress, Float(d.scale), base + row * cols, d.rank * cols)
                }
                row += d.rank
            }
            if offsetColumn { (base + row * cols).initialize(repeating: 0, count: cols) }
            initialized = width * cols
        }
    }

    /// Moments and inner products of the inputs (valid before `finalize`).
    func gram() -> FactorGram {
        b.withUnsafeBufferPointer { bp in
            a.withUnsafeBufferPointer { ap in
                FactorGram(stackedB: bp, rows: rows, ldb: width, stackedA: ap, cols: cols, ranks: ranks,
                           scales: Array(repeating: 1, count: ranks.count))
            }
        }
    }

    /// Applies the coefficients to A's blocks and writes the offset row.
    mutating func finalize(coefficients: [Double], offset: Double = 0) {
        let cols = self.cols, ranks = self.ranks, hasOffset = self.hasOffset
        var row = 0
        a.withUnsafeMutableBufferPointer { a in
            guard let base = a.baseAddress else { return }
            for (k, r) in ranks.enumerated() {
                seedlora_scale(base + row * cols, Float(coefficients[k]), base + row * cols, r * cols)
                row += r
            }
            if hasOffset { (base + row * cols).update(repeating: Float(offset), count: cols) }
        }
    }

    func lowRank() -> LowRank {
        LowRank(uncheckedB: Tensor(uncheckedShape: [rows, width], data: b),
                a: Tensor(uncheckedShape: [width, cols], data: a), scale: 1)
    }
}

/// A method whose result is a linear combination `sum_i c_i tau_i` of the inputs, with
/// coefficients that depend only on inner products and norms: it runs exactly on the factors,
/// and its result is a LoRA of rank `sum r_i`.
public protocol CombinationStrategy: FactoredMergeStrategy {
    /// The coefficients for one module; `gram` gives the inputs' inner products.
    func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double]
}

extension CombinationStrategy {
    public func denseEquivalent() -> (any DenseModuleMerger)? { DenseCombination(strategy: self) }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        try ConcurrentMap.run(input.modules, cancellation: cancellation) { group in
            var combination = FactoredCombination(group.deltas, offsetColumn: false)
            let gram = combination.gram()
            group.innerProducts.record(gram)
            combination.finalize(coefficients: try coefficients(gram, module: group.name))
            return combination.lowRank()
        }
    }
}

/// A combination method evaluated on dense deltas: coefficients from their dense Gram matrix.
struct DenseCombination<S: CombinationStrategy>: DenseModuleMerger {
    let strategy: S

    func merge(_ module: DenseModule) throws -> Tensor {
        let c = try strategy.coefficients(DenseGram(module.deltas), module: module.name)
        return DenseCombination<S>.combine(module.deltas, c, offset: 0)
    }

    /// `sum_i c_i D_i + offset`.
    static func combine(_ deltas: [Tensor], _ c: [Double], offset: Double) -> Tensor {
        var out = [Float](repeating: Float(offset), count: deltas.first?.count ?? 0)
        out.withUnsafeMutableBufferPointer { o in
            for (d, coefficient) in zip(deltas, c) {
                let k = Float(coefficient)
                d.data.withUnsafeBufferPointer { x in for i in 0..<o.count { o[i] += k * x[i] } }
            }
        }
        return Tensor(uncheckedShape: deltas.first?.shape ?? [0], data: out)
    }
}

/// Parameter declarations shared by several strategies.
enum CommonParameters {
    static let weights = ParameterSpec("weights", .realPerInput(-1e6...1e6), default: .reals([1]),
                                       doc: "weight of each input (comma list in input order)")
}
