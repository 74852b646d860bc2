import Ops

/// SCE: Select, Calculate, Erase (Wan et al. 2024, FuseChat, arXiv:2408.07990), as mergekit `sce`.
///
/// 1. Select: with `select_topk < 1`, keep the `k = int(select_topk * nnz)` entries of largest
///    population variance across the inputs (`nnz` = entries of non-zero variance; ties: lower
///    flat index first), the same mask `m` for every input; `x_i = m . d_i`.
/// 2. Calculate: `w_i = mean_j(x_i,j^2) / sum_l mean_j(x_l,j^2)` (uniform `1/n` when that sum is
///    0; mergekit switches to uniform below an absolute 1e-6, which LoRA deltas, with entries near
///    1e-3, would often trigger, so we keep the proportional weights whenever they are defined).
/// 3. Erase: elect `e = sign(sum_i x_i)` per entry (>= 0 counts as +, unweighted) and keep the
///    agreeing inputs: `out = sum_agreeing w_i x_i / max(sum_agreeing w_i, 1e-6)`.
///
/// The method computes its own weights, so it takes no `weights`. mergekit's has no `lambda`; ours is
/// the engine's final multiplier (default 1, which is mergekit's result).
public struct SCEStrategy: DenseMergeStrategy {
    public static let info = StrategyInfo(
        name: "sce",
        summary: "keep the entries the inputs disagree on most, weight inputs by their mean square, merge agreeing signs",
        reference: "SCE (FuseChat), arXiv:2408.07990; matches mergekit sce",
        form: MergeSpace.form("dense: a full-rank delta per module"),
        parameters: [
            ParameterSpec("select_topk", .real(0...1), default: .real(1),
                          doc: "fraction of entries kept by variance across inputs (1 keeps all)"),
            MergeScale.parameter, MergeSpace.parameter,
        ])

    let selectTopK: Double

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        selectTopK = parameters.real("select_topk")
    }

    public func merge(_ module: DenseModule) throws -> Tensor {
        let inputs = module.deltas
        guard let first = inputs.first else {
            throw SeedloraError("internal: sce: module \(module.name) has no inputs")
        }
        for delta in inputs where delta.shape != first.shape {
            throw SeedloraError("internal: sce: module \(module.name) has inputs of shapes \(first.shape) and \(delta.shape)")
        }
        let reader = RowGather(inputs)
        let selection = selectionMask(reader)
        let weights = sceWeights(reader, selection: selection)
        var out = [Float](repeating: 0, count: first.count)
        let count = inputs.count, cols = reader.cols
        out.withUnsafeMutableBufferPointer { merged in
            var mask = selection
            reader.forEachRow { r, x in
                for c in 0..<cols {
                    let j = r * cols + c
                    guard mask?.contains(Self.varianceKey(x, inputs: count, column: c)) ?? true else {
                        merged[j] = 0
                        continue
                    }
                    var total = 0.0
                    for i in 0..<count { total += Double(x[i * cols + c]) }
                    let elected: Double = total >= 0 ? 1 : -1
                    var sum = 0.0, weight = 0.0
                    for i in 0..<count {
                        let value = Double(x[i * cols + c])
                        guard Combination.sign(value) == elected else { continue }
                        sum += weights[i] * value
                        weight += weights[i]
                    }
                    merged[j] = Float(sum / max(weight, 1e-6))
                }
            }
        }
        return Tensor(uncheckedShape: first.shape, data: out)
    }

    /// The variance mask as a rank range over variance keys (nil when every entry is kept).
    func selectionMask(_ reader: RowGather) -> RankRange<UInt64>? {
        guard selectTopK < 1 else { return nil }
        let count = reader.inputs.count, cols = reader.cols
        var keys = [UInt64](repeating: 0, count: reader.rows * cols)
        return keys.withUnsafeMutableBufferPointer { buffer in
            var nonzero = 0
            reader.forEachRow { r, x in
                for c in 0..<cols {
                    let key = Self.varianceKey(x, inputs: count, column: c)
                    buffer[r * cols + c] = key
                    if key != 0 { nonzero += 1 }
                }
            }
            return RankRange(ranks: 0..<InputSparsifier.count(selectTopK, of: nonzero),
                             keys: StoredKeys(keys: UnsafeBufferPointer(buffer)))
        }
    }

    /// `w_i`: each masked input's mean square, normalised to sum 1 (uniform when all are 0).
    func sceWeights(_ reader: RowGather, selection: RankRange<UInt64>?) -> [Double] {
        let count = reader.inputs.count, cols = reader.cols
        var squares = [Double](repeating: 0, count: count)
        var mask = selection
        reader.forEachRow { _, x in
            for c in 0..<cols {
                guard mask?.contains(Self.varianceKey(x, inputs: count, column: c)) ?? true else { continue }
                for i in 0..<count {
                    let value = Double(x[i * cols + c])
                    squares[i] += value * value
                }
            }
        }
        let entries = Double(reader.rows * cols)
        let means = squares.map { entries > 0 ? $0 / entries : 0 }
        let total = means.reduce(0, +)
        guard total != 0 else { return Array(repeating: 1 / Double(count), count: count) }
        return means.map { $0 / total }
    }

    /// The bit pattern of the population variance across the inputs of column `c` of a gathered
    /// row (a non-negative Float64, so the bits order like the value; NaN ranks above all).
    @inline(__always)
    static func varianceKey(_ x: UnsafeBufferPointer<Float>, inputs: Int, column c: Int) -> UInt64 {
        let cols = x.count / max(1, inputs)
        var mean = 0.0
        for i in 0..<inputs { mean += Double(x[i * cols + c]) }
        mean /= Double(inputs)
        var variance = 0.0
        for i in 0..<inputs {
            let d = Double(x[i * cols + c]) - mean
            variance += d * d
        }
        return (variance / Double(inputs)).bitPattern
    }
}
