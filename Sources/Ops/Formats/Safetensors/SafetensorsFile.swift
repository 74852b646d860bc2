/// One tensor's entry in a safetensors header. Offsets are relative to the start of the data.
public struct TensorEntry: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let begin: Int
    public let end: Int
    public var byteCount: Int { end - begin }
}

/// A validated, memory-mapped safetensors file.
///
/// Validation follows the reference implementation's rules (see docs/formats.md): every rule has
/// its own message, so a user learns exactly what is wrong with a file from the internet.
public final class SafetensorsFile: @unchecked Sendable {
    /// The header may be at most this long (the reference reader's limit).
    public static let maxHeaderBytes = 100_000_000

    public let path: String
    /// Entries in header order.
    public let entries: [TensorEntry]
    public let metadata: [(String, String)]
    private let file: MappedFile
    private let dataStart: Int
    private let index: [String: Int]

    public init(path: String) throws {
        self.path = path
        let file = try MappedFile(path: path)
        self.file = file
        guard file.size >= 8 else {
            throw SeedloraError(path: path, "file is \(file.size) bytes; a safetensors file starts with an 8-byte header length")
        }
        let headerLength: UInt64 = file.withBytes(0..<8) { $0.loadUnaligned(as: UInt64.self) }.littleEndian
        guard headerLength <= UInt64(SafetensorsFile.maxHeaderBytes) else {
            throw SeedloraError(path: path, "header length \(headerLength) exceeds the limit of \(SafetensorsFile.maxHeaderBytes) bytes")
        }
        let n = Int(headerLength)
        guard 8 + n <= file.size else {
            throw SeedloraError(path: path, "header length \(n) runs past the end of the file (\(file.size) bytes)")
        }
        let header: JSON
        do {
            header = try file.withBytes(8..<(8 + n)) { try JSON.parse($0) }
        } catch let error as JSONParseError {
            throw SeedloraError(path: path, "header is not valid JSON: \(error)")
        }
        dataStart = 8 + n
        let parsed = try SafetensorsFile.parseHeader(header, dataLength: file.size - dataStart, path: path)
        entries = parsed.entries
        metadata = parsed.metadata
        var index: [String: Int] = [:]
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        self.index = index
    }

    public func entry(_ name: String) -> TensorEntry? { index[name].map { entries[$0] } }

    /// The tensor converted to Float32 (exact for F32/BF16/F16 and integer types up to 2^24).
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entry(name) else { throw SeedloraError(path: path, "no tensor named '\(name)'") }
        return try tensor(entry)
    }

    public func tensor(_ entry: TensorEntry) throws -> Tensor {
        let count = entry.shape.reduce(1, *)
        let data = try file.withBytes((dataStart + entry.begin)..<(dataStart + entry.end)) { raw in
            try DTypeConversion.toFloat(raw, dtype: entry.dtype, count: count, name: entry.name)
        }
        return Tensor(uncheckedShape: entry.shape, data: data)
    }

    /// Lets the kernel drop the tensor's pages from this process (see `MappedFile.releasePages`).
    public func releasePages(_ entry: TensorEntry) {
        file.releasePages((dataStart + entry.begin)..<(dataStart + entry.end))
    }

    /// The same for several tensors, with one call per run of adjacent tensors: each call
    /// interrupts every core to flush its TLB, and a streamed merge made 1,300 of them on W7B.
    public func releasePages(_ entries: [TensorEntry]) {
        var run: Range<Int>?
        for entry in entries.sorted(by: { $0.begin < $1.begin }) {
            if let current = run, entry.begin <= current.upperBound {
                run = current.lowerBound..<max(current.upperBound, entry.end)
            } else {
                if let current = run { file.releasePages((dataStart + current.lowerBound)..<(dataStart + current.upperBound)) }
                run = entry.begin..<entry.end
            }
        }
        if let current = run { file.releasePages((dataStart + current.lowerBound)..<(dataStart + current.upperBound)) }
    }

    /// Maps the tensor's pages in one call before a full read (see `MappedFile.populate`).
    public func populatePages(_ entry: TensorEntry) {
        file.populate((dataStart + entry.begin)..<(dataStart + entry.end))
    }

    /// Raw bytes of one tensor, for copying without conversion.
    public func withRawBytes<R>(_ entry: TensorEntry, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try file.withBytes((dataStart + entry.begin)..<(dataStart + entry.end), body)
    }

    static func parseHeader(_ header: JSON, dataLength: Int, path: String)
        throws -> (entries: [TensorEntry], metadata: [(String, String)])
    {
        guard let pairs = header.objectValue else {
            throw SeedloraError(path: path, "header must be a JSON object of tensor entries")
        }
        var entries: [TensorEntry] = []
        var metadata: [(String, String)] = []
        var seen = Set<String>()
        for (name, value) in pairs {
            guard seen.insert(name).inserted else {
                throw SeedloraError(path: path, "tensor '\(name)' appears twice in the header")
            }
            if name == "__metadata__" {
                // mlx's save_safetensors writes `"__metadata__": null`, which the reference
                // implementation (an Option in the safetensors crate) accepts as "none".
                if value.isNull { continue }
                guard let items = value.objectValue else {
                    throw SeedloraError(path: path, "__metadata__ must be an object of strings")
                }
                for (key, item) in items {
                    guard let text = item.stringValue else {
                        throw SeedloraError(path: path, "__metadata__ value for '\(key)' must be a string")
                    }
                    metadata.append((key, text))
                }
                continue
            }
            entries.append(try parseEntry(name: name, value, path: path))
        }
        try checkLayout(entries, dataLength: dataLength, path: path)
        return (entries, metadata)
    }

    private static func parseEntry(name: String, _ value: JSON, path: String) throws -> TensorEntry {
        guard value.objectValue != nil else {
            throw SeedloraError(path: path, "tensor '\(name)': entry must be an object with dtype, shape, data_offsets")
        }
        guard let dtypeName = value["dtype"]?.stringValue else {
            throw SeedloraError(path: path, "tensor '\(name)': missing string 'dtype'")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            let known = DType.allCases.map(\.rawValue).joined(separator: ", ")
            throw SeedloraError(path: path, "tensor '\(name)': unknown dtype '\(dtypeName)' (expected one of \(known))")
        }
        guard let dims = value["shape"]?.arrayValue else {
            throw SeedloraError(path: path, "tensor '\(name)': missing array 'shape'")
        }
        var shape: [Int] = []
        for dim in dims {
            guard let d = dim.indexValue else {
                throw SeedloraError(path: path, "tensor '\(name)': shape entries must be non-negative integers")
            }
            shape.append(d)
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].indexValue, let end = offsets[1].indexValue
        else {
            throw SeedloraError(path: path, "tensor '\(name)': 'data_offsets' must be two non-negative integers [begin, end]")
        }
        guard begin <= end else {
            throw SeedloraError(path: path, "tensor '\(name)': data_offsets begin \(begin) is after end \(end)")
        }
        var expected = dtype.size
        for d in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: d)
            guard !overflow else { throw SeedloraError(path: path, "tensor '\(name)': shape \(shape) overflows") }
            expected = product
        }
        guard expected == end - begin else {
            throw SeedloraError(path: path,
                "tensor '\(name)': shape \(shape) of \(dtype.rawValue) needs \(expected) bytes but data_offsets span \(end - begin)")
        }
        return TensorEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// Offsets must start at 0 and chain without gaps or overlaps up to the end of the file.
    private static func checkLayout(_ entries: [TensorEntry], dataLength: Int, path: String) throws {
        let sorted = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var cursor = 0
        var previous: String?
        for entry in sorted {
            if entry.begin > cursor {
                throw SeedloraError(path: path,
                    "gap of \(entry.begin - cursor) bytes before tensor '\(entry.name)' (data offsets must be contiguous)")
            }
            if entry.begin < cursor {
                throw SeedloraError(path: path,
                    "tensor '\(entry.name)' overlaps tensor '\(previous ?? "?")' (offsets \(entry.begin)..<\(entry.end))")
            }
            cursor = entry.end
            previous = entry.name
        }
        if cursor > dataLength {
            throw SeedloraError(path: path,
                "tensor '\(previous ?? "?")' ends at data byte \(cursor), past the end of the file's \(dataLength) data bytes")
        }
        if cursor < dataLength {
            throw SeedloraError(path: path, "\(dataLength - cursor) trailing bytes after the last tensor")
        }
    }
}
