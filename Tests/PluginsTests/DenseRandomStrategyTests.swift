import Ops
@testable import Plugins
import Testing
import TestSupport

/// DARE and DELLA: reproducible masks, keep rates and probabilities against random_methods.json
/// and della_keep_prob.safetensors, and each convention's rescale rule.
struct DenseRandomStrategyTests {
    static let methods = ["dare_linear", "dare_ties", "della", "della_linear"]

    @Test(arguments: methods, ["peft", "mergekit"])
    func sameSeedGivesTheSameBitsOnAnyNumberOfWorkers(_ method: String, _ convention: String) throws {
        let params = [("convention", convention)]
        let one = try Dense.stream(method, params, seed: 7, workers: 1)
        let two = try Dense.stream(method, params, seed: 7, workers: 2)
        #expect(one.count == 14)
        #expect(Dense.bits(one) == Dense.bits(two))
        let other = try Dense.stream(method, params, seed: 8, workers: 2)
        #expect(Dense.bits(one) != Dense.bits(other))
    }

    /// Each input (and each module) draws its own stream: copies of one adapter get different masks.
    @Test func inputsAndModulesDrawIndependentMasks() throws {
        let path = Fixtures.adapter("taskA_seed42")
        let modules = try Dense.modules([path, path])
        let core = try Dense.core("dare_linear", inputs: 2, seed: 1)
        let first = try core.sparsified(modules[0], input: 0).values
        #expect(first != (try core.sparsified(modules[0], input: 1).values))
        let shifted = DenseModule(name: modules[0].name, index: 5, deltas: modules[0].deltas)
        #expect(first != (try core.sparsified(shifted, input: 0).values))
    }

    @Test func dareKeptCountsAgreeWithTheExpectation() throws {
        let reference = try Fixtures.json("random_methods.json")
        #expect(reference["density"]?.numberValue == 0.5)
        let modules = try Dense.modules()
        for convention in ["peft", "mergekit"] {
            let core = try Dense.core("dare_linear", [("convention", convention)], seed: 3)
            for (i, adapter) in Fixtures.seeds.enumerated() {
                for module in modules {
                    let ref = try #require(reference["per_adapter"]?[adapter]?[module.name])
                    let expected = try #require(ref["expected_kept"]?.numberValue)
                    let sigma = try #require(ref["kept_std"]?.numberValue)
                    #expect(Double(module.count) == ref["numel"]?.numberValue)
                    let kept = try core.sparsified(module, input: i).kept
                    #expect(abs(Double(kept) - expected) <= 4 * sigma, "\(adapter) \(module.name): kept \(kept), expected \(expected) ± \(sigma)")
                }
            }
        }
    }

    /// The probability function on the reference deltas (float32 roundings of the exact ones)
    /// reproduces della_keep_prob to float32 precision. On the sgemm deltas the merge uses, entries
    /// whose magnitudes differ by less than sgemm's rounding may swap ranks within their row: one
    /// rank step, 2 epsilon / (cols - 1), on very few entries.
    @Test func dellaKeepProbabilitiesMatchReference() throws {
        let reference = try Fixtures.safetensors("della_keep_prob.safetensors")
        let deltas = try Fixtures.safetensors("deltas.safetensors")
        let json = try Fixtures.json("random_methods.json")
        let epsilon = try #require(json["della_epsilon"]?.numberValue)
        let probabilities = DellaProbabilities(density: 0.5, epsilon: epsilon)
        var worst = 0.0, swapped = 0, total = 0
        for (i, adapter) in Fixtures.seeds.enumerated() {
            for module in try Dense.modules() {
                let want = try reference.tensor("della_keep_prob/\(adapter)/\(module.name)")
                #expect(want.shape == module.shape)
                let exact = probabilities.all(try deltas.tensor("adapters/\(adapter)/\(module.name)"))
                for j in 0..<exact.count { worst = max(worst, abs(exact[j] - Double(want.data[j]))) }

                let cols = module.deltas[i].cols
                let step = 2 * epsilon / Double(cols - 1)
                let got = probabilities.all(module.deltas[i])
                for j in 0..<got.count where abs(got[j] - Double(want.data[j])) > 1e-6 {
                    swapped += 1
                    #expect(abs(abs(got[j] - Double(want.data[j])) - step) <= 1e-6, "\(adapter) \(module.name) entry \(j)")
                }
                total += got.count
                // A row keeps density * cols in expectation, exactly.
                let perRow = try #require(json["per_adapter"]?[adapter]?[module.name]?["della_expected_kept_per_row"]?.numberValue)
                for r in 0..<module.deltas[i].rows {
                    let sum = got[(r * cols)..<((r + 1) * cols)].reduce(0, +)
                    #expect(abs(sum - perRow) <= 1e-9)
                }
            }
        }
        print("della keep probabilities: max abs difference \(worst) on the reference deltas; \(swapped) of \(total) entries one rank step apart on the sgemm deltas")
        #expect(worst <= 1e-6)
        #expect(swapped <= 8)
    }

    /// Kept counts per module within 4 sigma of sum p (variance sum p(1-p)), for every module and
    /// input; and over 200 seeds, the keep rate of entries grouped by probability matches it.
    @Test func dellaKeepRatesAgreeWithTheProbabilities() throws {
        let modules = try Dense.modules()
        let probabilities = DellaProbabilities(density: 0.5, epsilon: 0.15)
        let core = try Dense.core("della_linear", seed: 11)
        for module in modules {
            for i in 0..<3 {
                let p = probabilities.all(module.deltas[i])
                let mean = p.reduce(0, +), sigma = p.reduce(0) { $0 + $1 * (1 - $1) }.squareRoot()
                let kept = try core.sparsified(module, input: i).kept
                #expect(abs(Double(kept) - mean) <= 4 * sigma, "\(module.name) input \(i): kept \(kept), expected \(mean) ± \(sigma)")
            }
        }
        let module = try #require(modules.first { $0.name.hasSuffix("0.self_attn.k_proj") })
        let delta = module.deltas[0]
        try #require(delta.data.allSatisfy { $0 != 0 })
        let p = probabilities.all(delta)
        let draws = 200
        var keptCount = [Int](repeating: 0, count: p.count)
        for seed in 0..<draws {
            let values = try Dense.core("della_linear", seed: UInt64(seed)).sparsified(module, input: 0).values
            for j in values.indices where values[j] != 0 { keptCount[j] += 1 }
        }
        let bins = 10
        for bin in 0..<bins {
            let low = 0.35 + 0.3 * Double(bin) / Double(bins), high = 0.35 + 0.3 * Double(bin + 1) / Double(bins)
            let members = p.indices.filter { p[$0] >= low && (p[$0] < high || bin == bins - 1) }
            let expected = members.reduce(0.0) { $0 + Double(draws) * p[$1] }
            let variance = members.reduce(0.0) { $0 + Double(draws) * p[$1] * (1 - p[$1]) }
            let observed = Double(members.reduce(0) { $0 + keptCount[$1] })
            let z = (observed - expected) / variance.squareRoot()
            #expect(abs(z) <= 4, "probabilities [\(low), \(high)): z = \(z)")
        }
    }

    /// PEFT: every kept entry is d / p exactly (DARE: p = density; DELLA: its own p).
    @Test func peftRescaleDividesKeptEntriesByTheirProbability() throws {
        let modules = try Dense.modules()
        let dare = try Dense.core("dare_linear", [("density", "0.3")], seed: 5)
        let della = try Dense.core("della_linear", [("density", "0.4"), ("epsilon", "0.1")], seed: 5)
        let dellaProbabilities = DellaProbabilities(density: 0.4, epsilon: 0.1)
        for module in modules {
            for i in 0..<3 {
                let d = module.deltas[i].data
                let (values, kept) = try dare.sparsified(module, input: i)
                #expect(values.indices.allSatisfy { values[$0] == 0 || values[$0] == Float(Double(d[$0]) / 0.3) })
                #expect(values.filter { $0 != 0 }.count == kept)
                let p = dellaProbabilities.all(module.deltas[i])
                let (dellaValues, _) = try della.sparsified(module, input: i)
                #expect(dellaValues.indices.allSatisfy { dellaValues[$0] == 0 || dellaValues[$0] == Float(Double(d[$0]) / p[$0]) })
            }
        }
        // Through the whole merge: one input, weight 1, so the merged entries are the x_i.
        let single = try Dense.modules([Fixtures.adapter("taskA_seed11")])
        let strategy = try Dense.strategy("dare_linear", [("density", "0.3")], inputs: 1, seed: 5)
        for module in single {
            let merged = try strategy.merge(module)
            let d = module.deltas[0].data
            #expect(merged.data.indices.allSatisfy { merged.data[$0] == 0 || merged.data[$0] == Float(Double(d[$0]) / 0.3) })
        }
    }

    /// mergekit: each sparsified input has the L1 norm of the original (float rounding only), and
    /// every kept entry is scaled by the same factor.
    @Test(arguments: ["dare_linear", "della_linear"])
    func mergekitRescaleKeepsTheL1Norm(_ method: String) throws {
        let json = try Fixtures.json("random_methods.json")
        let core = try Dense.core(method, [("convention", "mergekit")], seed: 9)
        for module in try Dense.modules() {
            for (i, adapter) in Fixtures.seeds.enumerated() {
                let d = module.deltas[i].data
                let values = try core.sparsified(module, input: i).values
                let before = d.reduce(0.0) { $0 + Double(abs($1)) }
                let after = values.reduce(0.0) { $0 + Double(abs($1)) }
                #expect(abs(after / before - 1) <= 1e-7, "\(module.name): \(after) vs \(before)")
                let reference = try #require(json["per_adapter"]?[adapter]?[module.name]?["l1"]?.numberValue)
                #expect(abs(after / reference - 1) <= 1e-5)
                let ratios = values.indices.filter { values[$0] != 0 }.map { Double(values[$0]) / Double(d[$0]) }
                let (low, high) = (ratios.min() ?? 1, ratios.max() ?? 1)
                #expect(high / low - 1 <= 2e-7, "one factor per input")
            }
        }
    }

    @Test func dareWithDensityOneIsTheWeightedSum() throws {
        for method in ["dare_linear", "della_linear"] {
            for convention in ["peft", "mergekit"] {
                let strategy = try Dense.strategy(method, [("density", "1"), ("convention", convention), ("weights", "1,2,0.5")])
                let module = try #require(try Dense.modules().first)
                let merged = try strategy.merge(module)
                for j in 0..<module.count {
                    let want = Double(module.deltas[0].data[j]) + 2 * Double(module.deltas[1].data[j]) + 0.5 * Double(module.deltas[2].data[j])
                    #expect(merged.data[j] == Float(want))
                }
            }
        }
    }

    /// E[dare_linear] with the PEFT rescale is the weighted sum; averaged over seeds, n copies with
    /// normalize=true approach the adapter with squared error (1-p)/(p n S) of its energy.
    @Test func dareLinearOfCopiesIsTheAdapterInExpectation() throws {
        let path = Fixtures.adapter("taskA_seed42")
        let modules = try Dense.modules([path, path, path])
        let module = try #require(modules.first { $0.name.hasSuffix("0.self_attn.k_proj") })
        let seeds = 40, p = 0.5
        var mean = [Double](repeating: 0, count: module.count)
        for seed in 0..<seeds {
            let strategy = try Dense.strategy("dare_linear", [("normalize", "true"), ("density", "\(p)")], seed: UInt64(seed))
            let merged = try strategy.merge(module)
            for j in 0..<module.count { mean[j] += Double(merged.data[j]) / Double(seeds) }
        }
        let d = module.deltas[0].data.map(Double.init)
        var error = 0.0, energy = 0.0
        for j in 0..<d.count {
            error += (mean[j] - d[j]) * (mean[j] - d[j])
            energy += d[j] * d[j]
        }
        let expected = (1 - p) / (p * 3 * Double(seeds))
        #expect(error / energy <= 1.5 * expected && error / energy >= 0.5 * expected,
                "squared relative error \(error / energy), expected about \(expected)")
    }

    @Test func dellaRefusesProbabilitiesOutsideTheUnitInterval() throws {
        let entry = try StrategyRegistry.entry(named: "della")
        let error = #expect(throws: SeedloraError.self) {
            try entry.instantiate([("density", "0.9"), ("epsilon", "0.2")], inputCount: 3)
        }
        #expect(error?.kind == .usage)
        #expect(error?.description.contains("must lie in [0, 1]") == true, "\(error?.description ?? "")")
    }

    /// DELLA with epsilon 0 keeps every entry with probability density: it is DARE, bit for bit.
    @Test(arguments: ["peft", "mergekit"])
    func dellaWithoutEpsilonIsDare(_ convention: String) throws {
        let params = [("epsilon", "0"), ("convention", convention), ("density", "0.3")]
        let della = try Dense.stream("della_linear", params, seed: 4)
        let dare = try Dense.stream("dare_linear", [("convention", convention), ("density", "0.3")], seed: 4)
        #expect(Dense.bits(della) == Dense.bits(dare))
    }

    /// Without a mask (density 1), dare_ties is ties.
    @Test(arguments: ["peft", "mergekit"])
    func dareTiesWithDensityOneIsTies(_ convention: String) throws {
        let params = [("density", "1"), ("convention", convention), ("normalize", "true"), ("weights", "1,2,0.5")]
        #expect(Dense.bits(try Dense.stream("dare_ties", params)) == Dense.bits(try Dense.stream("ties", params)))
    }

    @Test func densityZeroKeepsNothing() throws {
        let module = try #require(try Dense.modules().first)
        for method in Self.methods {
            for convention in ["peft", "mergekit"] {
                let merged = try Dense.strategy(method, [("density", "0"), ("convention", convention)]).merge(module)
                #expect(merged.data.allSatisfy { $0 == 0 }, "\(method) \(convention)")
            }
        }
    }
}
