internal import CZlib

/// CRC-32 (ISO-HDLC, the polynomial zip and gzip use), computed by zlib's `crc32_z`.
///
/// Zip archives record a CRC of every entry, and the store's seal records one of each file:
/// checking it catches a truncated download or a flipped bit before the bytes are read. zlib is
/// the reference implementation (and libhdf5 links it already); its values are the same as those
/// of any other CRC-32/ISO-HDLC, so seals written by earlier releases still verify.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        let crc = crc32_z(0, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        return UInt32(truncatingIfNeeded: crc)
    }
}
