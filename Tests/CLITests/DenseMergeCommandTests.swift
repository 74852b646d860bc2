import Foundation
import Ops
import Plugins
import Testing
import TestSupport

/// Dense methods from the command line: rank-K output checked against an exact SVD, recipes,
/// and the choice of output form.
struct DenseMergeCommandTests {
    /// `--rank K` on a TIES result: the exported top-K singular values equal those of an exact
    /// SVD of the dense TIES delta (reference merge from PEFT) within 1e-4 relative.
    @Test func tiesRankKMatchesExactSVD() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", "--method", "ties", "--param", "density=0.5"] + Fixtures.seedPaths
            + ["--out", tmp + "/t8", "--rank", "8"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Frobenius energy kept"))
        let adapter = try PeftAdapter(directory: tmp + "/t8")
        let reference = try Fixtures.safetensors("merged.safetensors")
        for module in adapter.modules {
            let dense = try reference.tensor("merged/ties_peft_total/\(module.name)")
            let exact = try LinearAlgebra.svd(LinearAlgebra.Matrix(dense)).s
            let got = try LowRankSVD(module.delta).values
            for k in 0..<8 {
                #expect(Compare.relative(got[k], exact[k]) <= 1e-4, "\(module.name) sigma_\(k): \(got[k]) vs \(exact[k])")
            }
        }
    }

    @Test func denseMethodWithoutOutputFormIsAUsageError() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let result = try CLIRunner.run(["merge", "--method", "dare_ties"] + Fixtures.seedPaths + ["--out", tmp + "/x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--rank K") && result.stderr.contains("--format delta"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
    }

    /// A recipe in mergekit's documentation style (ties, per-model weights and densities) equals
    /// the same merge given on the command line.
    @Test func tiesRecipeEqualsCommandLine() throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        let root = Fixtures.root + "/examples/adapters/"
        let recipe = tmp + "/ties.yml"
        try Data("""
            models:
              - model: \(root)taskA_seed11
                parameters:
                  density: 0.6
                  weight: 1.0
              - model: \(root)taskA_seed42
                parameters:
                  density: 0.5
                  weight: 0.5
              - model: \(root)taskA_seed202
                parameters:
                  density: 0.3
                  weight: 2.0
            merge_method: ties
            base_model: \(Fixtures.root)/examples/base
            parameters:
              normalize: true
              int8_mask: true
            dtype: float32
            """.utf8).write(to: URL(fileURLWithPath: recipe))
        let a = try CLIRunner.run(["merge", "--config", recipe, "--format", "delta", "--out", tmp + "/a", "--quiet"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try CLIRunner.run(["merge", "--method", "ties"] + Fixtures.seedPaths
            + ["--param", "density=0.6,0.5,0.3", "--param", "weights=1,0.5,2", "--param", "normalize=true",
               "--format", "delta", "--out", tmp + "/b", "--quiet"])
        #expect(b.status == 0, "\(b.stderr)")
        let fa = try SafetensorsFile(path: tmp + "/a/delta.safetensors"), fb = try SafetensorsFile(path: tmp + "/b/delta.safetensors")
        #expect(fa.entries.count == 14)
        for entry in fa.entries {
            #expect(try fa.tensor(entry) == (try fb.tensor(entry.name)), "\(entry.name)")
        }
        // The recipe's base_model is the merge target for --format model.
        let c = try CLIRunner.run(["merge", "--config", recipe, "--format", "model", "--out", tmp + "/c", "--quiet"])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(FilePaths.exists(tmp + "/c/model.safetensors"))
    }
}
