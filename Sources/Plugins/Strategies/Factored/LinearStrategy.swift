import Ops

/// Model soup: `sum_i w_i tau_i / sum_i w_i` (`normalize=false`: `sum_i w_i tau_i`).
/// Matches mergekit's `linear`; exact on the factors, rank `sum r_i`.
public struct LinearStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "linear",
        summary: "weighted average of the deltas (model soup)",
        reference: "Wortsman et al. 2022, Model soups; mergekit `linear`",
        form: "exact, factored: rank sum(r_i)",
        parameters: [
            CommonParameters.weights,
            ParameterSpec("normalize", .boolean, default: .boolean(true),
                          doc: "divide by the sum of the weights (mergekit's default)"),
            MergeScale.parameter,
        ])

    let weights: [Double]

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        var weights = parameters.reals("weights")
        if parameters.boolean("normalize") {
            let total = weights.reduce(0, +)
            guard abs(total) > 1e-300 else {
                throw SeedloraError(.usage, "linear: the weights sum to 0, so normalize=true cannot divide by them; pass normalize=false")
            }
            weights = weights.map { $0 / total }
        }
        self.weights = weights
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] { weights }
}
