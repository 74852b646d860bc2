import Foundation
import Ops
import Testing
import TestSupport

/// End to end: `seedlora merge` writes a PEFT directory whose delta equals the reference merge.
struct MergeCommandTests {
    /// The exported factors, read back as a plain PEFT adapter.
    func exportedDeltas(_ dir: String) throws -> PeftAdapter {
        try PeftAdapter(directory: dir)
    }

    @Test func exactExportEqualsReferenceMerge() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/merged"
        let result = try CLIRunner.run(["merge", "--method", "seedlora"] + Fixtures.seedPaths + ["--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("merged 3 adapters with seedlora"))
        #expect(result.stderr.contains("exported rank 25"))

        let adapter = try exportedDeltas(out)
        #expect(adapter.config.r == 25 && adapter.config.loraAlpha == 25 && !adapter.config.useRSLoRA)
        #expect(adapter.config.rankPattern.isEmpty && adapter.config.alphaPattern.isEmpty)
        // The relative base path of the inputs is rewritten to point at the same model from the output.
        let base = try #require(adapter.config.baseModel)
        #expect(FilePaths.absolute(out + "/" + base) == FilePaths.absolute(Fixtures.root + "/examples/base"))
        let weights = try SafetensorsFile(path: out + "/adapter_model.safetensors")
        #expect(weights.metadata.count == 1 && weights.metadata[0] == ("format", "pt"))
        #expect(weights.entries.allSatisfy { $0.name.hasSuffix(".lora_A.weight") || $0.name.hasSuffix(".lora_B.weight") })
        let reference = try Fixtures.safetensors("merged.safetensors")
        for module in adapter.modules {
            #expect(module.delta.scale == 1 && module.rank == 25)
            let expected = try reference.tensor("merged/seedlora/\(module.name)")
            let error = Compare.relativeFrobenius(module.delta.dense().data, expected.data)
            #expect(error <= 1e-5, "\(module.name): \(error)")
        }
        // Nothing but the three files, and no temporary directory beside the output.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["adapter_config.json", "adapter_model.safetensors", "README.md"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["merged"])
    }

    @Test func rankKExportKeepsTopSingularValues() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/r8"
        let result = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--rank", "8", "--max-rank", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Frobenius energy kept: min"))
        let adapter = try PeftAdapter(directory: out)
        let merges = try Fixtures.json("merges.json")
        #expect(adapter.config.r == 8 && adapter.config.loraAlpha == 8)
        for module in adapter.modules {
            let want = try #require(merges["methods"]?["seedlora"]?["per_module"]?[module.name]?["sv_top8"]?.arrayValue)
                .compactMap(\.numberValue)
            let got = try LowRankSVD(module.delta).values
            for (g, w) in zip(got, want) { #expect(Compare.relative(g, w) <= 1e-4, "\(module.name)") }
        }
    }

    @Test func bf16ExportIsCloseAndWeightedParamsApply() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/bf16"
        let result = try CLIRunner.run(["merge"] + Fixtures.seedPaths
            + ["--out", out, "--dtype", "bf16", "--param", "weights=1,1,2", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty, "--quiet prints nothing")
        let adapter = try PeftAdapter(directory: out)
        #expect(adapter.modules.allSatisfy { $0.dtype == .bf16 })
        let reference = try Fixtures.safetensors("merged.safetensors")
        for module in adapter.modules {
            let expected = try reference.tensor("merged/seedlora_w112_unweighted_target/\(module.name)")
            // bf16 keeps 8 bits of mantissa: about 0.4 % per factor entry.
            #expect(Compare.relativeFrobenius(module.delta.dense().data, expected.data) <= 1e-2)
        }
    }

    /// Without --dtype, a merge of bf16 adapters is stored as bf16 (and says so), on the streamed
    /// path, the in-memory one (stats=adapter) and as dense deltas; the same bytes as asking for
    /// bf16. Any input that is not bf16, or --dtype f32, gives f32 and no note.
    @Test(arguments: [
        (["--method", "seedlora"], "adapter_model.safetensors"),
        (["--method", "seedlora", "--param", "stats=adapter"], "adapter_model.safetensors"),
        (["--method", "ties", "--format", "delta"], "delta.safetensors"),
    ])
    func bf16InputsAreStoredAsBF16UnlessAsked(_ method: [String], _ file: String) throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let bf16 = Fixtures.adapter("taskA_bf16_seed42"), f32 = Fixtures.adapter("taskA_seed42")
        func merge(_ inputs: [String], _ extra: [String], _ name: String) throws -> (dtypes: Set<DType>, stderr: String, bytes: Data) {
            let out = tmp + "/" + name
            let result = try CLIRunner.run(["merge"] + method + inputs + ["--out", out] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let path = out + "/" + file
            return (Set(try SafetensorsFile(path: path).entries.map(\.dtype)), result.stderr,
                    try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let note = "stored as bf16 like the inputs; --dtype f32 keeps the merged factors unrounded"
        let byDefault = try merge([bf16, bf16], [], "default")
        #expect(byDefault.dtypes == [.bf16])
        #expect(byDefault.stderr.contains(note), "\(byDefault.stderr)")
        let asked = try merge([bf16, bf16], ["--dtype", "bf16"], "asked")
        #expect(asked.bytes == byDefault.bytes)
        #expect(!asked.stderr.contains(note))
        let full = try merge([bf16, bf16], ["--dtype", "f32"], "f32")
        #expect(full.dtypes == [.f32] && !full.stderr.contains(note))
        let mixed = try merge([bf16, f32], [], "mixed")
        #expect(mixed.dtypes == [.f32] && !mixed.stderr.contains(note))
    }

    /// A sweep of bf16 inputs stores every point as bf16 and says so once.
    @Test func sweepOfBF16InputsStoresBF16() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let bf16 = Fixtures.adapter("taskA_bf16_seed42")
        let result = try CLIRunner.run(["merge", "--method", "seedlora", bf16, bf16, "--sweep", "lambda=0.5,1", "--out", tmp + "/s"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("stored as bf16 like the inputs"), "\(result.stderr)")
        let points = try FileManager.default.contentsOfDirectory(atPath: tmp + "/s").filter { !$0.hasSuffix(".csv") }
        #expect(points.count == 2)
        for point in points {
            let file = try SafetensorsFile(path: tmp + "/s/" + point + "/adapter_model.safetensors")
            #expect(file.entries.allSatisfy { $0.dtype == .bf16 }, "\(point)")
        }
    }

    /// A merged factor beyond f16's range would be stored as inf: the export is refused, naming
    /// the tensor, and nothing is left behind.
    @Test func f16OverflowIsRefusedNotStoredAsInf() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", "--method", "linear"] + Fixtures.seedPaths
            + ["--param", "weights=1e6,1e6,1e6", "--param", "normalize=false", "--dtype", "f16", "--out", tmp + "/x"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("outside float16's range (largest 65504)"), "\(result.stderr)")
        #expect(result.stderr.contains(".lora_"), "names the tensor: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
        // The same merge in bf16 (f32's range) is fine.
        let bf16 = try CLIRunner.run(["merge", "--method", "linear"] + Fixtures.seedPaths
            + ["--param", "weights=1e6,1e6,1e6", "--param", "normalize=false", "--dtype", "bf16", "--out", tmp + "/y", "--quiet"])
        #expect(bf16.status == 0, "\(bf16.stderr)")
    }

    @Test func maxRankRefusesAndWritesNothing() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", tmp + "/x", "--max-rank", "16"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("needs rank 25 but --max-rank is 16; pass --rank 16"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func existingOutputNeedsForce() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/m"
        #expect(try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--quiet"]).status == 0)
        let again = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--rank", "4"])
        #expect(again.status == 1 && again.stderr.contains("already exists"))
        let forced = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out, "--rank", "4", "--force", "--quiet"])
        #expect(forced.status == 0)
        #expect(try PeftAdapter(directory: out).config.r == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp) == ["m"])
    }

    @Test(arguments: [
        (["merge", "--method", "seedlor"] as [String], "Did you mean 'seedlora'?"),
        (["merge", "--param", "weights=1,2"], "one value per input"),
        (["merge", "--param", "nonsense"], "--param takes name=value"),
        (["merge", "--dtype", "f8"], "Please provide one of 'f32', 'bf16' or 'f16'"),
        (["merge", "--param", "=1"], "the name before '=' is empty"),
        (["merge", "--rank", "0"], "--rank must be at least 1"),
    ])
    func usageErrorsExitWith2(_ arguments: [String], _ message: String) throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(arguments + Fixtures.seedPaths + ["--out", tmp + "/o"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func inspectReportsModulesAndStatistics() throws {
        let result = try CLIRunner.run(["inspect", Fixtures.adapter("taskA_pattern_seed42"), "--json"])
        #expect(result.status == 0)
        let json = try JSON.parse(result.stdout)
        let modules = try #require(json["modules"]?.arrayValue)
        #expect(modules.count == 14)
        let q = try #require(modules.first { $0["name"]?.stringValue == "model.layers.0.self_attn.q_proj" })
        #expect(q["rank"]?.numberValue == 4)
        let table = try CLIRunner.run(["inspect", Fixtures.adapter("taskA_dora_seed42")])
        #expect(table.status == 0 && table.stdout.contains("not mergeable") && table.stdout.contains("DoRA"))
    }
}
