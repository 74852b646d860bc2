import Dispatch
import Ops

/// SeedLoRA: importance-weighted average of seed deltas, rescaled so its mean and standard
/// deviation match the inputs' (the weight-distribution matching of the SeedLoRA paper).
///
/// Per module (or over the whole adapter with `stats=adapter`):
///
///     tau_m = (1/n) sum_i w_i tau_i
///     tau'  = sigma_hat * (tau_m - mean(tau_m)) / std(tau_m) + mu_hat
///
/// with `mu_hat`, `sigma_hat` the plain mean of the inputs' means and population stds (or weighted
/// by `w`, with `target=weighted`; or one input's, with `reference=k`). `tau' = g tau_m + c 1 1^T`
/// is exactly a LoRA of rank `sum r_i + 1`: `B' = [B_1 .. B_n, 1]`,
/// `A' = [g w_1 s_1/n A_1; ..; g w_n s_n/n A_n; c 1^T]`. Nothing out x in is ever formed; the
/// moments come from `FactorGram`.
public struct SeedLoRAStrategy: FactoredMergeStrategy {
    public static let info = StrategyInfo(
        name: "seedlora",
        summary: "weighted average of seed deltas, rescaled to the inputs' mean and std",
        reference: "SeedLoRA weight-distribution matching (docs/method.md section 2); numpy reference in the test fixtures",
        form: "exact, factored: rank sum(r_i) + 1",
        parameters: [
            ParameterSpec("weights", .realPerInput(-1e6...1e6), default: .reals([1]),
                          doc: "importance weight of each input (comma list in input order)"),
            ParameterSpec("stats", .choice(["module", "adapter"]), default: .choice("module"),
                          doc: "match mean/std per module, or once over all modules of the adapter"),
            ParameterSpec("reference", .choiceOrInputIndex(["mean"]), default: .choice("mean"),
                          doc: "target statistics: the mean over inputs, or one input's (0-based index)"),
            ParameterSpec("target", .choice(["plain", "weighted"]), default: .choice("plain"),
                          doc: "average the inputs' mean/std plainly (the paper) or with the weights"),
        ])

    let weights: [Double]
    let perAdapter: Bool
    let referenceInput: Int?
    let weightedTarget: Bool

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        weights = parameters.reals("weights")
        perAdapter = parameters.choice("stats") == "adapter"
        referenceInput = parameters.index("reference")
        weightedTarget = parameters.choice("target") == "weighted"
        if weightedTarget, abs(weights.reduce(0, +)) < 1e-300 {
            throw SeedloraError("seedlora: target=weighted needs weights whose sum is not zero")
        }
    }

    /// Statistics of one module: each input's moments and those of the weighted average.
    struct ModuleStats {
        var inputs: [Moments]
        var soup: Moments
    }

    /// One module's output factors while they are being built. `a` holds `s_i A_i` per block
    /// until `finalize` applies `gain * w_i / n` and writes the offset row.
    struct Stacked {
        var b: [Float]
        var a: [Float]
        let rows: Int
        let cols: Int
        let ranks: [Int]
        var stats = ModuleStats(inputs: [], soup: .zero)
        var width: Int { ranks.reduce(0, +) + 1 }
    }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        let n = Double(input.inputCount)
        let soupCoefficients = weights.map { $0 / n }
        // Pass 1 (parallel over modules): lay out the output factors, take the moments from them,
        // and (per-module statistics) finish the module right away while it is in cache.
        var stacked = try ConcurrentMap.run(input.modules, cancellation: cancellation) { group -> Stacked in
            var module = stack(group.deltas)
            let gram = module.b.withUnsafeBufferPointer { b in
                module.a.withUnsafeBufferPointer { a in
                    FactorGram(stackedB: b, rows: module.rows, ldb: module.width, stackedA: a, cols: module.cols,
                               ranks: module.ranks, scales: Array(repeating: 1, count: module.ranks.count))
                }
            }
            module.stats = ModuleStats(inputs: (0..<module.ranks.count).map { gram.moments(of: $0) },
                                       soup: gram.moments(ofCombination: soupCoefficients))
            if !perAdapter {
                let map = try rescale(module.stats, module: group.name)
                finalize(&module, coefficients: soupCoefficients.map { $0 * map.gain }, offset: map.offset)
            }
            return module
        }
        if perAdapter {
            // One gain and offset from the statistics of all modules concatenated.
            let total = stacked.reduce(ModuleStats(inputs: Array(repeating: .zero, count: input.inputCount), soup: .zero)) {
                ModuleStats(inputs: zip($0.inputs, $1.stats.inputs).map(+), soup: $0.soup + $1.stats.soup)
            }
            let map = try rescale(total, module: "the whole adapter")
            for i in stacked.indices {
                try cancellation.check()
                finalize(&stacked[i], coefficients: soupCoefficients.map { $0 * map.gain }, offset: map.offset)
            }
        }
        return stacked.map { module in
            LowRank(uncheckedB: Tensor(uncheckedShape: [module.rows, module.width], data: module.b),
                    a: Tensor(uncheckedShape: [module.width, module.cols], data: module.a), scale: 1)
        }
    }

    /// Gain and offset that move the soup's mean/std onto the target's.
    func rescale(_ stats: ModuleStats, module: String) throws -> (gain: Double, offset: Double) {
        let targetMean: Double, targetStd: Double
        if let k = referenceInput {
            targetMean = stats.inputs[k].mean
            targetStd = stats.inputs[k].std
        } else {
            let w = weightedTarget ? weights : Array(repeating: 1, count: stats.inputs.count)
            let total = w.reduce(0, +)
            targetMean = zip(w, stats.inputs).reduce(0) { $0 + $1.0 * $1.1.mean } / total
            targetStd = zip(w, stats.inputs).reduce(0) { $0 + $1.0 * $1.1.std } / total
        }
        let soupStd = stats.soup.std
        if soupStd == 0 {
            guard targetStd == 0 else {
                throw SeedloraError("\(module): the weighted average of the deltas is constant (std 0), so it cannot be rescaled to the inputs' std \(targetStd); check the weights")
            }
            return (0, targetMean)
        }
        // Non-finite statistics (inputs with NaN/inf, allowed by --allow-nonfinite) propagate.
        let gain = targetStd / soupStd
        return (gain, targetMean - gain * stats.soup.mean)
    }

    /// `B' = [B_1 .. B_n, 1]` and `A' = [s_1 A_1; ..; s_n A_n; 0]`.
    func stack(_ deltas: [LowRank]) -> Stacked {
        let rows = deltas[0].rows, cols = deltas[0].cols
        let ranks = deltas.map(\.rank)
        let width = ranks.reduce(0, +) + 1
        var b = [Float](repeating: 0, count: rows * width)
        var column = 0
        b.withUnsafeMutableBufferPointer { dst in
            for d in deltas {
                let r = d.rank
                d.b.data.withUnsafeBufferPointer { src in
                    for i in 0..<rows { for j in 0..<r { dst[i * width + column + j] = src[i * r + j] } }
                }
                column += r
            }
            for i in 0..<rows { dst[i * width + width - 1] = 1 }
        }
        let a = [Float](unsafeUninitializedCapacity: width * cols) { dst, initialized in
            var row = 0
            for d in deltas {
                let factor = Float(d.scale)
                d.a.data.withUnsafeBufferPointer { src in
                    for i in 0..<(d.rank * cols) { dst[row * cols + i] = factor * src[i] }
                }
                row += d.rank
            }
            for j in 0..<cols { dst[row * cols + j] = 0 }
            initialized = width * cols
        }
        return Stacked(b: b, a: a, rows: rows, cols: cols, ranks: ranks)
    }

    /// Multiplies block i of `a` by `coefficients[i]` and fills the last row with `offset`.
    func finalize(_ module: inout Stacked, coefficients: [Double], offset: Double) {
        let cols = module.cols
        var row = 0
        module.a.withUnsafeMutableBufferPointer { a in
            for (k, r) in module.ranks.enumerated() {
                let factor = Float(coefficients[k])
                for i in (row * cols)..<((row + r) * cols) { a[i] *= factor }
                row += r
            }
            let c = Float(offset)
            for j in 0..<cols { a[row * cols + j] = c }
        }
    }
}
