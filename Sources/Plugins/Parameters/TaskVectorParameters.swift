import Ops

/// The parameters shared by the TIES/DARE family, declared once, named as in mergekit.
///
/// Defaults: `density` 0.5 for every method. PEFT has no default (its functions require one) and
/// mergekit's is 1.0, which sparsifies nothing; 0.5 is a useful middle and what the reference
/// fixtures use. `gamma` 0.01 and `epsilon` 0.15 are mergekit's defaults; `lambda` 1 as mergekit.
enum TaskVectorParameters {
    static let weights = ParameterSpec(
        "weights", .realPerInput(-1e6...1e6), default: .reals([1]),
        doc: "weight of each input (comma list in input order; one value applies to all)")

    static let density = ParameterSpec(
        "density", .realPerInput(0...1), default: .reals([0.5]),
        doc: "fraction of each input's entries to keep (1 keeps all); one value, or one per input")

    /// The engine's final multiplier (`MergeScale`), as every strategy declares it.
    static let lambda = MergeScale.parameter

    static let convention = ParameterSpec(
        "convention", .choice(MergeConvention.allCases.map(\.rawValue)), default: .choice(MergeConvention.peft.rawValue),
        doc: "peft: sign elected from unweighted inputs, divide by the count of agreeing inputs, random masks rescale by 1/p (the papers); mergekit: weighted election, divide by the sum of agreeing weights, random masks keep each input's L1 norm")

    static let majority = ParameterSpec(
        "majority", .choice(MajoritySign.allCases.map(\.rawValue)), default: .choice(MajoritySign.total.rawValue),
        doc: "sign election: total = sign of the sum, frequency = sign of the count of signs (PEFT majority_sign_method; mergekit sum/count)")

    static let gamma = ParameterSpec(
        "gamma", .real(0...1), default: .real(0.01),
        doc: "fraction of largest-magnitude entries dropped as outliers")

    static let epsilon = ParameterSpec(
        "epsilon", .real(0...1), default: .real(0.15),
        doc: "keep probabilities span density - epsilon (smallest |d| of a row) to density + epsilon (largest)")

    /// `normalize`: `auto` is the chosen convention's peer default, described by `auto`.
    static func normalize(auto: String) -> ParameterSpec {
        ParameterSpec("normalize", .choice(["auto", "true", "false"]), default: .choice("auto"),
                      doc: "divide by the sum of the weights (linear) or by the agreeing count or weights (sign consensus); auto: \(auto)")
    }

    static func convention(_ parameters: ResolvedParameters) -> MergeConvention {
        parameters.choice("convention").flatMap(MergeConvention.init(rawValue:)) ?? .peft
    }

    static func majority(_ parameters: ResolvedParameters) -> MajoritySign {
        parameters.choice("majority").flatMap(MajoritySign.init(rawValue:)) ?? .total
    }

    /// The `normalize` setting, with `auto` resolved to `automatic`.
    static func normalize(_ parameters: ResolvedParameters, automatic: Bool) -> Bool {
        switch parameters.choice("normalize") {
        case "true": return true
        case "false": return false
        default: return automatic
        }
    }
}

extension TaskVectorMerge {
    /// A preset of the family built from resolved parameters: `weights`, and (when the
    /// strategy declares them) `convention`, `majority`, `normalize`. `automaticNormalize` is what
    /// `normalize=auto` means for the chosen convention. Random masks rescale by 1/p (peft) or to
    /// the L1 norm (mergekit).
    init(_ info: StrategyInfo, parameters: ResolvedParameters, seed: UInt64,
         sparsification: (_ density: Double) -> Sparsification,
         consensus: Bool, automaticNormalize: (MergeConvention) -> Bool) {
        let convention = TaskVectorParameters.convention(parameters)
        let rule: Combination.Rule = consensus ? .consensus(TaskVectorParameters.majority(parameters)) : .linear
        self.init(
            name: info.name,
            sparsifications: parameters.reals("density").map(sparsification),
            // Whether the mask is random does not depend on the density.
            rescale: sparsification(0.5).isRandom ? (convention == .peft ? .inverseProbability : .matchL1) : .none,
            combination: Combination(
                rule: rule, convention: convention,
                normalize: TaskVectorParameters.normalize(parameters, automatic: automaticNormalize(convention)),
                weights: parameters.reals("weights")),
            seed: seed)
    }
}

extension TaskVectorParameters {
    /// DELLA needs keep probabilities in [0, 1]: `density -/+ epsilon` when 0 < density < 1.
    /// (mergekit is stricter and also refuses probabilities of exactly 0 or 1.)
    static func checkDellaRange(_ parameters: ResolvedParameters, strategy: String) throws {
        let epsilon = parameters.real("epsilon")
        for density in parameters.reals("density") where density > 0 && density < 1 {
            guard density - epsilon >= 0, density + epsilon <= 1 else {
                throw SeedloraError(.usage, "\(strategy): keep probabilities density -/+ epsilon = \(density - epsilon) .. \(density + epsilon) must lie in [0, 1]; lower epsilon (now \(epsilon)) or move density (now \(density))")
            }
        }
    }
}
