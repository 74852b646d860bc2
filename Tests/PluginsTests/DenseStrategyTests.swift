import Ops
@testable import Plugins
import Testing
import TestSupport

/// The deterministic TIES/DARE-family methods against the PEFT and mergekit references
/// (merged.safetensors, parameters from merges.json), 1e-5 relative Frobenius error per module.
struct DenseStrategyTests {
    static let third = "0.3333333333333333"
    static let cases: [(reference: String, method: String, params: [(String, String)])] = [
        ("magnitude_prune", "magnitude_prune", [("density", "0.5")]),
        ("ties_peft_total", "ties", []),
        ("ties_peft_frequency", "ties", [("majority", "frequency")]),
        ("ties_peft_total_w1third", "ties", [("weights", third)]),
        ("ties_peft_total_w112", "ties", [("weights", "1,1,2")]),
        ("ties_mergekit_w1third", "ties", [("convention", "mergekit"), ("weights", third)]),
        ("ties_mergekit_w1", "ties", [("convention", "mergekit")]),
        ("ties_mergekit_w112", "ties", [("convention", "mergekit"), ("weights", "1,1,2")]),
        // With equal weights the peft and mergekit conventions coincide, so both give the same.
        ("ties_peft_total", "ties", [("convention", "mergekit"), ("weights", "2")]),
        ("breadcrumbs", "breadcrumbs", [("density", "0.8"), ("gamma", "0.05")]),
        ("breadcrumbs_ties", "breadcrumbs_ties", [("density", "0.8"), ("gamma", "0.05"), ("convention", "mergekit")]),
        ("breadcrumbs_ties", "breadcrumbs_ties", [("density", "0.8"), ("gamma", "0.05"), ("normalize", "false")]),
        ("sce", "sce", []),
        ("sce_topk05", "sce", [("select_topk", "0.5")]),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesReference(_ index: Int) throws {
        let (name, method, params) = Self.cases[index]
        let merged = try Dense.stream(method, params)
        let reference = try Fixtures.safetensors("merged.safetensors")
        let modules = try MergeEngine.loadInputs(Fixtures.seedPaths).modules
        #expect(merged.count == 14)
        var worst = 0.0
        for (group, tensor) in zip(modules, merged) {
            let expected = try reference.tensor("merged/\(name)/\(group.name)")
            #expect(tensor.shape == expected.shape)
            let error = Compare.relativeFrobenius(tensor.data, expected.data)
            worst = max(worst, error)
            #expect(error <= 1e-5, "\(name) \(group.name): relative Frobenius error \(error)")
        }
        print("reference \(name) via \(method) \(params): worst relative Frobenius error \(worst)")
    }

    /// merges.json states each reference's parameters; the table above must use the same ones.
    @Test func referenceParametersAreTheOnesTested() throws {
        let merges = try Fixtures.json("merges.json")
        func number(_ method: String, _ key: String) -> Double? {
            merges["methods"]?[method]?["params"]?[key]?.numberValue
        }
        #expect(number("magnitude_prune", "density") == 0.5)
        #expect(number("ties_peft_total", "density") == 0.5)
        #expect(merges["methods"]?["ties_peft_frequency"]?["params"]?["majority_sign_method"]?.stringValue == "frequency")
        #expect(number("breadcrumbs", "density") == 0.8 && number("breadcrumbs", "gamma") == 0.05)
        #expect(number("breadcrumbs_ties", "density") == 0.8 && number("breadcrumbs_ties", "gamma") == 0.05)
        #expect(merges["methods"]?["breadcrumbs_ties"]?["params"]?["normalize"]?.boolValue == false)
        #expect(number("sce_topk05", "select_topk") == 0.5)
        let w112 = merges["methods"]?["ties_mergekit_w112"]?["weights"]?.arrayValue?.compactMap(\.numberValue)
        #expect(w112 == [1, 1, 2])
    }

    @Test func sceInputWeightsMatchReference() throws {
        let merges = try Fixtures.json("merges.json")
        let strategy = try #require(try Dense.unscaled("sce", [("select_topk", "0.5")]) as? SCEStrategy)
        for module in try Dense.modules() {
            let want = try #require(merges["methods"]?["sce_topk05"]?["per_module"]?[module.name]?["weights"]?.arrayValue)
                .compactMap(\.numberValue)
            let reader = RowGather(module.deltas)
            let got = strategy.sceWeights(reader, selection: strategy.selectionMask(reader))
            for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-6, "\(module.name): \(g) vs \(w)") }
        }
    }

    @Test func everyFamilyMethodIsRegisteredAsDense() throws {
        let names = ["magnitude_prune", "ties", "dare_linear", "dare_ties", "breadcrumbs", "breadcrumbs_ties",
                     "della", "della_linear", "sce"]
        for name in names {
            let entry = try StrategyRegistry.entry(named: name)
            #expect(entry.form == .dense, "\(name)")
            #expect(!entry.info.reference.isEmpty)
        }
    }
}

/// Properties that hold for any input: density 1 disables trimming, copies merge to themselves,
/// exact-k selection with documented tie-breaking, the sign rules of both conventions.
struct DenseStrategyPropertyTests {
    @Test(arguments: ["peft", "mergekit"])
    func tiesWithDensityOneAndOneInputReturnsTheInput(_ convention: String) throws {
        let modules = try Dense.modules([Fixtures.adapter("taskA_seed42")])
        let strategy = try Dense.strategy("ties", [("density", "1"), ("convention", convention)], inputs: 1)
        for module in modules {
            #expect(try strategy.merge(module) == module.deltas[0], "\(module.name)")
        }
    }

    @Test func magnitudePruneWithDensityOneIsTaskArithmetic() throws {
        let reference = try Fixtures.safetensors("merged.safetensors")
        let strategy = try Dense.strategy("magnitude_prune", [("density", "1")])
        for module in try Dense.modules() {
            let merged = try strategy.merge(module)
            let sum = (0..<module.count).map { j in module.deltas.reduce(0.0) { $0 + Double($1.data[j]) } }
            for j in 0..<module.count { #expect(merged.data[j] == Float(sum[j])) }
            let expected = try reference.tensor("merged/task_arithmetic/\(module.name)")
            #expect(Compare.relativeFrobenius(merged.data, expected.data) <= 1e-5)
        }
    }

    /// n copies of one adapter: TIES gives the adapter back (peft, weights 1; mergekit with any
    /// positive weights, since it divides by their sum).
    @Test(arguments: [[("convention", "peft")], [("convention", "mergekit"), ("weights", "1,2,3")],
                      [("convention", "peft"), ("majority", "frequency")]])
    func tiesOfCopiesIsTheAdapter(_ params: [(String, String)]) throws {
        let path = Fixtures.adapter("taskA_seed42")
        let merged = try Dense.stream("ties", params + [("density", "1")], paths: [path, path, path])
        let modules = try Dense.modules([path])
        for (module, tensor) in zip(modules, merged) {
            #expect(Compare.relativeFrobenius(tensor.data, module.deltas[0].data) <= 1e-7, "\(module.name)")
        }
        // Trimmed: every input is trimmed identically, so the result is the trimmed adapter.
        let trimmed = try Dense.stream("ties", params, paths: [path, path, path])
        let pruned = try Dense.stream("magnitude_prune", [], paths: [path])
        for (a, b) in zip(trimmed, pruned) { #expect(Compare.relativeFrobenius(a.data, b.data) <= 1e-7) }
    }

    /// Exactly k = int(density n) entries survive; equal magnitudes at the threshold keep the lower index.
    @Test func magnitudeTiesKeepTheLowerIndex() throws {
        let strategy = try Dense.strategy("magnitude_prune", [("density", "0.5")], inputs: 1)
        let merged = try strategy.merge(Dense.module([[1, -1, 1, 0.5, -1, 2]]))
        #expect(merged.data == [1, -1, 0, 0, 0, 2])
        let none = try Dense.strategy("magnitude_prune", [("density", "0.1")], inputs: 1)
        #expect(try none.merge(Dense.module([[1, -1, 1, 0.5, -1, 2]])).data == [0, 0, 0, 0, 0, 0], "int(0.6) = 0 keeps nothing, as PEFT")
    }

    @Test func breadcrumbsDropOutliersAndSmallEntries() throws {
        let values: [Float] = [3, -10, 1, 8, -5, 2, 9, -7, 4, 6]
        let strategy = try Dense.strategy("breadcrumbs", [("density", "0.5"), ("gamma", "0.2")], inputs: 1)
        // Drop the 2 largest (10, 9), keep the next 5 (8, 7, 6, 5, 4).
        #expect(try strategy.merge(Dense.module([values])).data == [0, 0, 0, 8, -5, 0, 0, -7, 4, 6])
        // gamma 0 keeps the k largest (mergekit's slice would keep nothing here).
        let plain = try Dense.strategy("breadcrumbs", [("density", "0.3"), ("gamma", "0")], inputs: 1)
        #expect(try plain.merge(Dense.module([values])).data == [0, -10, 0, 8, 0, 0, 9, 0, 0, 0])
        // gamma + density > 1: fewer outliers are dropped so that exactly k stay.
        let crowded = try Dense.strategy("breadcrumbs", [("density", "0.9"), ("gamma", "0.2")], inputs: 1)
        #expect(try crowded.merge(Dense.module([values])).data == [3, 0, 1, 8, -5, 2, 9, -7, 4, 6])
    }

    /// Sign election: a zero statistic elects +; frequency counts signs; mergekit weights the vote.
    @Test func signElectionRules() throws {
        let even = Dense.module([[1, 3], [-1, -1], [0, -1]])
        let total = try Dense.strategy("ties", [("density", "1")]).merge(even)
        #expect(total.data == [1, 3], "sum 0 elects + ; sum 1 elects +")
        let frequency = try Dense.strategy("ties", [("density", "1"), ("majority", "frequency")]).merge(even)
        #expect(frequency.data == [1, -1], "signs +1-1 = 0 elects + ; +1-1-1 elects -")

        let pair = Dense.module([[1], [-1]])
        let peft = try Dense.strategy("ties", [("density", "1"), ("weights", "1,2")], inputs: 2).merge(pair)
        #expect(peft.data == [1], "peft: unweighted sum 0 elects +, one agreeing input, 1*1/1")
        let mergekit = try Dense.strategy("ties", [("density", "1"), ("weights", "1,2"), ("convention", "mergekit")], inputs: 2).merge(pair)
        #expect(mergekit.data == [-1], "mergekit: weighted sum -1 elects -, -2 / agreeing weight 2")
        let unnormalised = try Dense.strategy("ties", [("density", "1"), ("weights", "1,2"), ("convention", "mergekit"), ("normalize", "false")], inputs: 2).merge(pair)
        #expect(unnormalised.data == [-2])
    }

    @Test func mismatchedInputCountIsAnErrorNotACrash() throws {
        let strategy = try Dense.strategy("ties", [], inputs: 2)
        #expect(throws: SeedloraError.self) { try strategy.merge(Dense.module([[1], [2], [3]])) }
    }
}
