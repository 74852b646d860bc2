import ArgumentParser
import Foundation
import Kernel
import Ops

/// `seedlora figures [--out figures/]`: runs every script in scripts/figures/ with cells cached
/// in `<out>/.store/<script>/`, so a second run with nothing changed executes no cell.
struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Render the paper's analysis figures (scripts/figures/*.seed) as PNG and SVG.",
        discussion: "Each script gets the variable `out` (the output directory). Results and plotted data are stored in <out>/.store/.")

    @Option(name: .customLong("out"), help: ArgumentHelp("Where the figures go.", valueName: "dir"))
    var out = "figures"

    @Option(name: .customLong("scripts"), help: ArgumentHelp("The figure scripts' directory.", valueName: "dir"))
    var scripts = "scripts/figures"

    @Flag(name: .customLong("fresh"), help: "Recompute every cell.")
    var fresh = false

    func run() throws {
        let files = ((try? FilePaths.list(scripts)) ?? []).filter { $0.hasSuffix(".seed") && !$0.hasPrefix(".") }.sorted()
        guard !files.isEmpty else {
            Terminal.error("no .seed scripts in \(scripts) (run from the repository root, or give --scripts DIR)")
            Terminal.exit(1)
        }
        var ran = 0, cached = 0, failed: [String] = []
        let start = Date()
        for name in files {
            let session = ScriptRunner.makeSession()
            Interrupts.install(session.cancellation)
            session.set("out", text: out)
            let store = out + "/.store/" + String(name.dropLast(".seed".count))
            let report = session.runCells(scripts + "/" + name, store: store, parameters: [("out", out)], fresh: fresh)
            for warning in report.warnings { Terminal.printError("seedlora: warning: \(warning)") }
            for diagnostic in report.diagnostics { Terminal.printError(diagnostic.rendered()) }
            Terminal.printError("\(name): \(report.counter)")
            ran += report.ran
            cached += report.cached
            if !report.diagnostics.isEmpty { failed.append(name) }
            if session.cancellation.isCancelled { Terminal.exit(130) }
        }
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        Terminal.printError("figures in \(out)/: cells: \(ran) run, \(cached) cached (\(seconds) s)")
        if !failed.isEmpty {
            Terminal.error("failed: \(failed.joined(separator: ", "))")
            Terminal.exit(1)
        }
    }
}
