/// Writes safetensors files atomically.
///
/// `SafetensorsStreamWriter` takes the header (names, shapes, dtypes) up front and then the
/// tensors one at a time, so a file of many GB (a dense delta, a merged checkpoint shard) is never
/// held in memory. `SafetensorsWriter.write` is the convenience for tensors already in memory.
public final class SafetensorsStreamWriter {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let dtype: DType
        public init(name: String, shape: [Int], dtype: DType) {
            self.name = name
            self.shape = shape
            self.dtype = dtype
        }
        var byteCount: Int { shape.reduce(1, *) * dtype.size }
    }

    public let path: String
    private let entries: [Entry]
    private let file: AtomicFile
    private var next = 0
    private var buffer: [UInt8] = []
    /// Small tensors are gathered into writes of about this many bytes.
    static let writeSize = 8 << 20
    /// Pieces from this size up are written directly: copying them together first cost more
    /// than the system calls it saved (a W7B export's factors are 0.4 to 1.1 MB each).
    static let ungatheredSize = 256 << 10
    /// Disk writeback is started every this many bytes (see `AtomicFile.startWriteback`).
    static let writebackInterval = 64 << 20
    private var pending: [UInt8] = []
    private var sinceWriteback = 0
    /// Files from this size up are written with direct I/O where the file system allows it
    /// (`DirectWriter`); smaller ones through the page cache as before.
    static let directThreshold = 64 << 20
    private let direct: DirectWriter?

    /// Writes the header for `entries` (in the order given: the order tensors must follow).
    /// The header is padded with spaces to a multiple of 8 so every tensor starts aligned.
    public init(path: String, entries: [Entry], metadata: [(String, String)] = [("format", "pt")]) throws {
        self.path = path
        self.entries = entries
        var header: [(String, JSON)] = []
        if !metadata.isEmpty {
            header.append(("__metadata__", .object(metadata.map { ($0.0, JSON.string($0.1)) })))
        }
        var offset = 0
        var seen = Set<String>()
        for entry in entries {
            guard seen.insert(entry.name).inserted else {
                throw SeedloraError(path: path, "two tensors named '\(entry.name)'")
            }
            header.append((entry.name, .object([
                ("dtype", .string(entry.dtype.rawValue)),
                ("shape", .array(entry.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + entry.byteCount))])),
            ])))
            offset += entry.byteCount
        }
        var headerBytes = Array(JSON.object(header).serialized().utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        file = try AtomicFile(path: path)
        direct = 8 + headerBytes.count + offset >= Self.directThreshold ? DirectWriter(file: file) : nil
        if direct == nil { pending.reserveCapacity(Self.writeSize) }
        try write(withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { Array($0) })
        try write(headerBytes)
    }

    /// Appends the next tensor (Float32 values, converted to the entry's dtype).
    public func append(_ tensor: Tensor) throws {
        let entry = try expectNext(count: tensor.count)
        if entry.dtype == .f32 {
            try tensor.data.withUnsafeBytes { try write($0) }
        } else if entry.dtype == .bf16, let direct {
            // Encoded straight into the direct-I/O buffers: no temporary array, no copy.
            try tensor.data.withUnsafeBufferPointer { values in
                try direct.write(byteCount: values.count * 2, granularity: 2) { destination, offset in
                    DTypeConversion.encodeBF16(UnsafeBufferPointer(rebasing: values[(offset / 2)...].prefix(destination.count / 2)),
                                               into: destination)
                }
            }
        } else {
            buffer.removeAll(keepingCapacity: true)
            do {
                try tensor.data.withUnsafeBufferPointer { try DTypeConversion.encode($0, as: entry.dtype, into: &buffer) }
            } catch let error as SeedloraError {
                throw SeedloraError(path: path, "tensor '\(entry.name)': \(error.message)")
            }
            try buffer.withUnsafeBytes { try write($0) }
        }
    }

    /// Large sequential writes: small pieces are gathered, large ones go straight to the file
    /// (after what was gathered before them: a 5 MiB tensor once overtook the gathered ones
    /// before it, and the file was corrupt).
    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let direct { return try direct.write(bytes) }
        if bytes.count >= Self.ungatheredSize {
            try flush()
            try file.write(bytes)
            try wrote(bytes.count)
        } else {
            if pending.count + bytes.count > Self.writeSize { try flush() }
            pending.append(contentsOf: bytes)
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try file.write($0) }
        let n = pending.count
        pending.removeAll(keepingCapacity: true)
        try wrote(n)
    }

    private func wrote(_ n: Int) throws {
        sinceWriteback += n
        if sinceWriteback >= Self.writebackInterval {
            file.startWriteback()
            sinceWriteback = 0
        }
    }

    /// Appends the next tensor's stored bytes unchanged (copying a tensor between files).
    public func appendRaw(_ bytes: UnsafeRawBufferPointer) throws {
        guard next < entries.count else { throw SeedloraError(path: path, "more tensors than declared") }
        guard bytes.count == entries[next].byteCount else {
            throw SeedloraError(path: path, "tensor '\(entries[next].name)': \(bytes.count) bytes given, \(entries[next].byteCount) declared")
        }
        next += 1
        try write(bytes)
    }

    private func expectNext(count: Int) throws -> Entry {
        guard next < entries.count else { throw SeedloraError(path: path, "more tensors than declared") }
        let entry = entries[next]
        guard count == entry.shape.reduce(1, *) else {
            throw SeedloraError(path: path, "tensor '\(entry.name)': \(count) values given for shape \(entry.shape)")
        }
        next += 1
        return entry
    }

    /// Moves the complete file into place; refuses if a declared tensor is missing.
    public func commit() throws {
        guard next == entries.count else {
            throw SeedloraError(path: path, "internal: \(entries.count - next) declared tensors were not written")
        }
        try flush()
        try direct?.finish()
        try file.commit()
    }
}

public enum SafetensorsWriter {
    /// One tensor to write: its name, the Float32 values, and the dtype to store them as.
    public struct Item {
        public let name: String
        public let tensor: Tensor
        public let dtype: DType
        public init(name: String, tensor: Tensor, dtype: DType) {
            self.name = name
            self.tensor = tensor
            self.dtype = dtype
        }
    }

    /// Writes `items` sorted by name (reproducible files) with `metadata` to `path`.
    public static func write(_ items: [Item], metadata: [(String, String)] = [("format", "pt")], to path: String) throws {
        let sorted = items.sorted { $0.name < $1.name }
        let writer = try SafetensorsStreamWriter(
            path: path, entries: sorted.map { .init(name: $0.name, shape: $0.tensor.shape, dtype: $0.dtype) },
            metadata: metadata)
        for item in sorted { try writer.append(item.tensor) }
        try writer.commit()
    }
}
