import Foundation
import Ops

/// Karcher (Riemannian) mean of the deltas' directions on the unit sphere, scaled by the mean of
/// their norms. Matches mergekit's `karcher` (equal weights 1/n, `max_iter` 10, `tol` 1e-5).
///
/// Every iterate stays in the span of the inputs, so it is kept as coefficients over the inputs
/// and every dot product and norm comes from the Gram matrix: exact on the factors.
public struct KarcherStrategy: CombinationStrategy {
    public static let info = StrategyInfo(
        name: "karcher",
        summary: "Karcher mean of the deltas' directions, scaled by their mean norm",
        reference: "Karcher 1977; mergekit `karcher`",
        form: "exact, factored: rank sum(r_i)",
        parameters: [
            ParameterSpec("max_iter", .integer(1...10_000), default: .integer(10), doc: "at most this many Riemannian gradient steps"),
            ParameterSpec("tol", .real(0...1), default: .real(1e-5), doc: "stop when the tangent step is smaller"),
            MergeScale.parameter,
        ])

    let maxIterations: Int
    let tolerance: Double

    public init(parameters: ResolvedParameters, inputCount: Int) throws {
        maxIterations = parameters.integer("max_iter")
        tolerance = parameters.real("tol")
    }

    public func coefficients(_ gram: any DeltaGeometry, module: String) throws -> [Double] {
        let n = gram.count
        if n == 1 { return [1] }
        let norms = (0..<n).map { gram.inner($0, $0).squareRoot() }
        // Gram of the unit vectors u_i = tau_i / |tau_i|.
        var unitGram = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n where norms[i] > 0 {
            for j in 0..<n where norms[j] > 0 { unitGram[i][j] = gram.inner(i, j) / (norms[i] * norms[j]) }
        }
        let valid = (0..<n).filter { norms[$0] > tolerance }
        if valid.isEmpty { return Array(repeating: 0, count: n) }
        let alpha = 1.0 / Double(valid.count)  // equal weights, renormalised over valid inputs

        // A point x = sum_k c[k] u_k: its dot with u_j and its squared norm.
        func dot(_ c: [Double], _ j: Int) -> Double { (0..<n).reduce(0) { $0 + c[$1] * unitGram[$1][j] } }
        func normSquared(_ c: [Double]) -> Double { (0..<n).reduce(0) { $0 + c[$1] * dot(c, $1) } }

        var mean = [Double](repeating: 0, count: n)
        for i in valid { mean[i] = alpha }
        let meanNorm = normSquared(mean).squareRoot()
        if meanNorm < tolerance {
            mean = [Double](repeating: 0, count: n)
            mean[valid[0]] = 1
        } else {
            mean = mean.map { $0 / meanNorm }
        }
        for _ in 0..<maxIterations {
            var tangent = [Double](repeating: 0, count: n)
            for i in valid {
                let d = min(1, max(-1, dot(mean, i)))
                let theta = acos(d)
                if theta < tolerance { continue }
                let factor = alpha * theta / sin(theta)
                tangent[i] += factor
                for k in 0..<n { tangent[k] -= factor * d * mean[k] }
            }
            let tangentNorm = normSquared(tangent).squareRoot()
            if tangentNorm < tolerance { break }
            mean = (0..<n).map { cos(tangentNorm) * mean[$0] + sin(tangentNorm) * tangent[$0] / tangentNorm }
            let unitNorm = normSquared(mean).squareRoot()
            if unitNorm > tolerance { mean = mean.map { $0 / unitNorm } }
        }
        // mergekit scales by sum_i (1/n) |tau_i| over all inputs, zero norms included.
        let scale = norms.reduce(0, +) / Double(n)
        // Back from unit vectors to the deltas: u_i = tau_i / |tau_i|.
        return (0..<n).map { norms[$0] > 0 ? scale * mean[$0] / norms[$0] : 0 }
    }
}
