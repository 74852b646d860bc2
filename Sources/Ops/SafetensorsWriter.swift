/// Writes safetensors files atomically, streaming one tensor at a time.
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

    /// Writes `items` (sorted by name, for reproducible files) with `metadata` to `path`.
    /// The header is padded with spaces to a multiple of 8 so every tensor starts aligned.
    public static func write(_ items: [Item], metadata: [(String, String)] = [("format", "pt")], to path: String) throws {
        let sorted = items.sorted { $0.name < $1.name }
        var header: [(String, JSON)] = []
        if !metadata.isEmpty {
            header.append(("__metadata__", .object(metadata.map { ($0.0, JSON.string($0.1)) })))
        }
        var offset = 0
        var seen = Set<String>()
        for item in sorted {
            guard seen.insert(item.name).inserted else {
                throw SeedloraError(path: path, "two tensors named '\(item.name)'")
            }
            let bytes = item.tensor.count * item.dtype.size
            header.append((item.name, .object([
                ("dtype", .string(item.dtype.rawValue)),
                ("shape", .array(item.tensor.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + bytes))])),
            ])))
            offset += bytes
        }
        var headerBytes = Array(JSON.object(header).serialized().utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }

        let file = try AtomicFile(path: path)
        var prefix = [UInt8](repeating: 0, count: 8)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { prefix = Array($0) }
        try file.write(prefix)
        try file.write(headerBytes)
        var buffer: [UInt8] = []
        for item in sorted {
            if item.dtype == .f32 {
                try item.tensor.data.withUnsafeBytes { try file.write($0) }
            } else {
                buffer.removeAll(keepingCapacity: true)
                try item.tensor.data.withUnsafeBufferPointer { try DTypeConversion.encode($0, as: item.dtype, into: &buffer) }
                try file.write(buffer)
            }
        }
        try file.commit()
    }
}
