#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory of analysis results that h5py opens: `index.h5` plus one `objects/*.h5` file per
/// commit (layout and an h5py example: docs/store.md).
///
/// Safety, by construction:
/// - A commit writes a new objects file (temporary name, fsync, rename; never modified afterwards),
///   then a complete new `index.h5` the same way. A process killed at any instant leaves the
///   previous or the new index, and every file an index links to is complete. Temporary files
///   are removed when a store is next opened for writing.
/// - No file is held open between calls, and the index is never opened for writing, so h5py or
///   h5dump can read the store while a session is live.
/// - Writers take an exclusive `flock` on `.lock` (released by the kernel if a writer dies);
///   within a process all HDF5 calls are serialised behind one lock.
public struct ResultStore: Sendable {
    /// The store directory as given.
    public let path: String

    var indexPath: String { path + "/index.h5" }

    /// Opens the store at `path`; with `create`, makes it (directory, `objects/`, an empty index)
    /// when missing and removes temporary files left by a killed writer.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        if create {
            try FilePaths.makeDirectories(path + "/objects")
            try exclusive {
                try removeTemporaryFiles()
                if !FilePaths.exists(indexPath) { try writeIndex(StoreIndex.State()) }
            }
        } else if !FilePaths.exists(indexPath) {
            throw SeedloraError(path: path, "not a seedlora store: index.h5 is missing")
        }
    }

    // MARK: committing

    /// Stores one cell's new or changed values with the cell's provenance and returns what was
    /// stored. The cell replaces an earlier commit with the same index in `/cells`; each value
    /// becomes the latest version of its name. `time` (ISO 8601) defaults to now.
    @discardableResult
    public func commit(cell: CellRecord, values: [(String, StoreValue)], time: String? = nil) throws -> StoredCell {
        try Self.validate(cell, values)
        return try exclusive {
            var state = try HDF5File.reading(indexPath) { try StoreIndex.read(in: $0) }
            try Self.checkConflicts(values.map(\.0), with: state.manifest)
            let commit = state.manifest.nextCommit
            let objects = "objects/\(Self.padded(commit, 6))-c\(Self.padded(cell.index, 2))-\(Self.randomTag()).h5"
            let version = SeedloraVersion.string
            try HDF5File.writeAtomically(path + "/" + objects, temporaryPath: "\(path)/objects/.tmp-\(getpid())-\(Self.randomTag()).h5") { root in
                try root.setAttribute(StoreCodec.kindAttribute, "objects")
                try root.setAttribute("cell_index", Int64(cell.index))
                try root.setAttribute("commit", Int64(commit))
                try root.setAttribute("seedlora_version", version)
                for (name, value) in values {
                    let (parent, leaf) = try StoreIndex.parent(of: name, in: root)
                    try StoreCodec.write(value, as: leaf, in: parent)
                }
            }
            FilePaths.syncDirectory(path + "/objects")
            let entry = StoreManifest.Cell(
                index: cell.index, group: StoreIndex.groupName(index: cell.index, title: cell.title), commit: commit,
                objects: objects, values: values.map { StoreManifest.Value(name: $0.0, kind: $0.1.kind, shape: $0.1.shape) })
            let provenance = StoreIndex.Provenance(record: cell, commit: commit, time: time ?? Self.now(),
                                                   version: version, objects: objects)
            state.manifest.record(entry)
            state.provenance[cell.index] = provenance
            try writeIndex(state)
            return Self.stored(entry, provenance)
        }
    }

    // MARK: reading

    /// The committed cells, by index, with their provenance.
    public func cells() throws -> [StoredCell] {
        let state = try HDF5File.reading(indexPath) { try StoreIndex.read(in: $0) }
        return try state.manifest.cells.map { cell in
            guard let provenance = state.provenance[cell.index] else {
                throw SeedloraError(path: indexPath, "cell \(cell.index) has no provenance")
            }
            return Self.stored(cell, provenance)
        }
    }

    /// The newest version of every stored name, sorted by name.
    public func results() throws -> [ResultInfo] {
        try manifest().latest.map {
            ResultInfo(name: $0.value.name, kind: $0.value.kind, shape: $0.value.shape, cell: $0.cell, commit: $0.commit)
        }
    }

    /// The newest version of `name`.
    public func load(name: String) throws -> StoreValue {
        let manifest = try manifest()
        guard let entry = manifest.latest(name) else {
            let known = manifest.latest.map(\.value.name)
            throw SeedloraError(path: path, "no stored value named '\(name)'"
                                + (known.isEmpty ? " (the store is empty)" : "; stored: \(known.joined(separator: ", "))"))
        }
        return try loadValue(name, from: entry.objects)
    }

    /// The value `name` as committed by cell `index` (its current commit).
    public func load(cell index: Int, name: String) throws -> StoreValue {
        let manifest = try manifest()
        guard let cell = manifest.cell(index) else { throw SeedloraError(path: path, "no committed cell \(index)") }
        guard cell.values.contains(where: { $0.name == name }) else {
            throw SeedloraError(path: path, "cell \(index) stored no value named '\(name)'; it stored: "
                                + cell.values.map(\.name).joined(separator: ", "))
        }
        return try loadValue(name, from: cell.objects)
    }

    /// Every value cell `index` stored, by name: one read of the index and one of the cell's
    /// objects file (restoring a cached cell reads all of them).
    public func loadCell(_ index: Int) throws -> [String: StoreValue] {
        let manifest = try manifest()
        guard let cell = manifest.cell(index) else { throw SeedloraError(path: path, "no committed cell \(index)") }
        try checkObjectsName(cell.objects)
        return try HDF5File.reading(path + "/" + cell.objects) { file in
            var values: [String: StoreValue] = [:]
            for value in cell.values { values[value.name] = try StoreCodec.read(value.name, in: file) }
            return values
        }
    }

    /// Removes objects files that no cell and no latest name refers to (left by replaced cells, or
    /// by a writer killed between its two renames) and returns their names. A reader that still
    /// has an older index open would find its links into removed files broken.
    @discardableResult
    public func pruneUnreferenced() throws -> [String] {
        try exclusive {
            let manifest = try manifest()
            let used = Set(manifest.cells.map(\.objects) + manifest.latest.map(\.objects))
            var removed: [String] = []
            for name in try FilePaths.list(path + "/objects") where name.hasSuffix(".h5") && !name.hasPrefix(".") {
                if !used.contains("objects/" + name) && unlink(path + "/objects/" + name) == 0 { removed.append(name) }
            }
            return removed
        }
    }

    // MARK: internals

    func manifest() throws -> StoreManifest {
        try HDF5File.reading(indexPath) { try StoreIndex.readManifest(in: $0) }
    }

    private func checkObjectsName(_ objects: String) throws {
        let file = objects.dropFirst("objects/".count)
        guard objects.hasPrefix("objects/"), !file.isEmpty, !file.contains("/"), !file.hasPrefix(".") else {
            throw SeedloraError(path: indexPath, "store manifest names an objects file outside objects/: \(objects)")
        }
    }

    private func loadValue(_ name: String, from objects: String) throws -> StoreValue {
        try checkObjectsName(objects)
        return try HDF5File.reading(path + "/" + objects) { try StoreCodec.read(name, in: $0) }
    }

    /// Writes a complete new index.h5 from `state` (temporary file, fsync, rename, directory fsync).
    private func writeIndex(_ state: StoreIndex.State) throws {
        try HDF5File.writeAtomically(indexPath, temporaryPath: "\(path)/.index.h5.tmp-\(getpid())-\(Self.randomTag())") {
            try StoreIndex.write(state, into: $0)
        }
        FilePaths.syncDirectory(path)
    }

    /// Runs `body` holding the store's writer lock and the HDF5 lock (in that order).
    private func exclusive<T>(_ body: () throws -> T) throws -> T {
        let lockPath = path + "/.lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SeedloraError(.io, path: lockPath, "cannot open the store lock: \(MappedFile.errnoText())") }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw SeedloraError(.io, path: lockPath, "cannot lock the store: \(MappedFile.errnoText())") }
        }
        return try HDF5.locked(body)
    }

    /// Temporary files exist only while a writer holds the lock; any found under it are a killed writer's.
    private func removeTemporaryFiles() throws {
        for name in try FilePaths.list(path) where name.hasPrefix(".index.h5.tmp-") { unlink(path + "/" + name) }
        for name in try FilePaths.list(path + "/objects") where name.hasPrefix(".tmp-") { unlink(path + "/objects/" + name) }
    }

    private static func stored(_ cell: StoreManifest.Cell, _ provenance: StoreIndex.Provenance) -> StoredCell {
        StoredCell(record: provenance.record, commit: provenance.commit, time: provenance.time,
                   seedloraVersion: provenance.version, group: "/cells/" + cell.group, objectsFile: cell.objects,
                   values: cell.values.map {
                       ResultInfo(name: $0.name, kind: $0.kind, shape: $0.shape, cell: cell.index, commit: cell.commit)
                   })
    }

    // MARK: validation

    static func validate(_ cell: CellRecord, _ values: [(String, StoreValue)]) throws {
        guard (0...999_999).contains(cell.index) else { throw SeedloraError("cell index \(cell.index) is outside 0...999999") }
        try StoreCodec.checkText(cell.title, "cell title")
        try StoreCodec.checkText(cell.scriptPath, "script path")
        try StoreCodec.checkText(cell.sourceHash, "source hash")
        for (name, value) in values {
            try checkValueName(name)
            try StoreCodec.validate(value, name)
        }
    }

    /// Value names are paths: components separated by "/", none empty or starting with "."
    /// (names starting with "." are seedlora's own).
    public static func checkValueName(_ name: String) throws {
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty, !part.hasPrefix("."), !part.utf8.contains(0) else {
                throw SeedloraError("value name '\(name)': each part between '/' must be non-empty, contain no NUL "
                                    + "and not start with '.' (reserved for seedlora)")
            }
        }
    }

    /// Names are unique in a commit, and no name may be both a value and a group of values
    /// ("a" and "a/b") among this commit's names and the store's latest names.
    static func checkConflicts(_ names: [String], with manifest: StoreManifest) throws {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw SeedloraError("value '\(name)' appears twice in one commit")
        }
        let others = names + manifest.latest.map(\.value.name).filter { !seen.contains($0) }
        for name in names {
            if let other = others.first(where: { $0.hasPrefix(name + "/") || name.hasPrefix($0 + "/") }) {
                throw SeedloraError("value name '\(name)' conflicts with '\(other)': a name cannot be both a value and a group of values")
            }
        }
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func randomTag() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Now, UTC, ISO 8601 to the second.
    static func now() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(padded(Int(parts.tm_year) + 1900, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2))"
            + "T\(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2))Z"
    }
}
