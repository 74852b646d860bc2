import Ops

/// Task arithmetic: `lambda * sum_i w_i tau_i` (`normalize=true` divides by the sum of weights).
/// Matches PEFT's `task_arithmetic` and mergekit's `task_arithmetic`; exact on the factors.
public struct TaskArithmeticStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "task_arithmetic",
        summary: "scaled sum of the deltas",
        reference: "Ilharco et al. 2023, Editing models with task arithmetic; PEFT and mergekit `task_arithmetic`",
        form: "exact, factored: rank sum(r_i)",
        parameters: [
            CommonParameters.weights,
            MergeScale.parameter,
            ParameterSpec("normalize", .boolean, default: .boolean(false), doc: "divide by the sum of the weights"),
        ])

    let coefficients: [Double]

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        let weights = parameters.reals("weights")
        // lambda is the engine's final multiplier (MergeScale), not part of the coefficients.
        var scale = 1.0
        if parameters.boolean("normalize") {
            let total = weights.reduce(0, +)
            guard abs(total) > 1e-300 else {
                throw SeedloraError(.usage, "task_arithmetic: the weights sum to 0, so normalize=true cannot divide by them")
            }
            scale /= total
        }
        coefficients = weights.map { $0 * scale }
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] { coefficients }
}
