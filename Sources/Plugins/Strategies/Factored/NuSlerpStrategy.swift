import Foundation
import Ops

/// Weighted spherical interpolation of two deltas: `t = w_1 / (w_0 + w_1)` (0.5 when the weights
/// sum to about 0), then slerp of the flattened deltas, linear when they are colinear
/// (`|sin theta| < 1e-8`). Matches mergekit's `nuslerp` with `nuslerp_flatten: true` and no base
/// model (norms clamped at 1e-7); exact on the factors.
public struct NuSlerpStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "nuslerp",
        summary: "spherical interpolation of two deltas with relative weights",
        reference: "mergekit `nuslerp` (flattened)",
        form: "exact, factored: rank r_0 + r_1",
        parameters: [CommonParameters.weights, MergeScale.parameter])

    let t: Double

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        guard inputCount == 2 else {
            throw SeedloraError(.usage, "nuslerp interpolates between exactly 2 adapters, got \(inputCount); use karcher for more")
        }
        let w = parameters.reals("weights")
        let total = w[0] + w[1]
        t = abs(total) < 1e-6 ? 0.5 : w[1] / total
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] {
        let n0 = max(gram.inner(0, 0).squareRoot(), 1e-7), n1 = max(gram.inner(1, 1).squareRoot(), 1e-7)
        let cos = min(1, max(-1, gram.inner(0, 1) / (n0 * n1)))
        let theta = acos(cos)
        let s = sin(theta)
        if abs(s) < 1e-8 { return [1 - t, t] }
        return [sin((1 - t) * theta) / s, sin(t * theta) / s]
    }
}
