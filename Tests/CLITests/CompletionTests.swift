import Foundation
import Testing
import TestSupport

/// `seedlora --generate-completion-script`: the scripts, and bash completing in a real terminal.
@Suite struct CompletionTests {
    @Test func scriptsAreGeneratedForBashZshAndFish() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try CLIRunner.run(["--generate-completion-script", shell])
            #expect(result.status == 0, "\(shell): \(result.stderr)")
            // The custom completions call back into seedlora for method, --param and adapters.
            #expect(result.stdout.contains("---completion merge -- --method"), "\(shell)")
            #expect(result.stdout.contains("---completion merge -- --param"), "\(shell)")
        }
    }

    /// scripts/completion-pty-test.py: the bash script sourced in an interactive bash on a
    /// pseudo-terminal completes `seedlora merge --method ti<Tab>` to `ties`, `--param` names of
    /// the chosen method, adapter directories (PEFT and mlx-lm) and --format values.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
                   && FileManager.default.isExecutableFile(atPath: "/bin/bash")))
    func bashCompletesInAPseudoTerminal() throws {
        let result = try CLIRunner.run(["/usr/bin/python3", Fixtures.root + "/scripts/completion-pty-test.py", CLIRunner.executable],
                                       directory: Fixtures.root, program: "/usr/bin/python3")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok   'seedlora merge --method ti' -> 'seedlora merge --method ties'"), "\(result.stdout)")
        #expect(result.stdout.contains("6 passed, 0 failed"), "\(result.stdout)")
    }
}
