import Ops

/// Model Stock on deltas (the base is the zero delta): with `cos` the mean pairwise cosine of the
/// flattened deltas and N inputs, `t = N cos / (1 + (N - 1) cos)` and the result is
/// `t * mean(tau_i)`. Matches mergekit's `model_stock` with `filter_wise: false` (pairwise
/// norms clamped at 1e-6, cosines clamped to [-1, 1]); exact on the factors.
public struct ModelStockStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "model_stock",
        summary: "mean of the deltas shrunk by their mean pairwise cosine",
        reference: "Jang et al. 2024, Model Stock (arXiv:2403.19522); mergekit `model_stock`",
        form: "exact, factored: rank sum(r_i)",
        parameters: [MergeScale.parameter])

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        guard inputCount >= 2 else {
            throw SeedloraError(.usage, "model_stock needs at least 2 adapters (it averages their pairwise angles)")
        }
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] {
        let n = gram.count
        var cosines: [Double] = []
        for i in 0..<n {
            for j in (i + 1)..<n {
                let norms = (gram.inner(i, i) * gram.inner(j, j)).squareRoot()
                cosines.append(min(1, max(-1, gram.inner(i, j) / max(norms, 1e-6))))
            }
        }
        let cos = cosines.reduce(0, +) / Double(cosines.count)
        let t = Double(n) * cos / (1 + Double(n - 1) * cos)
        return Array(repeating: t / Double(n), count: n)
    }
}
