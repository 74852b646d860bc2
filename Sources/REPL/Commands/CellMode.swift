import Kernel
import Ops

/// `seedlora run` on a script with `#%%` cells (or with --store): cached cells, `--explain`,
/// and the counter printed at the end (on stderr, so stdout is the script's own output).
struct CellMode {
    let file: String
    let store: String
    let explain: Bool
    let fresh: Bool

    /// nil when the script runs plainly: --no-store, or no cells and no --store.
    init?(file: String, store: String?, noStore: Bool, explain: Bool, fresh: Bool) {
        guard !noStore else { return nil }
        if store == nil, explain == false {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8), Session.hasCells(text) else { return nil }
        }
        self.file = file
        self.store = store ?? Session.defaultStore(for: file)
        self.explain = explain
        self.fresh = fresh
    }

    func run(_ session: Session, parameters: [(String, String)]) {
        if explain {
            let report = session.explainCells(file, store: store, parameters: parameters)
            for cell in report.cells { Output.write(cell.description + "\n") }
            ScriptRunner.finish(report.diagnostics, closing: session)
            return
        }
        let report = session.runCells(file, store: store, parameters: parameters, fresh: fresh)
        for warning in report.warnings { Terminal.printError("seedlora: warning: \(warning)") }
        Terminal.printError(report.counter)
        ScriptRunner.finish(report.diagnostics, closing: session)
    }
}
