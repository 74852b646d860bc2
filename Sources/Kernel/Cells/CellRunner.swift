import Ops

/// Runs a script cell by cell against a results store (`seedlora run`), restoring cells whose
/// source and inputs are unchanged instead of executing them. Design: docs/store.md, "Cells".
///
/// - After a cell runs, the global variables it created or changed are committed under
///   `vars/<name>` with the cell's provenance; `run/<index>/outputs` lists every output (name,
///   type descriptor, content hash, whether it is stored) and `run/<index>/stdout` what it printed.
/// - Inputs are recorded as they are used: globals defined before the cell (`var:<name>`, their
///   content hash) and files read by `load`, `read_results` and `import` (`file:<path>`, a hash
///   of the bytes). A cell is restored when its source hash, every recorded input hash and every
///   file it wrote are unchanged.
/// - Adapters loaded from a directory are stored by reference and reloaded. Values that cannot be
///   stored (functions, merge results, deltas, figures, strategies) are recomputed: before the
///   first cell that must execute, the restored cells that held such values run again, in order.
final class CellRunner {
    let interpreter: Interpreter
    let script: CellScript
    let store: ResultStore
    let scriptPath: String
    let parameters: [(String, String)]
    let write: (String) -> Void
    private var hasher = ValueHasher()
    /// Content hash of each global as it stands between cells.
    private var state: [String: String] = [:]
    /// The values each processed cell left, and whether they are all in memory.
    private var outputs: [[(String, Value)]] = []
    private var complete: [Bool] = []
    private var records: [Int: StoredCell] = [:]
    /// Values of stored cells, read once each (`ResultStore.loadCell`).
    private var loaded: [Int: [String: StoreValue]] = [:]

    private func stored(_ index: Int, _ name: String) throws -> StoreValue {
        if loaded[index] == nil { loaded[index] = try store.loadCell(index) }
        guard let value = loaded[index]?[name] else {
            throw SeedloraError(path: store.path, "cell \(index) stored no value named '\(name)'")
        }
        return value
    }

    init(interpreter: Interpreter, script: CellScript, store: ResultStore, parameters: [(String, String)], fresh: Bool) throws {
        self.interpreter = interpreter
        self.script = script
        self.store = store
        self.parameters = parameters
        scriptPath = FilePaths.absolute(script.path)
        write = interpreter.host.write
        if !fresh { for cell in try store.cells() { records[cell.record.index] = cell } }
        for (name, value) in interpreter.globals.values { state[name] = hasher.hash(value) }
    }

    // MARK: decisions

    struct OutputRow {
        let name: String
        let descriptor: String
        let hash: String
        let stored: Bool
    }

    /// Why cell `cell` must run, or nil when it can be restored (and its recorded outputs).
    func decide(_ cell: CellScript.Cell, fresh: Bool) -> (reason: String?, rows: [OutputRow]) {
        if fresh { return ("--fresh", []) }
        guard let record = records[cell.index] else { return ("not run before", []) }
        if record.record.scriptPath != scriptPath { return ("stored by another script (\(record.record.scriptPath))", []) }
        if record.record.sourceHash != cell.sourceHash { return ("source changed", []) }
        if record.seedloraVersion != SeedloraVersion.string { return ("seedlora version changed (\(record.seedloraVersion))", []) }
        guard let rows = try? outputRows(cell.index) else { return ("no output record", []) }
        for (key, hash) in record.record.inputHashes.sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix("var:") {
                let name = String(key.dropFirst(4))
                if let now = state[name], now.hasPrefix("cell ") { return ("input \(name) comes from \(now), which reruns", rows) }
                if state[name] != hash { return ("input \(name) changed", rows) }
            } else if key.hasPrefix("file:") {
                let path = String(key.dropFirst(5))
                if ((try? ContentHasher.hash(path: path)) ?? "unreadable") != hash { return ("file \(path) changed", rows) }
            }
        }
        for row in rows where row.descriptor == "file" {
            if ((try? ContentHasher.hash(path: row.name)) ?? "unreadable") != row.hash {
                return ("output file \(row.name) is missing or changed", rows)
            }
        }
        return (nil, rows)
    }

    func outputRows(_ index: Int) throws -> [OutputRow] {
        guard case let .table(t) = try stored(index, "run/\(index)/outputs"),
              case let .strings(names)? = t["name"], case let .strings(descriptors)? = t["descriptor"],
              case let .strings(hashes)? = t["hash"], case let .integers(stored)? = t["stored"] else {
            throw SeedloraError(path: store.path, "cell \(index): malformed output record")
        }
        return names.indices.map { OutputRow(name: names[$0], descriptor: descriptors[$0], hash: hashes[$0], stored: stored[$0] != 0) }
    }

    // MARK: explain

    func explain() -> [CellOutcome] {
        var result: [CellOutcome] = []
        for cell in script.cells {
            var outcome = CellOutcome(index: cell.index, title: cell.title, line: cell.line, status: .cached, reason: "")
            let (reason, rows) = decide(cell, fresh: false)
            if let reason {
                outcome.status = .rerun
                outcome.reason = reason
                // What it recorded last time may come out different: later readers are undecided.
                let recorded = rows.isEmpty && records[cell.index] != nil ? ((try? outputRows(cell.index)) ?? []) : rows
                for row in recorded where row.descriptor != "file" { state[row.name] = "cell \(cell.index)" }
            } else {
                for row in rows where row.descriptor != "file" { state[row.name] = row.hash }
            }
            result.append(outcome)
        }
        return result
    }

    // MARK: running

    func run(fresh: Bool) -> CellReport {
        var report = CellReport()
        for (k, cell) in script.cells.enumerated() {
            var outcome = CellOutcome(index: cell.index, title: cell.title, line: cell.line, status: .ran, reason: "")
            let (reason, rows) = decide(cell, fresh: fresh)
            if reason == nil, restore(cell, rows) {
                outcome.status = .cached
                report.cells.append(outcome)
                continue
            }
            outcome.reason = reason ?? "stored values could not be read"
            if complete.contains(false) { materialize(upTo: k) }
            let (diagnostics, warning) = execute(cell)
            if let warning { report.warnings.append(warning) }
            if !diagnostics.isEmpty {
                outcome.status = .failed
                report.cells.append(outcome)
                report.diagnostics = diagnostics
                for rest in script.cells[(k + 1)...] {
                    report.cells.append(CellOutcome(index: rest.index, title: rest.title, line: rest.line, status: .skipped, reason: ""))
                }
                return report
            }
            report.cells.append(outcome)
        }
        return report
    }

    /// Defines the cell's stored outputs and replays what it printed; false if the store fails.
    private func restore(_ cell: CellScript.Cell, _ rows: [OutputRow]) -> Bool {
        var values: [(String, Value)] = []
        var all = true
        do {
            for row in rows where row.descriptor != "file" {
                guard row.stored else { all = false; continue }
                let value = try stored(cell.index, "vars/\(row.name)")
                values.append((row.name, try ValueCodec.decode(value, descriptor: row.descriptor)))
            }
            let printed = try stored(cell.index, "run/\(cell.index)/stdout")
            for (name, value) in values { interpreter.globals.define(name, value) }
            for row in rows where row.descriptor != "file" { state[row.name] = row.hash }
            if case let .string(text) = printed { write(text) }
        } catch {
            return false
        }
        loaded[cell.index] = nil
        outputs.append(values)
        complete.append(all)
        return true
    }

    /// Re-creates the globals as they stand before cell `k`, running the restored cells whose
    /// values could not be stored (quietly, without committing).
    private func materialize(upTo k: Int) {
        interpreter.host.write = { _ in }
        defer { interpreter.host.write = write }
        interpreter.globals.removeAll()
        interpreter.strategies = []
        interpreter.imported = []
        for (name, text) in parameters { Session.define(name, text: text, in: interpreter.globals) }
        for j in 0..<min(k, outputs.count) {
            if complete[j] {
                for (name, value) in outputs[j] { interpreter.globals.define(name, ValueCodec.copy(value)) }
                continue
            }
            // Saves and figures of a replayed cell are already stored: drop them.
            interpreter.recorder.pending = []
            _ = runStatements(script.cells[j].statements)
            interpreter.recorder.pending = nil
            let names = Set(((try? outputRows(j)) ?? []).map(\.name))
            outputs[j] = interpreter.globals.values.filter { names.contains($0.key) }.map { ($0.key, ValueCodec.copy($0.value)) }
            complete[j] = true
        }
    }

    /// Runs a cell with tracking and commits its outputs. Returns its errors and a store warning.
    private func execute(_ cell: CellScript.Cell) -> ([Diagnostic], String?) {
        let before = state
        var printed = ""
        interpreter.host.write = { [write] text in printed += text; write(text) }
        defer { interpreter.host.write = write }
        let recorder = interpreter.recorder
        recorder.pending = []
        recorder.filesRead = [:]
        recorder.filesWritten = []
        recorder.tracking = true
        interpreter.globals.readLog = []
        let strategiesBefore = interpreter.strategies.map(\.name)
        let diagnostics = runStatements(cell.statements)
        let reads = interpreter.globals.readLog ?? []
        interpreter.globals.readLog = nil
        recorder.tracking = false
        let saved = recorder.pending ?? []
        recorder.pending = nil
        guard diagnostics.isEmpty else { return (diagnostics, nil) }

        var rows: [OutputRow] = [], values: [(String, StoreValue)] = [], memory: [(String, Value)] = []
        // Everything it made is in memory (stored or not), except strategies a replay must define again.
        var all = true
        for (name, value) in interpreter.globals.values.sorted(by: { $0.key < $1.key }) {
            let hash = hasher.hash(value)
            state[name] = hash
            guard before[name] != hash else { continue }
            // A copy: a later cell may append to this list, and a replay must see it as it was here.
            memory.append((name, ValueCodec.copy(value)))
            if let (stored, descriptor) = ValueCodec.encode(value) {
                values.append(("vars/\(name)", stored))
                rows.append(OutputRow(name: name, descriptor: descriptor, hash: hash, stored: true))
            } else {
                rows.append(OutputRow(name: name, descriptor: "-", hash: hash, stored: false))
            }
        }
        if interpreter.strategies.map(\.name) != strategiesBefore {
            rows.append(OutputRow(name: "<strategies>", descriptor: "-", hash: ContentHasher.hash("\(cell.sourceHash)"), stored: false))
            all = false
        }
        for path in recorder.filesWritten.sorted() {
            rows.append(OutputRow(name: path, descriptor: "file", hash: (try? ContentHasher.hash(path: path)) ?? "unreadable", stored: false))
        }
        outputs.append(memory)
        complete.append(all)

        var inputs: [String: String] = [:]
        for name in reads { if let hash = before[name] { inputs["var:" + name] = hash } }
        for (path, hash) in recorder.filesRead { inputs["file:" + path] = hash }
        let table = try? StoreTable([("name", .strings(rows.map(\.name))), ("descriptor", .strings(rows.map(\.descriptor))),
                                     ("hash", .strings(rows.map(\.hash))), ("stored", .integers(rows.map { $0.stored ? 1 : 0 }))])
        guard let table else { return ([], "cell \(cell.index): could not build its output record") }
        values += saved
        values.append(("run/\(cell.index)/outputs", .table(table)))
        values.append(("run/\(cell.index)/stdout", .string(printed)))
        let record = CellRecord(index: cell.index, title: cell.title, sourceHash: cell.sourceHash, inputHashes: inputs,
                                parameters: .object(parameters.map { ($0.0, JSON.string($0.1)) }), scriptPath: scriptPath)
        do {
            try store.commit(cell: record, values: values)
        } catch {
            return ([], "cell \(cell.index) ran but was not stored: \(error)")
        }
        return ([], nil)
    }

    /// Runs statements in the global scope, stopping at the first error (as `Session.run`).
    private func runStatements(_ statements: [Stmt]) -> [Diagnostic] {
        var errors: [Diagnostic] = []
        let savedDirectory = interpreter.currentDirectory, savedScript = interpreter.currentScript
        interpreter.currentDirectory = SourceLoader.directory(of: script.path)
        interpreter.currentScript = script.path
        defer {
            interpreter.currentDirectory = savedDirectory
            interpreter.currentScript = savedScript
        }
        interpreter.resetSteps()
        BigStack.run {
            for statement in statements {
                if case let .failure(diagnostic) = interpreter.runTopLevel(statement) {
                    errors.append(diagnostic)
                    return
                }
            }
        }
        return errors
    }
}
