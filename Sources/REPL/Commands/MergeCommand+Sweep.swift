import Foundation
import Ops
import Plugins

/// `seedlora merge --sweep name=spec`: the merge at every point of a parameter grid (see `Sweep`).
extension MergeCommand {
    func runSweep(_ request: MergeRequest) throws {
        let start = Terminal.now()
        let grid = try SweepGrid(options: sweep)
        let progress = quiet ? nil : Terminal.progressReporter(label: "points")
        let report = try Sweep.run(request, grid: grid, progress: progress)
        Terminal.endProgress()
        guard !quiet else { return }
        let seconds = Terminal.now() - start
        let perPoint = report.points.map(\.seconds)
        let mean = perPoint.isEmpty ? 0 : perPoint.reduce(0, +) / Double(perPoint.count)
        let shared = report.phases.filter { $0.0 != "exports" }.map { "\($0.0) \(String(format: "%.2f", $0.1))" }.joined(separator: ", ")
        Terminal.printError("""
            seedlora: swept \(grid.names.joined(separator: " x ")) over \(report.points.count) point\(report.points.count == 1 ? "" : "s") with \(report.info.name) \
            (\(report.inputCount) adapters, \(report.moduleCount) modules, \(report.merges) lambda-free merge\(report.merges == 1 ? "" : "s"))
              phases: \(shared) s; per point (multiplier + export): mean \(String(format: "%.3f", mean)) s, max \(String(format: "%.3f", perPoint.max() ?? 0)) s
              wrote \(request.output)/<point>/ and \(request.output)/sweep.csv in \(String(format: "%.2f", seconds)) s
            """)
        if let note = report.dtypeNote { Terminal.printError("  " + note) }
    }
}
