import Foundation
import Ops

/// Spherical interpolation between two deltas, `t = 0` giving the first input.
///
/// With `d = <tau_0, tau_1> / (|tau_0| |tau_1|)` and `theta = acos(d)`, the result is
/// `sin((1 - t) theta) / sin(theta) * tau_0 + sin(t theta) / sin(theta) * tau_1`; nearly colinear
/// inputs (`|d| > 0.9995`) are interpolated linearly. Matches mergekit's `slerp` (whole tensor
/// flattened, norms <= 1e-8 left unnormalised); exact on the factors.
public struct SlerpStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "slerp",
        summary: "spherical interpolation between two deltas",
        reference: "Shoemake 1985; mergekit `slerp`",
        form: "exact, factored: rank r_0 + r_1",
        parameters: [
            ParameterSpec("t", .real(0...1), default: .real(0.5), doc: "interpolation position: 0 gives input 0, 1 gives input 1"),
            MergeScale.parameter,
        ])

    let t: Double

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        guard inputCount == 2 else {
            throw SeedloraError(.usage, "slerp interpolates between exactly 2 adapters, got \(inputCount); use nuslerp or karcher for more")
        }
        t = parameters.real("t")
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] {
        let n0 = gram.inner(0, 0).squareRoot(), n1 = gram.inner(1, 1).squareRoot()
        let u0 = n0 > 1e-8 ? n0 : 1, u1 = n1 > 1e-8 ? n1 : 1
        let dot = gram.inner(0, 1) / (u0 * u1)
        if abs(dot) > 0.9995 { return [1 - t, t] }
        let theta = acos(dot)
        let s = sin(theta)
        return [sin(theta - theta * t) / s, sin(theta * t) / s]
    }
}
