import ArgumentParser
import Kernel

/// The root command: `seedlora` alone starts the REPL, `seedlora -e 'expr'` evaluates and
/// prints, `seedlora <subcommand>` runs one.
struct SeedloraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seedlora",
        abstract: "Merge and analyse LoRA adapters trained with different seeds.",
        discussion: """
            Examples:
              seedlora                      start the Seed REPL
              seedlora run analysis.seed    run a script
              seedlora -e 'cosine([load("a"), load("b")])'
              seedlora merge runs/seed1 runs/seed2 runs/seed3 --out merged
              seedlora inspect runs/seed1
              seedlora strategies
              seedlora kernel install --user   make Seed a Jupyter kernel
              seedlora figures --out figures   render the paper figures (scripts/figures)
            """,
        version: KernelInfo.banner,
        subcommands: [RunCommand.self, MergeCommand.self, InspectCommand.self, StrategiesCommand.self, VersionCommand.self,
                      KernelCommand.self, FiguresCommand.self]
    )

    @Option(name: .customShort("e"), help: ArgumentHelp("Evaluate Seed code and print the values of its expressions.", valueName: "code"))
    var expression: String?

    @Option(name: .customLong("history"), help: ArgumentHelp("REPL history file (default ~/.seedlora_history).", valueName: "path"))
    var historyPath: String?

    @OptionGroup var memory: MemoryOption

    func run() throws {
        memory.apply()
        if let expression {
            let session = ScriptRunner.makeSession()
            Interrupts.install(session.cancellation)
            let diagnostics = session.run(expression, name: "<-e>", options: .init(echo: true))
            ScriptRunner.finish(diagnostics, closing: session)
            return
        }
        Repl(historyPath: historyPath).run()
    }
}
