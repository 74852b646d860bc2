import Ops
import Plugins
import Testing
import TestSupport

/// The SeedLoRA merge of the three taskA seeds against the numpy reference (merged.safetensors),
/// tolerance 1e-5 relative Frobenius error per module, for every parameter variant stored there.
struct SeedLoRAStrategyTests {
    static let cases: [(reference: String, params: [(String, String)])] = [
        ("seedlora", []),
        ("seedlora_per_adapter", [("stats", "adapter")]),
        ("seedlora_w112_unweighted_target", [("weights", "1,1,2")]),
        ("seedlora_w112", [("weights", "1,1,2"), ("target", "weighted")]),
        ("seedlora_ref_input1", [("reference", "1")]),
    ]

    static func merge(_ params: [(String, String)]) throws -> [PeftExport.Module] {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let (strategy, _) = try StrategyRegistry.entry(named: "seedlora").instantiate(params, inputCount: 3)
        return try MergeEngine.run(strategy, on: input)
    }

    @Test(arguments: 0..<cases.count)
    func matchesReference(_ index: Int) throws {
        let (name, params) = Self.cases[index]
        let merged = try Self.merge(params)
        let reference = try Fixtures.safetensors("merged.safetensors")
        #expect(merged.count == 14)
        for module in merged {
            #expect(module.delta.rank == 25, "rank n*r+1")
            let expected = try reference.tensor("merged/\(name)/\(module.name)")
            let error = Compare.relativeFrobenius(module.delta.dense().data, expected.data)
            #expect(error <= 1e-5, "\(name) \(module.name): relative Frobenius error \(error)")
        }
    }

    @Test func gainAndOffsetMatchReference() throws {
        let merges = try Fixtures.json("merges.json")
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let merged = try Self.merge([])
        for (group, module) in zip(input.modules, merged) {
            let ref = try #require(merges["methods"]?["seedlora"]?["per_module"]?[group.name])
            let moments = module.delta.moments()
            let wantMean = try #require(ref["target_mean"]?.numberValue)
            let wantStd = try #require(ref["target_std"]?.numberValue)
            #expect(abs(moments.mean - wantMean) <= 1e-6 * wantStd, "\(group.name) mean")
            #expect(Compare.relative(moments.std, wantStd) <= 1e-6, "\(group.name) std")
        }
    }

    /// The best rank-8 approximation keeps exactly the top 8 singular values of the merge.
    @Test func rank8SingularValuesMatchReference() throws {
        let merges = try Fixtures.json("merges.json")
        let (reduced, report) = try RankReduction.reduce(try Self.merge([]), rank: 8)
        #expect(report.energies.allSatisfy { $0 > 0 && $0 <= 1 })
        for module in reduced {
            #expect(module.delta.rank == 8)
            let want = try #require(merges["methods"]?["seedlora"]?["per_module"]?[module.name]?["sv_top8"]?.arrayValue)
                .compactMap(\.numberValue)
            let got = try LowRankSVD(module.delta).values
            for (g, w) in zip(got, want) {
                #expect(Compare.relative(g, w) <= 1e-4, "\(module.name): \(g) vs \(w)")
            }
        }
    }

    /// Merging n copies of one adapter returns it (mean and std already match).
    @Test func copiesOfOneAdapterMergeToItself() throws {
        let path = Fixtures.adapter("taskA_seed42")
        let input = try MergeEngine.loadInputs([path, path, path])
        let (strategy, _) = try StrategyRegistry.entry(named: "seedlora").instantiate([], inputCount: 3)
        for (group, module) in zip(input.modules, try MergeEngine.run(strategy, on: input)) {
            let error = Compare.relativeFrobenius(module.delta.dense().data, group.deltas[0].dense().data)
            #expect(error <= 1e-6, "\(group.name)")
        }
    }
}

struct ParameterTests {
    @Test(arguments: [
        ([("weight", "1")], "no parameter 'weight'. Did you mean 'weights'?"),
        ([("weights", "1,2")], "one value per input (3 inputs), got 2"),
        ([("weights", "1,x,2")], "numbers separated by commas"),
        ([("stats", "layer")], "expected module or adapter"),
        ([("reference", "3")], "an input index from 0 to 2"),
        ([("stats", "module"), ("stats", "adapter")], "given twice"),
    ])
    func invalidParametersAreUsageErrors(_ raw: [(String, String)], _ message: String) throws {
        let entry = try StrategyRegistry.entry(named: "seedlora")
        let error = #expect(throws: SeedloraError.self) { try entry.instantiate(raw, inputCount: 3) }
        #expect(error?.kind == .usage)
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "")")
    }

    @Test func singleWeightIsBroadcast() throws {
        let resolved = try ResolvedParameters([("weights", "2")], specs: SeedLoRAStrategy.info.parameters,
                                              inputCount: 3, strategy: "seedlora")
        #expect(resolved.reals("weights") == [2, 2, 2])
    }

    @Test func unknownMethodSuggestsAName() {
        let error = #expect(throws: SeedloraError.self) { try StrategyRegistry.entry(named: "seedlor") }
        #expect(error?.description.contains("Did you mean 'seedlora'?") == true)
    }
}
