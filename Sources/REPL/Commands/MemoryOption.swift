import ArgumentParser
import Kernel

/// `--max-memory SIZE`: the session-wide memory budget of the REPL, `-e` and `run`
/// (docs/language.md#limits).
struct MemoryOption: ParsableArguments {
    @Option(name: .customLong("max-memory"),
            help: ArgumentHelp("The memory a Seed session's values may hold together, e.g. 512M, 4G or 25% (default: half of physical memory).",
                               valueName: "size"))
    var maxMemory: String?

    func validate() throws {
        if let maxMemory, MemoryBudget.parse(maxMemory) == nil {
            throw ValidationError("--max-memory takes a size of at least 1M, such as 512M, 4G or 25% (of physical memory), got '\(maxMemory)'")
        }
    }

    /// Makes every session this process starts use the budget.
    func apply() {
        if let maxMemory, let bytes = MemoryBudget.parse(maxMemory) { ScriptRunner.memoryBytes = bytes }
    }
}
