import Foundation
import Ops
import Testing
import TestSupport

/// One error format, `seedlora: error: ...`, and the exit codes the README documents (0 ok,
/// 1 bad input, 2 usage), for every bad-input case of `BadInputTests` and every usage error.
@Suite struct ErrorFormatTests {
    /// The first line is `seedlora: error: <message>`; no line uses another error prefix.
    static func checkFormat(_ stderr: String, _ label: String) {
        let lines = stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("seedlora: error: ") == true, "\(label): \(stderr)")
        #expect(lines.filter { $0.hasPrefix("seedlora: error: ") }.count == 1, "\(label): \(stderr)")
        #expect(!lines.contains { $0.hasPrefix("Error:") || $0.hasPrefix("error:") }, "\(label): \(stderr)")
        // The rest is the usage hint of the argument parser, if any.
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("Usage:") || $0.hasPrefix("Help:") || $0.hasPrefix("  ") }, "\(label): \(stderr)")
    }

    @Test("bad inputs: exit 1", arguments: BadInputTests.cases)
    func badInput(_ testCase: BadInputTests.Case) throws {
        let root = try Fixtures.temporaryDirectory("error-format")
        defer { FilePaths.removeTree(root) }
        for (name, seed) in zip(["a", "b", "c"], Fixtures.seeds) {
            try FileManager.default.copyItem(atPath: Fixtures.adapter(seed), toPath: root + "/" + name)
        }
        try testCase.breakIt(root)
        let result = try CLIRunner.run(["merge"] + testCase.inputs.map { root + "/" + $0 } + ["--out", root + "/out"])
        #expect(result.status == 1, "\(testCase.label): \(result.stderr)")
        Self.checkFormat(result.stderr, testCase.label)
    }

    struct Usage: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let status: Int32
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
        init(_ arguments: [String], _ status: Int32, _ message: String) {
            self.arguments = arguments
            self.status = status
            self.message = message
        }
    }

    static let seeds = Fixtures.seedPaths
    static let out = ["--out", "/nonexistent-dir-for-seedlora-tests/out"]

    static let usages: [Usage] = [
        Usage(["bogus"], 2, "Unexpected argument 'bogus'"),
        Usage(["merge"] + seeds, 2, "Missing expected argument '--out <out>'"),
        Usage(["merge"] + out, 2, "give the adapter directories to merge (or --config recipe.yml)"),
        Usage(["merge", "--rank", "-3"] + seeds + out, 2, "--rank must be at least 1, got -3"),
        Usage(["merge", "--rank", "0"] + seeds + out, 2, "--rank must be at least 1, got 0"),
        Usage(["merge", "--max-rank", "-1"] + seeds + out, 2, "--max-rank must be at least 1, got -1"),
        Usage(["merge", "--rank", "abc"] + seeds + out, 2, "The value 'abc' is invalid for '--rank <rank>'"),
        Usage(["merge", "--out", ""] + seeds, 2, "--out is an empty path; give the output directory"),
        Usage(["merge", "--format", "onnx"] + seeds + out, 2, "The value 'onnx' is invalid for '--format <format>'. Please provide one of 'peft', 'delta', 'model' or 'mlx'."),
        Usage(["merge", "--dtype", "int8"] + seeds + out, 2, "The value 'int8' is invalid for '--dtype <dtype>'. Please provide one of 'f32', 'bf16' or 'f16'."),
        Usage(["merge", "--param", "density"] + seeds + out, 2, "--param takes name=value, got 'density'"),
        Usage(["merge", "--method", "lienar"] + seeds + out, 2, "unknown merge method 'lienar'. Did you mean 'linear'?"),
        Usage(["merge", "--method", "ties", "--param", "densty=0.5", "--rank", "4"] + seeds + out, 2, "ties has no parameter 'densty'"),
        Usage(["merge", "--method", "ties", "--param", "density=abc", "--rank", "4"] + seeds + out, 2, "ties: parameter density = 'abc'"),
        Usage(["merge", "--method", "linear", "--param", "weights=1,-1,0"] + seeds + out, 2, "linear: the weights sum to 0"),
        Usage(["merge", "--method", "seedlora", "--param", "target=weighted", "--param", "weights=1,-1,0"] + seeds + out, 2,
              "seedlora: target=weighted needs weights whose sum is not zero"),
        Usage(["merge", "--method", "seedlora", "--param", "weights=0,0,0"] + seeds + out, 2,
              "seedlora: the weights are all zero"),
        Usage(["merge", "--method", "slerp"] + seeds + out, 2, "slerp interpolates between exactly 2 adapters, got 3"),
        Usage(["merge", "--method", "ties"] + seeds + out, 2, "ties computes a full-rank delta; say how to write it"),
        Usage(["merge", "--rank", "4", "--format", "delta"] + seeds + out, 2, "--rank applies to --format peft"),
        Usage(["merge", "--format", "model"] + seeds + out, 2, "--format model needs --base MODEL_DIR"),
        Usage(["merge", "--config", "x.yml"] + seeds + out, 2, "--config lists the adapters itself"),
        Usage(["merge", "--config", "/nonexistent.yml"] + out, 1, "/nonexistent.yml"),
        Usage(["merge", seeds[0], "/nonexistent-adapter"] + out, 1, "/nonexistent-adapter"),
        Usage(["merge"] + seeds + ["--out", Fixtures.root + "/examples"], 1, "output already exists; choose another --out or pass --force"),
        Usage(["run"], 2, "Missing expected argument '<file>'"),
        Usage(["run", "/nonexistent.seed"], 1, "/nonexistent.seed: cannot open"),
        Usage(["run", "--set", "=3", "x.seed"], 2, "--set takes name=value, got '=3'"),
        Usage(["inspect", "/nonexistent-adapter"], 1, "/nonexistent-adapter"),
        Usage(["-e"], 2, "Missing value for '-e <code>'"),
        Usage(["kernel", "bogus"], 2, "Unexpected argument 'bogus'"),
        Usage(["strategies", "extra"], 2, "Unexpected argument 'extra'"),
    ]

    @Test("usage and input errors on the command line", arguments: usages)
    func usage(_ test: Usage) throws {
        let result = try CLIRunner.run(test.arguments)
        #expect(result.status == test.status, "\(test.arguments): \(result.stderr)")
        #expect(result.stderr.contains(test.message), "\(test.arguments): \(result.stderr)")
        Self.checkFormat(result.stderr, test.testDescription)
    }

    @Test func helpIsWrappedOnce() throws {
        for command in [["--help"], ["merge", "--help"], ["run", "--help"], ["inspect", "--help"], ["strategies", "--help"]] {
            let result = try CLIRunner.run(command)
            #expect(result.status == 0)
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            // The parser wraps at 80 columns (its USAGE synopsis is one line by design).
            #expect(lines.allSatisfy { $0.count <= 80 || $0.hasPrefix("USAGE:") }, "\(command): a line longer than 80 columns")
            // Wrapped twice, a paragraph leaves a short line followed by a continuation.
            for (a, b) in zip(lines, lines.dropFirst()) where !a.isEmpty && !b.isEmpty && !b.hasPrefix(" ") && !a.hasPrefix(" ") {
                let firstWord = b.split(separator: " ").first?.count ?? 0
                #expect(a.count + 1 + firstWord >= 80 || a.hasSuffix(":") || b.hasPrefix("-") || b.hasPrefix("OVERVIEW") || b.hasPrefix("USAGE"),
                        "\(command): ragged wrap between '\(a)' and '\(b)'")
            }
        }
    }

    @Test func strategiesCiteExistingDocs() throws {
        let result = try CLIRunner.run(["strategies"])
        #expect(result.status == 0)
        for match in result.stdout.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" || $0 == ";" || $0 == "," })
        where match.hasPrefix("docs/") {
            let path = String(match.split(separator: "#").first ?? match)
            #expect(FilePaths.exists(Fixtures.root + "/" + path), "\(path) is cited but does not exist")
        }
        #expect(!result.stdout.contains("docs/method.md"))
    }

    @Test func plurals() throws {
        let root = try Fixtures.temporaryDirectory("plurals")
        defer { FilePaths.removeTree(root) }
        let one = try CLIRunner.run(["merge", Self.seeds[0], "--out", root + "/one"])
        #expect(one.stderr.contains("merged 1 adapter with") && !one.stderr.contains("1 adapters"), "\(one.stderr)")
        let three = try CLIRunner.run(["merge"] + Self.seeds + ["--out", root + "/three"])
        #expect(three.stderr.contains("merged 3 adapters with") && three.stderr.contains("14 modules"), "\(three.stderr)")
    }
}
