/// A base model checkpoint (one `model.safetensors`, or shards listed by
/// `model.safetensors.index.json`) and the merged checkpoint written from it.
public struct Checkpoint: Sendable {
    public let directory: String
    /// Shard file names, in the order they are written.
    public let shards: [String]
    /// Tensor name → shard file, when the checkpoint is sharded.
    let weightMap: [String: String]

    public init(directory argument: String) throws {
        // A hub id (`org/name[@revision]`) reads its snapshot in the local Hugging Face cache.
        let directory = try HubCache.localDirectory(for: argument)
        guard FilePaths.isDirectory(directory) else {
            throw SeedloraError(path: directory, "base model directory does not exist")
        }
        self.directory = directory
        let index = directory + "/model.safetensors.index.json"
        if FilePaths.exists(index) {
            let json = try JSON.read(path: index)
            guard let map = json["weight_map"]?.objectValue else {
                throw SeedloraError(path: index, "missing 'weight_map' (expected a safetensors shard index)")
            }
            var names: [String] = []
            var weightMap: [String: String] = [:]
            for (tensor, shard) in map {
                // Shard names become output file names: nothing that leaves the directory.
                guard let name = shard.stringValue, !name.contains("/"), !name.isEmpty, name != ".", name != ".." else {
                    throw SeedloraError(path: index, "weight_map values must be shard file names in this directory")
                }
                if !names.contains(name) { names.append(name) }
                weightMap[tensor] = name
            }
            shards = names.sorted()
            self.weightMap = weightMap
        } else if FilePaths.exists(directory + "/model.safetensors") {
            shards = ["model.safetensors"]
            weightMap = [:]
        } else {
            throw SeedloraError(path: directory, "no model.safetensors or model.safetensors.index.json (expected a Hugging Face checkpoint saved with safetensors)")
        }
    }

    /// One base tensor as Float32, or nil if the checkpoint has no tensor of that name.
    public func weight(_ name: String) throws -> Tensor? {
        let shard = weightMap[name] ?? (shards.count == 1 ? shards[0] : nil)
        guard let shard else { return nil }
        let file = try SafetensorsFile(path: directory + "/" + shard)
        guard let entry = file.entry(name) else { return nil }
        return try file.tensor(entry)
    }

    /// Writes `base + delta` for every tensor `delta(name)` answers, copying every other tensor's
    /// bytes unchanged, shard by shard with the base's sharding, names, order and dtypes. Other
    /// files of the base directory (config, tokenizer, index) are copied. One tensor is in memory at
    /// a time. `delta` is called with the tensor name and shape and returns nil for tensors the
    /// merge does not touch. Returns the names of the tensors that were changed.
    public func writeMerged(into directory: AtomicDirectory, dtype override: DType? = nil,
                            delta: (_ name: String, _ shape: [Int]) throws -> Tensor?) throws -> [String] {
        var changed: [String] = []
        for shard in shards {
            let source = try SafetensorsFile(path: self.directory + "/" + shard)
            let ordered = source.entries.sorted { $0.begin < $1.begin }
            let entries = ordered.map { entry in
                SafetensorsStreamWriter.Entry(name: entry.name, shape: entry.shape,
                                              dtype: override.flatMap { entry.dtype.isFloat ? $0 : nil } ?? entry.dtype)
            }
            let writer = try SafetensorsStreamWriter(path: directory.file(shard), entries: entries,
                                                     metadata: source.metadata.isEmpty ? [("format", "pt")] : source.metadata)
            for (entry, target) in zip(ordered, entries) {
                if let d = try delta(entry.name, entry.shape) {
                    guard entry.dtype.isFloat else {
                        throw SeedloraError(path: source.path, "tensor '\(entry.name)' is \(entry.dtype.rawValue); a delta can only be added to a float tensor")
                    }
                    var weight = try source.tensor(entry)
                    guard weight.shape == d.shape else {
                        throw SeedloraError(path: source.path, "tensor '\(entry.name)' has shape \(weight.shape) but the merged delta is \(d.shape)")
                    }
                    weight.data.withUnsafeMutableBufferPointer { w in
                        d.data.withUnsafeBufferPointer { x in for i in 0..<w.count { w[i] += x[i] } }
                    }
                    try writer.append(weight)
                    changed.append(entry.name)
                } else if target.dtype == entry.dtype {
                    try source.withRawBytes(entry) { try writer.appendRaw($0) }
                } else {
                    try writer.append(try source.tensor(entry))
                }
                source.releasePages(entry)
            }
            try writer.commit()
        }
        try copyOtherFiles(into: directory)
        return changed
    }

    /// Copies config, tokenizer and index files (everything but the shards) unchanged.
    private func copyOtherFiles(into directory: AtomicDirectory) throws {
        for name in try FilePaths.list(self.directory) where !shards.contains(name) {
            let path = self.directory + "/" + name
            guard !FilePaths.isDirectory(path) else { continue }
            let source = try MappedFile(path: path)
            let out = try AtomicFile(path: directory.file(name))
            try source.withBytes(0..<source.size) { try out.write($0) }
            try out.commit()
        }
    }
}
