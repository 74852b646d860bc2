import ArgumentParser
import Kernel
import Ops
import Plugins

/// `seedlora run FILE.seed [--set k=v ...]`: runs a script; stops at the first error.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a Seed script.",
        discussion: """
            Variables given with --set are defined before the script runs (numbers, true/false/nil, otherwise strings).

            A script with #%% cells keeps each cell's results in a store (default: next to the script, analysis.seed -> analysis.seedstore/); a rerun restores every cell whose source and inputs (variables, adapter and data file bytes) are unchanged instead of running it. See docs/store.md.
            """)

    @Argument(help: "The script, e.g. analysis.seed.")
    var file: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Define a variable, name=value (repeatable).", valueName: "name=value"))
    var assignments: [String] = []

    @Option(name: .customLong("store"), help: ArgumentHelp("The results store for the script's cells (default: <script>store next to it).", valueName: "dir"))
    var store: String?

    @Flag(name: .customLong("fresh"), help: "Run every cell, ignoring stored results (and store the new ones).")
    var fresh = false

    @Flag(name: .customLong("explain"), help: "List each cell as cached or rerun, with why; run nothing.")
    var explain = false

    @Flag(name: .customLong("no-store"), help: "Run the script without a store (no caching, nothing committed).")
    var noStore = false

    @OptionGroup var memory: MemoryOption
    @Flag(name: .long, help: "Do not print warnings (e.g. about a merge that is probably a mistake).")
    var quiet = false

    func validate() throws {
        do { _ = try Assignment.parseAll(assignments, option: "--set") } catch let error as SeedloraError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        memory.apply()
        let session = ScriptRunner.makeSession(quiet: quiet)
        let parameters = try Assignment.parseAll(assignments, option: "--set")
        for assignment in parameters { session.set(assignment.name, text: assignment.value) }
        Interrupts.install(session.cancellation)
        if let cells = CellMode(file: file, store: store, noStore: noStore, explain: explain, fresh: fresh) {
            cells.run(session, parameters: parameters.map(\.pair))
            return
        }
        let diagnostics = session.runFile(file)
        ScriptRunner.finish(diagnostics, closing: session)
    }
}

/// Shared by `run` and `-e`: a session that writes to stdout, and error reporting.
enum ScriptRunner {
    /// The session-wide memory budget set with --max-memory (nil: the default).
    nonisolated(unsafe) static var memoryBytes: Int?

    /// Warnings go to stderr as `seedlora: warning: ...`; `quiet` silences them.
    static func makeSession(quiet: Bool = false) -> Session {
        var host = Host(write: { text in Output.write(text) })
        host.warn = { message in if !quiet { Terminal.printError("seedlora: warning: \(message)") } }
        return Session(host: host, cancellation: Interrupts.flag,
                       limits: ResourceLimits(memoryBytes: memoryBytes ?? MemoryBudget.defaultBytes))
    }

    /// Prints diagnostics to stderr; exits 1 after errors (130 after an interrupt), closing
    /// `session` first (see `Session.close`).
    static func finish(_ diagnostics: [Diagnostic], closing session: Session) {
        guard !diagnostics.isEmpty else { return }
        session.close()
        // A diagnostic with a source position reads `file:line:col: error: ...`; one without
        // (an unreadable script) uses the one format of every other error.
        for diagnostic in diagnostics {
            Terminal.printError(diagnostic.span == nil ? "seedlora: error: \(diagnostic.message)" : diagnostic.rendered())
        }
        Terminal.exit(diagnostics.contains { $0.kind == .interrupted } ? 130 : 1)
    }
}
