import Ops

/// What a session records for the results store and the cell runner: where `save` writes, the
/// values saved during the running cell, and the files the cell read and wrote.
final class Recorder {
    /// The store `save`, `load_result` and figures use; nil until a front end or the first
    /// `save` picks one (`<working directory>/results.seedstore`).
    var storePath: String?
    /// While a cell runs under `seedlora run`, saved values wait here and are committed with the
    /// cell; nil means `save` commits at once.
    var pending: [(String, StoreValue)]?
    /// Files and directories read (absolute path -> content hash) and written, while tracking.
    var filesRead: [String: String] = [:]
    var filesWritten: Set<String> = []
    var tracking = false

    /// The cell index `save` uses outside a cell run (one entry in /cells, replaced each time;
    /// every saved name stays loadable).
    static let directSaveCell = 999_999

    func noteRead(_ path: String) {
        guard tracking else { return }
        let key = FilePaths.absolute(path)
        filesRead[key] = (try? ContentHasher.hash(path: key)) ?? "unreadable"
    }

    func noteWrite(_ path: String) {
        guard tracking else { return }
        filesWritten.insert(FilePaths.absolute(path))
    }

    /// False in a session made without file access: the store is never opened.
    var fileAccess = true

    func store(defaultDirectory: String) throws -> ResultStore {
        guard fileAccess else { throw BuiltinError("this session has no file access (it has no results store)") }
        let path = storePath ?? SourceLoader.resolve("results.seedstore", relativeTo: defaultDirectory)
        storePath = path
        return try ResultStore(path: path)
    }

    /// The value saved under `name` in the running cell, not committed yet (the newest one).
    func pendingValue(_ name: String) -> StoreValue? {
        pending?.last { $0.0 == name }?.1
    }

    /// Names the cell runner keeps for itself (a cell's variables and printed output), hidden
    /// from `results()` unless asked for and refused by `save`.
    static let internalPrefixes = ["vars/", "run/"]

    static func isInternal(_ name: String) -> Bool {
        internalPrefixes.contains { name.hasPrefix($0) }
    }

    /// Stores `value` under `name`: with the running cell, or at once.
    func save(_ name: String, _ value: StoreValue, defaultDirectory: String, script: String) throws {
        try ResultStore.checkValueName(name)
        if pending != nil {
            pending?.removeAll { $0.0 == name }
            pending?.append((name, value))
            return
        }
        let store = try store(defaultDirectory: defaultDirectory)
        let record = CellRecord(index: Recorder.directSaveCell, title: "save", sourceHash: "", scriptPath: script)
        try store.commit(cell: record, values: [(name, value)])
    }
}
