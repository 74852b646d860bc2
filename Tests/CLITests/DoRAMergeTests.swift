import Foundation
import Ops
import Plugins
import Testing
import TestSupport

/// DoRA adapters are merged on their true deltas when the base model is given.
struct DoRAMergeTests {
    @Test func doraTrueDeltaMatchesPEFT() throws {
        let input = try MergeEngine.loadInputs([Fixtures.adapter("taskA_dora_seed42")],
                                               options: .init(base: try Checkpoint(directory: Fixtures.root + "/examples/base")))
        let reference = try Fixtures.safetensors("variants.safetensors")
        for index in input.modules.indices {
            let got = try input.denseDeltas(of: index)[0]
            let want = try reference.tensor("adapters/taskA_dora_seed42/\(input.modules[index].name)")
            #expect(Compare.relativeFrobenius(got.data, want.data) <= 1e-5, "\(input.modules[index].name)")
        }
    }

    @Test func linearMergeWithDoRAInputUsesTheTrueDelta() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let inputs = ["taskA_seed11", "taskA_dora_seed42", "taskA_seed202"].map(Fixtures.adapter)
        let result = try CLIRunner.run(["merge", "--method", "linear"] + inputs
            + ["--out", tmp + "/d", "--format", "delta", "--base", Fixtures.root + "/examples/base"])
        #expect(result.status == 0, "\(result.stderr)")
        let merged = try SafetensorsFile(path: tmp + "/d/delta.safetensors")
        let deltas = try Fixtures.safetensors("deltas.safetensors"), variants = try Fixtures.safetensors("variants.safetensors")
        for entry in merged.entries {
            let module = String(entry.name.dropLast(".weight".count))
            let a = try deltas.tensor("adapters/taskA_seed11/\(module)").data
            let b = try variants.tensor("adapters/taskA_dora_seed42/\(module)").data
            let c = try deltas.tensor("adapters/taskA_seed202/\(module)").data
            let expected = (0..<a.count).map { (a[$0] + b[$0] + c[$0]) / 3 }
            #expect(Compare.relativeFrobenius(try merged.tensor(entry).data, expected) <= 1e-5, "\(module)")
        }
    }

    @Test func doraNeedsADenseOutputForm() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", Fixtures.adapter("taskA_seed11"), Fixtures.adapter("taskA_dora_seed42"),
                                        "--out", tmp + "/x", "--base", Fixtures.root + "/examples/base"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("DoRA deltas are full-rank"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// SeedLoRA's dense form (used for DoRA inputs) equals the factored one.
    @Test func denseSeedLoRAEqualsReference() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let (configured, _) = try StrategyRegistry.entry(named: "seedlora").instantiate([], inputCount: 3)
        guard case .factored(let strategy) = configured, let dense = strategy.denseEquivalent() else {
            Issue.record("seedlora has no dense form")
            return
        }
        let reference = try Fixtures.safetensors("merged.safetensors")
        for (index, group) in input.modules.enumerated() {
            let merged = try dense.merge(DenseModule(name: group.name, index: index, deltas: try input.denseDeltas(of: index)))
            let want = try reference.tensor("merged/seedlora/\(group.name)")
            #expect(Compare.relativeFrobenius(merged.data, want.data) <= 1e-5, "\(group.name)")
        }
    }
}
