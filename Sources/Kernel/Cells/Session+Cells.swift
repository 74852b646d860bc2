import Ops

/// `seedlora run` with cells: caching against a results store (see `CellRunner`).
extension Session {
    /// Where the results store of `script` lives by default, next to it: `analysis.seed` -> `analysis.seedstore/`.
    public static func defaultStore(for script: String) -> String {
        script.hasSuffix(".seed") ? script + "store" : script + ".seedstore"
    }

    /// Runs `path` cell by cell, restoring unchanged cells from the store at `store`.
    /// `parameters` are the `--set` values (already defined in the session), recorded as provenance.
    public func runCells(_ path: String, store storePath: String, parameters: [(String, String)] = [], fresh: Bool = false) -> CellReport {
        var report = CellReport()
        do {
            let (script, store) = try prepare(path, storePath)
            let runner = try CellRunner(interpreter: interpreter, script: script, store: store, parameters: parameters, fresh: fresh)
            report = runner.run(fresh: fresh)
        } catch let error as CellScript.Diagnostics {
            report.diagnostics = error.items
        } catch {
            report.diagnostics = [Diagnostic(.runtime, "\(error)", at: nil)]
        }
        return report
    }

    /// What `runCells` would do: each cell cached or rerun, with why. Runs nothing.
    public func explainCells(_ path: String, store storePath: String, parameters: [(String, String)] = []) -> CellReport {
        var report = CellReport()
        do {
            guard FilePaths.exists(storePath + "/index.h5") else {
                // Nothing stored yet; do not create a store just to say so.
                let text = try SourceLoader.read(path)
                switch CellScript.parse(text, path: path) {
                case let .success(script):
                    report.cells = script.cells.map {
                        CellOutcome(index: $0.index, title: $0.title, line: $0.line, status: .rerun, reason: "no store at \(storePath)")
                    }
                case let .failure(errors): report.diagnostics = errors.items
                }
                return report
            }
            let (script, store) = try prepare(path, storePath)
            report.cells = try CellRunner(interpreter: interpreter, script: script, store: store, parameters: parameters, fresh: false).explain()
        } catch let error as CellScript.Diagnostics {
            report.diagnostics = error.items
        } catch {
            report.diagnostics = [Diagnostic(.runtime, "\(error)", at: nil)]
        }
        return report
    }

    /// Whether `text` has `#%%` cell markers.
    public static func hasCells(_ text: String) -> Bool { !cells(text).isEmpty }

    private func prepare(_ path: String, _ storePath: String) throws -> (CellScript, ResultStore) {
        let text = try SourceLoader.read(path)
        let script: CellScript
        switch CellScript.parse(text, path: path) {
        case let .success(s): script = s
        case let .failure(errors): throw errors
        }
        let store = try ResultStore(path: storePath)
        interpreter.recorder.storePath = storePath
        return (script, store)
    }

    /// The results store `save`, `load_result` and `results()` use (default:
    /// `results.seedstore` in the working directory).
    public var storePath: String? {
        get { interpreter.recorder.storePath }
        set { interpreter.recorder.storePath = newValue }
    }
}
