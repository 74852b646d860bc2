#if canImport(Glibc)
import Glibc
#endif
import Ops

/// Merges that run but are probably a mistake. The CLI prints these on stderr and Seed reports
/// them as warnings; `--quiet` silences both.
public enum MergeWarnings {
    /// Below this overall cosine two inputs have almost nothing in common: same-task seeds of the
    /// bundled examples sit at 0.07 to 0.12, different tasks near 0.
    public static let cosineThreshold = 0.02

    /// Warnings about the inputs, before merging: a single input, the same adapter twice, and
    /// unrelated inputs. `shown` are the paths as the user gave them.
    public static func inputs(_ input: MergeInput, shown: [String]) -> [String] {
        let n = input.adapters.count
        var gram = [Double](repeating: 0, count: n * n)
        for group in input.modules {
            let g = moduleGram(group.deltas)
            for k in gram.indices { gram[k] += g[k] }
        }
        return inputs(weightsPaths: input.adapters.map(\.weightsPath), shown: shown.count == n ? shown : input.adapters.map(\.path),
                      gram: gram)
    }

    /// The same, from the inputs' weight files and their Gram matrix of whole-delta inner products
    /// (`n x n`, upper triangle filled; summed `moduleGram`s), so a streamed merge can say it too.
    public static func inputs(weightsPaths: [String], shown names: [String], gram: [Double]) -> [String] {
        var warnings: [String] = []
        if weightsPaths.count == 1 {
            warnings.append("only one input adapter (\(names[0])): the merge rescales it and combines nothing")
        }
        var seen: [String: Int] = [:]
        for (i, weights) in weightsPaths.enumerated() {
            let key = canonical(weights)
            if let j = seen[key] {
                warnings.append("inputs \(j) and \(i) are the same adapter (\(names[j])): it counts twice in the merge")
            } else {
                seen[key] = i
            }
        }
        if weightsPaths.count >= 2, let (i, j, c) = leastSimilarPair(gram, count: weightsPaths.count), c < cosineThreshold {
            warnings.append("inputs \(i) (\(names[i])) and \(j) (\(names[j])) have an overall cosine of \(format3(c)), below \(cosineThreshold): they probably come from different tasks")
        }
        return warnings
    }

    /// Whether a base model given with the inputs is used: for DoRA inputs and merged checkpoints only.
    public static func baseIsUnused(_ input: MergeInput, format: MergeRequest.Format?) -> Bool {
        !input.hasDoRA && format != .model
    }

    /// Warnings about the result, from the Frobenius norms of its modules.
    public static func result(norms: [Double]) -> [String] {
        result(screens: norms.map { DeltaScreen(norm: $0) })
    }

    /// Warnings about the result, from whether each module is zero or not finite.
    public static func result(screens: [DeltaScreen]) -> [String] {
        let nonFinite = screens.filter { $0 == .nonFinite }.count
        if nonFinite > 0 {
            return ["the merged adapter is not finite in \(nonFinite) of \(screens.count) module\(screens.count == 1 ? "" : "s") (NaN or infinite values)"]
        }
        if isAllZero(screens) {
            return ["the merged adapter is all zero: every module's delta vanished (check the parameters, e.g. density or weights)"]
        }
        return []
    }

    public static func isAllZero(_ screens: [DeltaScreen]) -> Bool {
        !screens.isEmpty && screens.allSatisfy { $0 == .zero }
    }

    /// One module's inner products `<tau_i, tau_j>` of the inputs' LoRA parts (DoRA magnitudes
    /// aside: the LoRA parts show whether the inputs agree), `n x n` with the upper triangle filled.
    public static func moduleGram(_ deltas: [LowRank]) -> [Double] {
        innerProducts(FactorGram(deltas))
    }

    /// The inner products of `geometry`'s deltas, `n x n` with the upper triangle filled.
    static func innerProducts(_ geometry: any DeltaGeometry) -> [Double] {
        let n = geometry.count
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { gram[i * n + j] = geometry.inner(i, j) } }
        return gram
    }

    /// The pair of inputs with the lowest cosine of their whole deltas (all modules flattened).
    static func leastSimilarPair(_ gram: [Double], count n: Int) -> (Int, Int, Double)? {
        var best: (Int, Int, Double)?
        for i in 0..<n { for j in (i + 1)..<n {
            let d = (gram[i * n + i] * gram[j * n + j]).squareRoot()
            guard d > 0, d.isFinite else { continue }
            let c = gram[i * n + j] / d
            if best == nil || c < (best?.2 ?? 0) { best = (i, j, c) }
        } }
        return best
    }

    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return FilePaths.absolute(path) }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func format3(_ x: Double) -> String {
        let scaled = (x * 10_000).rounded() / 10_000
        return "\(scaled)"
    }
}
