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
///
/// `strength = t` blends toward the weighted soup: `(1 - t) tau_m + t tau' =
/// ((1 - t) + t g) tau_m + t c 1 1^T`, still the same factors (only the coefficients change).
/// `t = 0` is the soup `tau_m` (with a zero offset row), `t = 1` is SeedLoRA bit for bit
/// (`(1 - 1) + 1 * g` is exactly `g`).
public struct SeedLoRAStrategy: FactoredMergeStrategy {
    public static let info = StrategyInfo(
        name: "seedlora",
        summary: "weighted average of seed deltas, rescaled to the inputs' mean and std",
        reference: "SeedLoRA weight-distribution matching (docs/merging.md); numpy reference in the test fixtures",
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
            ParameterSpec("strength", .real(0...1), default: .real(1),
                          doc: "blend (1 - t) * weighted soup + t * SeedLoRA: 0 is the soup, 1 the full rescale"),
            MergeScale.parameter,
        ])

    let weights: [Double]
    let perAdapter: Bool
    let referenceInput: Int?
    let weightedTarget: Bool
    let strength: Double

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        weights = parameters.reals("weights")
        perAdapter = parameters.choice("stats") == "adapter"
        referenceInput = parameters.index("reference")
        weightedTarget = parameters.choice("target") == "weighted"
        strength = parameters.real("strength")
        // All-zero weights leave nothing to rescale (the average is 0, its std 0): a usage error up
        // front, as linear's zero weight sum is, not a failure in the middle of the merge.
        if strength > 0, !weights.isEmpty, weights.allSatisfy({ $0 == 0 }) {
            throw SeedloraError("seedlora: the weights are all zero, so the weighted average is zero and cannot be rescaled; give at least one nonzero weight")
        }
        if weightedTarget, abs(weights.reduce(0, +)) < 1e-300 {
            throw SeedloraError("seedlora: target=weighted needs weights whose sum is not zero")
        }
    }

    /// Statistics of one module: each input's moments and those of the weighted average.
    struct ModuleStats {
        var inputs: [Moments]
        var soup: Moments
    }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        let n = Double(input.inputCount)
        let soupCoefficients = weights.map { $0 / n }
        // Pass 1 (parallel over modules): lay out the output factors, take the moments from them,
        // and (per-module statistics) finish the module right away while it is in cache.
        var stacked = try ConcurrentMap.run(input.modules, cancellation: cancellation) { group in
            var module = FactoredCombination(group.deltas, offsetColumn: true)
            let gram = module.gram()
            group.innerProducts.record(gram)
            let stats = ModuleStats(inputs: (0..<group.deltas.count).map { gram.moments(of: $0) },
                                    soup: gram.moments(ofCombination: soupCoefficients))
            if !perAdapter {
                let map = try rescale(stats, module: group.name)
                module.finalize(coefficients: soupCoefficients.map { $0 * map.gain }, offset: map.offset)
            }
            return (module, stats)
        }
        if perAdapter {
            // One gain and offset from the statistics of all modules concatenated.
            let total = stacked.reduce(ModuleStats(inputs: Array(repeating: .zero, count: input.inputCount), soup: .zero)) {
                ModuleStats(inputs: zip($0.inputs, $1.1.inputs).map(+), soup: $0.soup + $1.1.soup)
            }
            let map = try rescale(total, module: "the whole adapter")
            for i in stacked.indices {
                try cancellation.check()
                stacked[i].0.finalize(coefficients: soupCoefficients.map { $0 * map.gain }, offset: map.offset)
            }
        }
        return stacked.map { $0.0.lowRank() }
    }

    /// Per-module statistics on dense deltas (DoRA inputs); `stats=adapter` needs every module at
    /// once and is refused there.
    public func denseEquivalent() -> (any DenseModuleMerger)? {
        perAdapter ? nil : DenseSeedLoRA(strategy: self)
    }

    struct DenseSeedLoRA: DenseModuleMerger {
        let strategy: SeedLoRAStrategy

        func merge(_ module: DenseModule) throws -> Tensor {
            let n = Double(module.deltas.count)
            let soup = strategy.weights.map { $0 / n }
            let gram = DenseGram(module.deltas)
            let stats = ModuleStats(inputs: (0..<gram.count).map { gram.moments(of: $0) },
                                    soup: gram.moments(ofCombination: soup))
            let map = try strategy.rescale(stats, module: module.name)
            return DenseCombination<LinearStrategy>.combine(module.deltas, soup.map { $0 * map.gain }, offset: map.offset)
        }
    }

    /// Gain and offset of the soup in the result: SeedLoRA's, blended toward the soup by `strength`.
    func rescale(_ stats: ModuleStats, module: String) throws -> (gain: Double, offset: Double) {
        let t = strength
        // The soup itself needs no statistics (and exists even when it cannot be rescaled).
        if t == 0 { return (1, 0) }
        let map = try seedLoRAMap(stats, module: module)
        return ((1 - t) + t * map.gain, t * map.offset)
    }

    /// Gain and offset that move the soup's mean/std onto the target's.
    func seedLoRAMap(_ stats: ModuleStats, module: String) throws -> (gain: Double, offset: Double) {
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
}
