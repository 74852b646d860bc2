import ArgumentParser
import Kernel
import Ops

/// `seedlora run FILE.seed [--set k=v ...]`: runs a script; stops at the first error.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Seed script.",
        discussion: "Variables given with --set are defined before the script runs (numbers, true/false/nil, otherwise strings).")

    @Argument(help: "The script, e.g. analysis.seed.")
    var file: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Define a variable, name=value (repeatable).", valueName: "name=value"))
    var assignments: [String] = []

    func validate() throws {
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "="), !assignment[..<eq].isEmpty else {
                throw ValidationError("--set takes name=value, got '\(assignment)'")
            }
        }
    }

    func run() throws {
        let session = ScriptRunner.makeSession()
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "=") else { continue }
            session.set(String(assignment[..<eq]), text: String(assignment[assignment.index(after: eq)...]))
        }
        Interrupts.install(session.cancellation)
        let diagnostics = session.runFile(file)
        ScriptRunner.finish(diagnostics)
    }
}

/// Shared by `run` and `-e`: a session that writes to stdout, and error reporting.
enum ScriptRunner {
    static func makeSession() -> Session {
        Session(host: Host(write: { text in Output.write(text) }), cancellation: Interrupts.flag)
    }

    /// Prints diagnostics to stderr; exits 1 after errors (130 after an interrupt).
    static func finish(_ diagnostics: [Diagnostic]) {
        guard !diagnostics.isEmpty else { return }
        for diagnostic in diagnostics { Terminal.printError(diagnostic.rendered()) }
        Terminal.exit(diagnostics.contains { $0.kind == .interrupted } ? 130 : 1)
    }
}
