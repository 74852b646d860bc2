import Foundation
import Ops
import Testing
import TestSupport

/// A write that cannot complete (here: the file size limit, `ulimit -f`, which works for root and
/// needs no mount; a full disk takes the same path with ENOSPC) fails with a message naming the
/// file at its final path, exit code 1, and leaves nothing behind: no output, no temporary.
struct FullDiskTests {
    /// `sh -c 'ulimit -f 64; exec seedlora ...'`: 64 blocks (32 KiB in dash, 64 KiB in bash) is
    /// less than any of the exports below. seedlora ignores SIGXFSZ itself, so the write fails
    /// with EFBIG instead of the signal killing the process.
    static let limited = ["/bin/sh", "-c", "ulimit -f 64 && exec \"$0\" \"$@\""]

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let arguments: [String]
        let file: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "PEFT adapter", arguments: ["--method", "seedlora"], file: "adapter_model.safetensors"),
        Case(label: "dense delta (streamed)", arguments: ["--method", "ties", "--format", "delta"], file: "delta.safetensors"),
        Case(label: "merged checkpoint", arguments: ["--method", "linear", "--format", "model", "--base", Fixtures.root + "/examples/base"],
             file: "model.safetensors"),
    ]

    @Test(arguments: cases)
    func aWriteOverTheLimitIsAClearErrorAndLeavesNothing(_ testCase: Case) throws {
        let root = try Fixtures.temporaryDirectory("seedlora-full")
        defer { FilePaths.removeTree(root) }
        let out = root + "/merged"
        let result = try CLIRunner.run(["merge"] + testCase.arguments + Fixtures.seedPaths + ["--out", out], prefix: Self.limited)
        #expect(result.status == 1, "\(testCase.label): \(result.stderr)")
        #expect(result.stderr.hasPrefix("seedlora: error: \(out)/\(testCase.file): cannot write: file too large"), "\(result.stderr)")
        #expect(result.stderr.contains("ulimit -f"))
        let left = try FilePaths.list(root)
        #expect(left.isEmpty, "left behind: \(left)")
    }

    @Test func aFailedReplacementKeepsThePreviousOutput() throws {
        let root = try Fixtures.temporaryDirectory("seedlora-full-keep")
        defer { FilePaths.removeTree(root) }
        let out = root + "/merged"
        #expect(try CLIRunner.run(["merge", "--method", "linear"] + Fixtures.seedPaths + ["--out", out, "--quiet"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/adapter_model.safetensors"))
        let result = try CLIRunner.run(["merge", "--method", "seedlora"] + Fixtures.seedPaths + ["--out", out, "--force"],
                                       prefix: Self.limited)
        #expect(result.status == 1 && result.stderr.contains("file too large"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/adapter_model.safetensors")) == before)
        #expect(try FilePaths.list(root) == ["merged"])
    }
}
