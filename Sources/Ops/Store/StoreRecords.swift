/// Where a cell's values came from: what `ResultStore.commit` records with them.
public struct CellRecord: Sendable, Equatable {
    /// The cell's position in its script (0-based); one stored cell per index.
    public var index: Int
    public var title: String
    /// A content hash of the cell's source text.
    public var sourceHash: String
    /// Content hashes of what the cell read (variables, files), by name.
    public var inputHashes: [String: String]
    /// Parameters the cell ran with (kept in their order).
    public var parameters: JSON
    public var scriptPath: String

    public init(index: Int, title: String, sourceHash: String, inputHashes: [String: String] = [:],
                parameters: JSON = .object([]), scriptPath: String) {
        self.index = index
        self.title = title
        self.sourceHash = sourceHash
        self.inputHashes = inputHashes
        self.parameters = parameters
        self.scriptPath = scriptPath
    }
}

/// A committed cell: its record, when and by what it was written, and what it holds.
public struct StoredCell: Sendable, Equatable {
    public let record: CellRecord
    /// The store-wide sequence number of the commit that wrote it (0, 1, 2, ...).
    public let commit: Int
    /// UTC time of the commit, ISO 8601 (`2025-01-31T12:00:00Z`).
    public let time: String
    public let seedloraVersion: String
    /// The cell's group in `index.h5`, e.g. `/cells/03_similarity`.
    public let group: String
    /// The cell's objects file, relative to the store directory.
    public let objectsFile: String
    public let values: [ResultInfo]
}

/// One stored value: its name, kind and shape (see `StoreValue.shape`), and which commit wrote it.
public struct ResultInfo: Sendable, Equatable {
    public let name: String
    public let kind: StoreValue.Kind
    public let shape: [Int]
    public let cell: Int
    public let commit: Int

    public init(name: String, kind: StoreValue.Kind, shape: [Int], cell: Int, commit: Int) {
        self.name = name
        self.kind = kind
        self.shape = shape
        self.cell = cell
        self.commit = commit
    }
}

/// seedlora's machine-readable description of a store, kept in `index.h5` as the JSON dataset
/// `/seedlora/manifest` and replaced with it atomically. The provenance itself lives only in the
/// cell groups' attributes; the manifest adds what links cannot say (kinds, shapes, commit numbers).
struct StoreManifest: Equatable {
    struct Value: Equatable {
        var name: String
        var kind: StoreValue.Kind
        var shape: [Int]
    }

    struct Cell: Equatable {
        var index: Int
        var group: String
        var commit: Int
        var objects: String
        var values: [Value]
    }

    /// The newest version of a name: which commit and objects file hold it.
    struct Latest: Equatable {
        var value: Value
        var cell: Int
        var commit: Int
        var objects: String
    }

    static let format = 1
    var nextCommit = 0
    /// Sorted by cell index.
    var cells: [Cell] = []
    /// Sorted by name.
    var latest: [Latest] = []

    init() {}

    func json() -> JSON {
        func value(_ v: Value) -> [(String, JSON)] {
            [("name", .string(v.name)), ("kind", .string(v.kind.rawValue)), ("shape", .array(v.shape.map { .number(Double($0)) }))]
        }
        return .object([
            ("format", .number(Double(Self.format))),
            ("next_commit", .number(Double(nextCommit))),
            ("cells", .array(cells.map { cell in
                .object([("index", .number(Double(cell.index))), ("group", .string(cell.group)),
                         ("commit", .number(Double(cell.commit))), ("objects", .string(cell.objects)),
                         ("values", .array(cell.values.map { .object(value($0)) }))])
            })),
            ("latest", .array(latest.map { entry in
                .object(value(entry.value) + [("cell", .number(Double(entry.cell))), ("commit", .number(Double(entry.commit))),
                                              ("objects", .string(entry.objects))])
            })),
        ])
    }

    init(json: JSON, path: String) throws {
        func bad(_ what: String) -> SeedloraError { SeedloraError(path: path, "store manifest: \(what)") }
        func int(_ object: JSON, _ key: String) throws -> Int {
            guard let n = object[key]?.indexValue else { throw bad("'\(key)' must be a non-negative integer") }
            return n
        }
        func string(_ object: JSON, _ key: String) throws -> String {
            guard let s = object[key]?.stringValue else { throw bad("'\(key)' must be a string") }
            return s
        }
        func value(_ object: JSON) throws -> Value {
            guard let kind = StoreValue.Kind(rawValue: try string(object, "kind")) else { throw bad("unknown kind in \(object)") }
            guard let dims = object["shape"]?.arrayValue else { throw bad("'shape' must be a list") }
            let shape = try dims.map { dim in
                guard let n = dim.indexValue else { throw bad("'shape' must hold non-negative integers") }
                return n
            }
            return Value(name: try string(object, "name"), kind: kind, shape: shape)
        }
        guard try int(json, "format") == Self.format else {
            throw bad("format \(json["format"]?.serialized() ?? "?") is not one this seedlora reads (\(Self.format))")
        }
        nextCommit = try int(json, "next_commit")
        guard let cellList = json["cells"]?.arrayValue, let latestList = json["latest"]?.arrayValue else {
            throw bad("'cells' and 'latest' must be lists")
        }
        cells = try cellList.map { cell in
            guard let values = cell["values"]?.arrayValue else { throw bad("a cell's 'values' must be a list") }
            return Cell(index: try int(cell, "index"), group: try string(cell, "group"), commit: try int(cell, "commit"),
                        objects: try string(cell, "objects"), values: try values.map(value))
        }
        latest = try latestList.map { entry in
            Latest(value: try value(entry), cell: try int(entry, "cell"), commit: try int(entry, "commit"),
                   objects: try string(entry, "objects"))
        }
    }

    func cell(_ index: Int) -> Cell? { cells.first(where: { $0.index == index }) }
    func latest(_ name: String) -> Latest? { latest.first(where: { $0.value.name == name }) }

    /// Records a commit: the cell replaces any earlier one with its index, its values become the latest.
    mutating func record(_ cell: Cell) {
        cells.removeAll { $0.index == cell.index }
        cells.append(cell)
        cells.sort { $0.index < $1.index }
        for value in cell.values {
            latest.removeAll { $0.value.name == value.name }
            latest.append(Latest(value: value, cell: cell.index, commit: cell.commit, objects: cell.objects))
        }
        latest.sort { $0.value.name < $1.value.name }
        nextCommit = max(nextCommit, cell.commit + 1)
    }
}
