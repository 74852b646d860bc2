/// The contents of a store's `index.h5`: one group per committed cell with its provenance
/// attributes and external links to its values, `/latest` links to the newest version of every
/// name, and seedlora's manifest. The file is always written whole (see `ResultStore.commit`).
enum StoreIndex {
    static let manifestPath = "seedlora/manifest"
    /// Text longer than this many UTF-8 bytes goes into a dataset `.NAME` instead of an attribute
    /// (HDF5 attributes are limited to 64 KiB).
    static let longTextLimit = 60 * 1024

    /// A cell's provenance, as its group's attributes hold it.
    struct Provenance: Equatable {
        var record: CellRecord
        var commit: Int
        var time: String
        var version: String
        var objects: String
    }

    /// Everything the index says.
    struct State {
        var manifest = StoreManifest()
        var provenance: [Int: Provenance] = [:]
    }

    /// The group name of a cell: its index (at least two digits) and its title, `/` replaced by `_`.
    static func groupName(index: Int, title: String) -> String {
        let number = index < 10 ? "0\(index)" : "\(index)"
        let cleaned = String(title.map { $0 == "/" ? "_" : $0 })
        return cleaned.isEmpty ? number : number + "_" + cleaned
    }

    // MARK: writing

    static func write(_ state: State, into root: HDF5Group) throws {
        try root.setAttribute(StoreCodec.kindAttribute, "store")
        try root.setAttribute("seedlora_store_format", Int64(StoreManifest.format))
        try root.setAttribute("seedlora_version", SeedloraVersion.string)
        let cells = try root.createGroup("cells")
        for cell in state.manifest.cells {
            guard let provenance = state.provenance[cell.index] else {
                throw SeedloraError(path: root.file, "no provenance for cell \(cell.index)")
            }
            let group = try cells.createGroup(cell.group)
            try writeProvenance(provenance, to: group)
            for value in cell.values { try link(value.name, in: group, target: cell.objects) }
        }
        let latest = try root.createGroup("latest")
        for entry in state.manifest.latest { try link(entry.value.name, in: latest, target: entry.objects) }
        let meta = try root.createGroup("seedlora")
        try meta.setAttribute(StoreCodec.kindAttribute, "group")
        try meta.writeStrings("manifest", [state.manifest.json().serialized(pretty: true)], shape: nil)
            .setAttribute(StoreCodec.kindAttribute, "manifest")
    }

    /// The group that holds the last component of `name` ("a/b/c" -> group a/b), created with
    /// `seedlora_kind = "group"` where missing.
    static func parent(of name: String, in group: HDF5Group) throws -> (HDF5Group, String) {
        var parent = group
        let parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for part in parts.dropLast() {
            if try parent.linkExists(part) {
                parent = try parent.openGroup(part)
            } else {
                parent = try parent.createGroup(part)
                try parent.setAttribute(StoreCodec.kindAttribute, "group")
            }
        }
        return (parent, parts.last ?? name)
    }

    /// An external link `name` under `group` to the object `/name` in the objects file `target`.
    private static func link(_ name: String, in group: HDF5Group, target: String) throws {
        let (parent, leaf) = try parent(of: name, in: group)
        try parent.createExternalLink(leaf, target: target, object: "/" + name)
    }

    private static func writeProvenance(_ provenance: Provenance, to group: HDF5Group) throws {
        let record = provenance.record
        func text(_ name: String, _ value: String) throws {
            if value.utf8.count > longTextLimit {
                try group.writeStrings("." + name, [value], shape: nil).setAttribute(StoreCodec.kindAttribute, "text")
            } else {
                try group.setAttribute(name, value)
            }
        }
        let inputs = JSON.object(record.inputHashes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
        try group.setAttribute(StoreCodec.kindAttribute, "cell")
        try text("script_path", record.scriptPath)
        try group.setAttribute("cell_index", Int64(record.index))
        try text("cell_title", record.title)
        try text("source_hash", record.sourceHash)
        try text("input_hashes", inputs.serialized())
        try text("parameters", record.parameters.serialized())
        try text("seedlora_version", provenance.version)
        try text("time", provenance.time)
        try group.setAttribute("commit", Int64(provenance.commit))
        try text("objects_file", provenance.objects)
    }

    // MARK: reading

    static func readManifest(in root: HDF5Group) throws -> StoreManifest {
        let dataset = try root.openDataset(manifestPath)
        guard let text = try dataset.readStrings().first else {
            throw SeedloraError(path: root.file, "/\(manifestPath) is empty")
        }
        let json: JSON
        do { json = try JSON.parse(text) } catch let error as SeedloraError {
            throw SeedloraError(path: root.file, "/\(manifestPath): \(error.message)")
        }
        return try StoreManifest(json: json, path: root.file)
    }

    static func read(in root: HDF5Group) throws -> State {
        var state = State(manifest: try readManifest(in: root))
        for cell in state.manifest.cells {
            state.provenance[cell.index] = try readProvenance(try root.openGroup("cells/" + cell.group))
        }
        return state
    }

    static func readProvenance(_ group: HDF5Group) throws -> Provenance {
        func missing(_ name: String) -> SeedloraError {
            SeedloraError(path: group.file, "\(group.objectPath): provenance attribute '\(name)' is missing or not an integer")
        }
        func text(_ name: String) throws -> String {
            if let value = try group.stringAttribute(name) { return value }
            if try group.linkExists("." + name), let value = try group.openDataset("." + name).readStrings().first {
                return value
            }
            throw missing(name)
        }
        func integer(_ name: String) throws -> Int {
            guard let value = try group.int64Attribute(name), value >= 0, value <= Int64(Int32.max) else { throw missing(name) }
            return Int(value)
        }
        func json(_ name: String) throws -> JSON {
            do { return try JSON.parse(try text(name)) } catch let error as SeedloraError {
                throw SeedloraError(path: group.file, "\(group.objectPath): attribute '\(name)': \(error.message)")
            }
        }
        var inputs: [String: String] = [:]
        guard let pairs = try json("input_hashes").objectValue else {
            throw SeedloraError(path: group.file, "\(group.objectPath): attribute 'input_hashes' must be a JSON object")
        }
        for (name, value) in pairs {
            guard let hash = value.stringValue else {
                throw SeedloraError(path: group.file, "\(group.objectPath): input hash of '\(name)' must be a string")
            }
            inputs[name] = hash
        }
        let record = CellRecord(index: try integer("cell_index"), title: try text("cell_title"),
                                sourceHash: try text("source_hash"), inputHashes: inputs,
                                parameters: try json("parameters"), scriptPath: try text("script_path"))
        return Provenance(record: record, commit: try integer("commit"), time: try text("time"),
                          version: try text("seedlora_version"), objects: try text("objects_file"))
    }
}
