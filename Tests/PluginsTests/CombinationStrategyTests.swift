import Ops
import Plugins
import Testing
import TestSupport

/// Methods that are linear combinations of the inputs, run exactly on the factors, against the
/// mergekit / PEFT references in merged.safetensors (1e-5 relative Frobenius error per module).
struct CombinationStrategyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let reference: String
        let method: String
        let inputs: [String]
        let params: [(String, String)]
        var testDescription: String { reference }
    }

    static let cases: [Case] = [
        Case(reference: "linear", method: "linear", inputs: Fixtures.seeds, params: []),
        Case(reference: "task_arithmetic", method: "task_arithmetic", inputs: Fixtures.seeds, params: [("lambda", "1")]),
        Case(reference: "model_stock", method: "model_stock", inputs: Fixtures.seeds, params: []),
        Case(reference: "slerp", method: "slerp", inputs: ["taskA_seed11", "taskA_seed42"], params: [("t", "0.3")]),
        Case(reference: "nuslerp", method: "nuslerp", inputs: ["taskA_seed11", "taskA_seed42"], params: [("weights", "1,1")]),
        Case(reference: "karcher", method: "karcher", inputs: Fixtures.seeds, params: []),
    ]

    static func merge(_ method: String, _ inputs: [String], _ params: [(String, String)]) throws -> [PeftExport.Module] {
        let input = try MergeEngine.loadInputs(inputs.map(Fixtures.adapter))
        let (strategy, _) = try StrategyRegistry.entry(named: method).instantiate(params, inputCount: inputs.count)
        return try MergeEngine.run(strategy, on: input)
    }

    @Test(arguments: cases)
    func matchesReference(_ c: Case) throws {
        let merged = try Self.merge(c.method, c.inputs, c.params)
        let reference = try Fixtures.safetensors("merged.safetensors")
        #expect(merged.count == 14)
        for module in merged {
            #expect(module.delta.rank == 8 * c.inputs.count, "exact factored form has rank sum(r_i)")
            let expected = try reference.tensor("merged/\(c.reference)/\(module.name)")
            let error = Compare.relativeFrobenius(module.delta.dense().data, expected.data)
            #expect(error <= 1e-5, "\(c.reference) \(module.name): \(error)")
        }
    }

    /// The model-stock interpolation factor itself, against mergekit's.
    @Test func modelStockFactorMatches() throws {
        let merges = try Fixtures.json("merges.json")
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let strategy = try ModelStockStrategy(parameters: ResolvedParameters([], specs: [], inputCount: 3, strategy: "model_stock"), inputCount: 3)
        for group in input.modules {
            let c = try strategy.coefficients(FactorGram(group.deltas), module: group.name)
            let t = try #require(merges["methods"]?["model_stock"]?["per_module"]?[group.name]?["t"]?.numberValue)
            #expect(abs(c[0] * 3 - t) <= 1e-9, "\(group.name)")
        }
    }

    @Test func slerpEndpointsReturnTheInputs() throws {
        let inputs = ["taskA_seed11", "taskA_seed42"]
        let loaded = try MergeEngine.loadInputs(inputs.map(Fixtures.adapter))
        for (t, index) in [("0", 0), ("1", 1)] {
            for (group, module) in zip(loaded.modules, try Self.merge("slerp", inputs, [("t", t)])) {
                let error = Compare.relativeFrobenius(module.delta.dense().data, group.deltas[index].dense().data)
                #expect(error <= 1e-6, "t=\(t) \(group.name)")
            }
        }
    }

    @Test(arguments: ["linear", "karcher", "model_stock"])
    func copiesOfOneAdapterGiveItBack(_ method: String) throws {
        // model_stock: identical inputs have cos 1, so t = 1 and the result is their mean.
        let path = "taskA_seed42"
        let loaded = try MergeEngine.loadInputs([Fixtures.adapter(path)])
        for (group, module) in zip(loaded.modules, try Self.merge(method, [path, path, path], [])) {
            let error = Compare.relativeFrobenius(module.delta.dense().data, group.deltas[0].dense().data)
            #expect(error <= 1e-6, "\(method) \(group.name)")
        }
    }

    @Test func arityIsChecked() {
        #expect(throws: SeedloraError.self) { try Self.merge("slerp", Fixtures.seeds, []) }
        #expect(throws: SeedloraError.self) { try Self.merge("model_stock", ["taskA_seed11"], []) }
    }
}
