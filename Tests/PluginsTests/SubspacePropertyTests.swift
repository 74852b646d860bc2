import Ops
@testable import Plugins
import Testing
import TestSupport

/// Properties of the merge spaces, the subspace family and SeedLoRA's strength.
struct SubspacePropertyTests {
    static func merge(_ method: String, _ params: [(String, String)], paths: [String] = Fixtures.seedPaths) throws -> [LowRank] {
        try SubspaceReferenceTests.merge(method, params, paths: paths).map(\.delta)
    }

    static func worst(_ a: [LowRank], _ b: [LowRank]) -> Double {
        zip(a, b).map { Compare.relativeFrobenius($0.dense().data, $1.dense().data) }.max() ?? .infinity
    }

    /// Iso-C's result has one singular value, repeated K times, K = the sum's numerical rank.
    @Test func isoCHasAFlatSpectrumOnItsKDirections() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let merged = try Self.merge("iso_c", [("weights", "1,1,2")])
        var worstSpread = 0.0
        for (group, delta) in zip(input.modules, merged) {
            let k = try SubspaceSum.svd(group.deltas, weights: [1, 1, 2]).numericalRank()
            let values = try FactoredSVD(delta).s
            let top = values.prefix(k)
            let spread = ((top.max() ?? 0) - (top.min() ?? 0)) / (top.max() ?? 1)
            #expect(k == 24 && delta.rank == k, "\(group.name): K \(k), rank \(delta.rank)")
            #expect(spread <= 1e-6, "\(group.name): spectrum spread \(spread)")
            #expect(values.dropFirst(k).allSatisfy { $0 <= 1e-6 * (top.first ?? 1) })
            worstSpread = max(worstSpread, spread)
        }
        print("iso_c: worst relative spread of the top-K singular values \(worstSpread)")
    }

    @Test func tsvOfOneInputReturnsThatInput() throws {
        let path = [Fixtures.seedPaths[0]]
        let input = try MergeEngine.loadInputs(path)
        let error = Self.worst(try Self.merge("tsv", [], paths: path), input.modules.map { $0.deltas[0] })
        #expect(error <= 1e-6, "tsv of one input: \(error)")
        print("tsv of one input vs the input: \(error)")
    }

    @Test(arguments: ["core", "knots"])
    func magnitudePruneWithDensityOneIsTaskArithmetic(_ space: String) throws {
        let arithmetic = try Self.merge("task_arithmetic", [("weights", "1,1,2")])
        let pruned = try Self.merge("magnitude_prune", [("space", space), ("density", "1"), ("weights", "1,1,2")])
        let error = Self.worst(pruned, arithmetic)
        #expect(error <= 1e-6, "space=\(space): \(error)")
        print("magnitude_prune space=\(space) density=1 vs task_arithmetic: \(error)")
    }

    /// strength 0 is the weighted soup `(1/n) sum w_i tau_i`; strength 1 is SeedLoRA's gain and
    /// offset bit for bit; 0.5 is halfway (dense check).
    @Test func strengthBlendsSoupAndSeedLoRA() throws {
        let weights = ("weights", "1,1,2")
        let soup = try Self.merge("linear", [weights, ("normalize", "false"), ("lambda", "\(1.0 / 3)")])
        let atZero = try Self.merge("seedlora", [weights, ("strength", "0")])
        let zeroError = Self.worst(atZero, soup)
        #expect(zeroError <= 1e-6, "strength=0 vs soup: \(zeroError)")

        let atOne = try Self.merge("seedlora", [weights, ("strength", "1")])
        let today = try Self.seedLoRAWithoutStrength(weights: [1, 1, 2])
        #expect(zip(atOne, today).allSatisfy { $0.b.data.map(\.bitPattern) == $1.b.data.map(\.bitPattern)
            && $0.a.data.map(\.bitPattern) == $1.a.data.map(\.bitPattern) }, "strength=1 is SeedLoRA bit for bit")
        #expect(atOne.allSatisfy { $0.rank == 25 } && atZero.allSatisfy { $0.rank == 25 }, "one more rank-1 term at most")

        let half = try Self.merge("seedlora", [weights, ("strength", "0.5")])
        var worstHalf = 0.0
        for (h, (s, t)) in zip(half, zip(soup, atOne)) {
            let expected = zip(s.dense().data, t.dense().data).map { Float(0.5 * Double($0) + 0.5 * Double($1)) }
            worstHalf = max(worstHalf, Compare.relativeFrobenius(h.dense().data, expected))
        }
        #expect(worstHalf <= 1e-6)
        print("seedlora strength: 0 vs soup \(zeroError), 0.5 vs the blend \(worstHalf), 1 bit-identical")
    }

    /// SeedLoRA as it was before `strength`: the soup times the gain plus the offset row.
    static func seedLoRAWithoutStrength(weights: [Double]) throws -> [LowRank] {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let (configured, resolved) = try StrategyRegistry.entry(named: "seedlora")
            .instantiate([("weights", weights.map { "\($0)" }.joined(separator: ","))], inputCount: 3)
        _ = configured
        let strategy = try SeedLoRAStrategy(parameters: resolved, inputCount: 3)
        let soup = weights.map { $0 / 3 }
        return try input.modules.map { group in
            var module = FactoredCombination(group.deltas, offsetColumn: true)
            let gram = module.gram()
            let stats = SeedLoRAStrategy.ModuleStats(inputs: (0..<3).map { gram.moments(of: $0) },
                                                     soup: gram.moments(ofCombination: soup))
            let map = try strategy.seedLoRAMap(stats, module: group.name)
            module.finalize(coefficients: soup.map { $0 * map.gain }, offset: map.offset)
            return module.lowRank()
        }
    }

    /// DARE in the core space: each input keeps a Binomial(N, density) count of its core entries
    /// (within 4 sigma), and the result does not depend on how many modules run at once.
    @Test func dareLinearInTheCoreSpace() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let density = 0.3
        let params = [("space", "core"), ("density", "\(density)")]
        let dense = try Dense.unscaled("dare_linear", [("density", "\(density)")], seed: 7)
        guard let core = dense as? DareLinearStrategy else { throw SeedloraError("dare_linear is not a DareLinearStrategy") }
        let space = SpaceMerge(method: core, name: "dare_linear", space: .core)
        var worstSigma = 0.0
        for (position, group) in input.modules.enumerated() {
            let module = try space.spaceModule(group, position: position)
            for i in 0..<3 {
                let kept = try core.core.sparsified(module, input: i).kept
                let n = Double(module.count)
                let sigma = (n * density * (1 - density)).squareRoot()
                let z = abs(Double(kept) - n * density) / sigma
                #expect(z <= 4, "\(group.name) input \(i): kept \(kept) of \(Int(n))")
                worstSigma = max(worstSigma, z)
            }
        }
        // All modules at once (both cores) vs one module at a time.
        let (configured, _) = try StrategyRegistry.entry(named: "dare_linear").instantiate(params, inputCount: 3, seed: 7)
        guard case let .factored(strategy) = configured else { throw SeedloraError("dare_linear space=core is not factored") }
        let together = try strategy.merge(input, cancellation: Cancellation())
        let alone = try input.modules.indices.map { try strategy.merge(input.subset([$0]), cancellation: Cancellation())[0] }
        #expect(together.map { $0.b.data.map(\.bitPattern) } == alone.map { $0.b.data.map(\.bitPattern) })
        #expect(together.map { $0.a.data.map(\.bitPattern) } == alone.map { $0.a.data.map(\.bitPattern) })
        print("dare_linear space=core: worst |kept - N p| = \(worstSigma) sigma; 1 and 2 workers bit-identical")
    }

    /// A NaN in one input's factors (allowed with --allow-nonfinite) gives NaN for that module,
    /// never a number; the other modules are unaffected.
    @Test(arguments: ["tsv", "iso_c", "iso_cts", "ties"])
    func nonFiniteInputsPropagateAsNaN(_ method: String) throws {
        let loaded = try MergeEngine.loadInputs(Fixtures.seedPaths)
        var modules = loaded.modules
        var deltas = modules[0].deltas
        var b = deltas[1].b
        b.data[3] = .nan
        deltas[1] = LowRank(uncheckedB: b, a: deltas[1].a, scale: deltas[1].scale)
        modules[0] = ModuleGroup(name: modules[0].name, kind: modules[0].kind, deltas: deltas)
        let input = MergeInput(adapters: loaded.adapters, modules: modules)
        let params = method == "ties" ? [("space", "core")] : []
        let (configured, _) = try StrategyRegistry.entry(named: method).instantiate(params, inputCount: 3)
        let merged = try MergeEngine.run(configured, on: input)
        let first = merged[0].delta.dense().data, second = merged[1].delta.dense().data
        #expect(first.allSatisfy { $0.isNaN }, "\(method): module 0 is NaN")
        #expect(second.allSatisfy { $0.isFinite }, "\(method): module 1 is finite")
    }

    @Test(arguments: [
        ("ties", ("space", "diagonal"), "parameter space = 'diagonal': expected full or core or knots"),
        ("iso_cts", ("common_fraction", "1.5"), "parameter common_fraction = '1.5': expected a number in"),
        ("iso_cts", ("common_fraction", "0"), "parameter common_fraction = '0': expected a number in (0, 1]"),
        ("seedlora", ("strength", "-1"), "parameter strength = '-1': expected a number in [0.0, 1.0]"),
    ])
    func badValuesNameTheParameter(_ method: String, _ param: (String, String), _ message: String) throws {
        let error = #expect(throws: SeedloraError.self) {
            try StrategyRegistry.entry(named: method).instantiate([param], inputCount: 3)
        }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
        #expect(error?.kind == .usage)
    }
}
