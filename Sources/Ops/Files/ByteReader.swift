/// Bounds-checked little-endian reads from untrusted bytes (zip records, pickle arguments).
///
/// Every read names what it was reading, so a truncated or corrupt file gives a message such as
/// "central directory entry 3: needs 46 bytes at offset 1234, the file has 1250". The bytes are
/// borrowed: a reader must not outlive the buffer it was made from.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var count: Int { bytes.count }

    /// Checks that `length` bytes at `offset` lie inside the buffer (overflow-safe).
    func check(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws {
        guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else {
            throw SeedloraError("\(what()): needs \(length) bytes at offset \(offset), the data has \(bytes.count)")
        }
    }

    func u8(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt8 {
        try check(offset, 1, what())
        return bytes[offset]
    }

    func u16(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt16 {
        try check(offset, 2, what())
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt32 {
        try check(offset, 4, what())
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    func u64(_ offset: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try check(offset, 8, what())
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The bytes in `offset ..< offset + length`.
    func slice(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try check(offset, length, what())
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    /// Whether the 4 bytes at `offset` are the little-endian `signature` (false when out of range).
    func hasSignature(_ signature: UInt32, at offset: Int) -> Bool {
        guard offset >= 0, offset <= bytes.count - 4 else { return false }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) == signature
    }
}
