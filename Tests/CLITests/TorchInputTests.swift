import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora` reads PEFT adapters saved as `adapter_model.bin` (torch.save) like their safetensors twins.
struct TorchInputTests {
    @Test func binInputMergesBitForBitLikeItsSafetensorsTwin() throws {
        let tmp = try Fixtures.temporaryDirectory("seedlora-torch-merge")
        defer { FilePaths.removeTree(tmp) }
        let seeds = Fixtures.seedPaths
        #expect(Fixtures.seeds[1] == "taskA_seed42")
        let fromBin = try CLIRunner.run(["merge", seeds[0], Fixtures.torch("taskA_seed42"), seeds[2], "--out", tmp + "/bin", "--quiet"])
        let fromSafetensors = try CLIRunner.run(["merge"] + seeds + ["--out", tmp + "/st", "--quiet"])
        #expect(fromBin.status == 0 && fromSafetensors.status == 0, "\(fromBin.stderr) \(fromSafetensors.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: tmp + "/bin/adapter_model.safetensors"))
        let b = try Data(contentsOf: URL(fileURLWithPath: tmp + "/st/adapter_model.safetensors"))
        #expect(a == b)
    }

    @Test func inspectReadsABinAdapter() throws {
        let result = try CLIRunner.run(["inspect", Fixtures.torch("taskA_bf16_seed42")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("BF16"), "\(result.stdout)")
    }
}
