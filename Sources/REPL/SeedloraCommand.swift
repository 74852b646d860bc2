import ArgumentParser
import Kernel

/// The root command: `seedlora <subcommand>`.
struct SeedloraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seedlora",
        abstract: "Merge and analyse LoRA adapters trained with different seeds.",
        discussion: """
            Examples:
              seedlora merge --method seedlora runs/seed1 runs/seed2 runs/seed3 --out merged
              seedlora inspect runs/seed1
              seedlora strategies
            """,
        version: KernelInfo.banner,
        subcommands: [MergeCommand.self, InspectCommand.self, StrategiesCommand.self, VersionCommand.self]
    )
}
