import Foundation
import Ops
import Testing
import TestSupport

/// `--format delta` and `--format model --base` write what the merge computed.
struct OutputFormatTests {
    @Test func deltaFormatHoldsTheMergedDeltas() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/delta"
        let result = try CLIRunner.run(["merge", "--method", "seedlora"] + Fixtures.seedPaths + ["--out", out, "--format", "delta"])
        #expect(result.status == 0, "\(result.stderr)")
        let file = try SafetensorsFile(path: out + "/delta.safetensors")
        let reference = try Fixtures.safetensors("merged.safetensors")
        #expect(file.entries.count == 14)
        for entry in file.entries {
            #expect(entry.name.hasSuffix(".weight"))
            let module = String(entry.name.dropLast(".weight".count))
            let expected = try reference.tensor("merged/seedlora/\(module)")
            #expect(Compare.relativeFrobenius(try file.tensor(entry).data, expected.data) <= 1e-5, "\(module)")
        }
    }

    @Test func modelFormatIsBasePlusDelta() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let out = tmp + "/model"
        let basePath = Fixtures.root + "/examples/base"
        let result = try CLIRunner.run(["merge", "--method", "linear"] + Fixtures.seedPaths
            + ["--out", out, "--format", "model", "--base", basePath])
        #expect(result.status == 0, "\(result.stderr)")
        let base = try SafetensorsFile(path: basePath + "/model.safetensors")
        let merged = try SafetensorsFile(path: out + "/model.safetensors")
        let reference = try Fixtures.safetensors("merged.safetensors")
        #expect(merged.entries.map(\.name) == base.entries.map(\.name))
        var changed = 0
        for entry in base.entries {
            let before = try base.tensor(entry), after = try merged.tensor(entry.name)
            let module = String(entry.name.dropLast(".weight".count))
            if let delta = try? reference.tensor("merged/linear/\(module)") {
                let difference = zip(after.data, before.data).map { $0 - $1 }
                #expect(Compare.relativeFrobenius(difference, delta.data) <= 1e-4, "\(entry.name)")
                changed += 1
            } else {
                #expect(after.data == before.data, "\(entry.name) copied unchanged")
            }
        }
        #expect(changed == 14)
        for name in ["config.json", "generation_config.json"] {
            #expect(FileManager.default.contentsEqual(atPath: basePath + "/" + name, andPath: out + "/" + name))
        }
    }

    @Test(arguments: [
        (["--format", "delta", "--rank", "4"], "--rank applies to --format peft"),
        (["--format", "model"], "--format model needs --base"),
        (["--format", "zip"], "Please provide one of 'peft', 'delta', 'model' or 'mlx'"),
    ])
    func inconsistentOutputOptionsAreUsageErrors(_ options: [String], _ message: String) throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", tmp + "/o"] + options)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    @Test func wrongBaseModelIsNamed() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        // A "base" whose only tensor is unrelated: the adapted weights are missing.
        let fake = tmp + "/fakebase"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        try SafetensorsWriter.write([.init(name: "lm_head.weight", tensor: try Tensor.zeros([4, 4]), dtype: .f32)],
                                    to: fake + "/model.safetensors")
        let result = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", tmp + "/o", "--format", "model", "--base", fake])
        #expect(result.status == 1)
        #expect(result.stderr.contains("the base model has no tensor model.layers.0.mlp.down_proj.weight"), "\(result.stderr)")
        #expect(!FilePaths.exists(tmp + "/o"))
    }
}
