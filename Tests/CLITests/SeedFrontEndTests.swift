import Foundation
import Ops
import Plugins
import Testing
import TestSupport

/// `seedlora run`, `seedlora -e`, and the REPL driven through a pseudo-terminal.
@Suite struct SeedFrontEndTests {
    @Test func evaluatesAnExpression() throws {
        let result = try CLIRunner.run(["-e", "x = 20\nx * 2 + 2"])
        #expect(result.status == 0)
        #expect(result.stdout == "42\n")
    }

    @Test func reportsErrorsWithPositionAndCaret() throws {
        let result = try CLIRunner.run(["-e", "y = 1\nprint(y +)"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("<-e>:2:10: error: expected an expression, found ')'\n    print(y +)\n             ^"))
    }

    @Test func runsAScriptWithSetVariables() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/s.seed"
        try "fn scaled(x, k=2) { return x * k }\nprint(scaled(n), name)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["run", script, "--set", "n=21", "--set", "name=seed"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "42 seed\n")
    }

    @Test func runtimeErrorsShowTheCallStack() throws {
        let result = try CLIRunner.run(["-e", "fn inner(x) { return x[3] }\nfn outer() { return inner([1]) }\nouter()"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("<-e>:1:24: error: index 3 is out of range for a list of length 1"))
        #expect(result.stderr.contains("Seed call stack (most recent call last):\n  <-e>:3:1 in <script>\n  <-e>:2:21 in outer\n  <-e>:1:24 in inner"))
    }

    /// The example script of the language issue, as written, from the repository root.
    @Test func exampleScriptRuns() throws {
        let out = Fixtures.root + "/out/merged"
        let result = try CLIRunner.run(["run", Fixtures.root + "/examples/analysis.seed"], directory: Fixtures.root)
        let hasTies = StrategyRegistry.all.contains { $0.info.name == "ties" }
        if hasTies {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("largest singular value"))
            #expect(result.stdout.hasSuffix("6\n"))
            #expect(FilePaths.exists(out + "/adapter_model.safetensors"))
        } else {
            // Until the dense strategies land, the script stops at its ties line.
            withKnownIssue("the 'ties' strategy is not registered on this branch") {
                #expect(result.status == 0, "\(result.stderr)")
            }
            #expect(result.stderr.contains("unknown strategy 'ties'"))
            #expect(result.stdout.contains("shape=(4, 4), dtype=float32)"))
        }
    }

    /// `seedlora merge --plugin file.seed --method name` uses a strategy written in Seed.
    @Test func mergesWithAStrategyWrittenInSeed() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(dir) }
        let plugin = dir + "/trimmed.seed"
        try """
            strategy trimmed_mean(deltas, weights, trim=0.0) {
                total = zeros(deltas[0].shape)
                for d in deltas { total = total + d }
                return total / len(deltas) * (1 - trim)
            }
            """.write(toFile: plugin, atomically: true, encoding: .utf8)
        let inputs = Fixtures.seedPaths
        let delta = try CLIRunner.run(["merge", "--plugin", plugin, "--method", "trimmed_mean"] + inputs
                                      + ["--out", dir + "/delta", "--format", "delta", "--param", "trim=0.5", "--quiet"])
        #expect(delta.status == 0, "\(delta.stderr)")
        #expect(FilePaths.exists(dir + "/delta/delta.safetensors"))
        let peft = try CLIRunner.run(["merge", "--plugin", plugin, "--method", "trimmed_mean"] + inputs
                                     + ["--out", dir + "/peft", "--rank", "4", "--quiet"])
        #expect(peft.status == 0, "\(peft.stderr)")
        let check = try CLIRunner.run(["-e", "a = load(\"\(dir)/peft\")\nprint(len(a), a.rank)"])
        #expect(check.stdout == "14 4\n", "\(check.stderr)")
        let wrong = try CLIRunner.run(["merge", "--plugin", plugin, "--method", "trimmed_mean"] + inputs
                                      + ["--out", dir + "/x", "--format", "delta", "--param", "trimm=0.5"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("strategy trimmed_mean has no parameter 'trimm'; did you mean 'trim'?"))
    }

    /// scripts/repl-pty-test.py: history across a restart, tab completion, a continuation
    /// line, Ctrl-C during a long computation (back within 1 s, variables intact).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
    func replInAPseudoTerminal() throws {
        let result = try CLIRunner.run(["/usr/bin/python3", Fixtures.root + "/scripts/repl-pty-test.py", CLIRunner.executable],
                                       directory: Fixtures.root, program: "/usr/bin/python3")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains(" passed, 0 failed"))
    }
}
