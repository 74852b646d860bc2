import ArgumentParser
import Plugins

/// `seedlora strategies`: every merge method with its parameters.
struct StrategiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strategies", abstract: "List the merge methods and their parameters.")

    func run() throws {
        for entry in StrategyRegistry.all {
            let info = entry.info
            print("\(info.name): \(info.summary)")
            print("  form: \(info.form)")
            print("  reference: \(info.reference)")
            for spec in info.parameters {
                print("  --param \(spec.usage)")
                print("      \(spec.doc)")
            }
        }
    }
}
