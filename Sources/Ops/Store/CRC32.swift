/// CRC-32 (ISO-HDLC, the polynomial zip uses), slicing by 8 bytes.
///
/// Zip archives record a CRC of every entry; checking it catches a truncated download or a flipped
/// bit before the bytes are read as tensors. Slicing-by-8 keeps it near memory speed in release
/// builds (a table lookup per byte would take longer than reading the file).
enum CRC32 {
    /// `tables[k][b]` is the CRC contribution of byte `b` followed by `k` zero bytes.
    private static let tables: [[UInt32]] = {
        var tables = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for b in 0..<256 {
            var c = UInt32(b)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            tables[0][b] = c
        }
        for b in 0..<256 {
            for k in 1..<8 {
                let previous = tables[k - 1][b]
                tables[k][b] = (previous >> 8) ^ tables[0][Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        let t = tables
        t[0].withUnsafeBufferPointer { t0 in t[1].withUnsafeBufferPointer { t1 in
        t[2].withUnsafeBufferPointer { t2 in t[3].withUnsafeBufferPointer { t3 in
        t[4].withUnsafeBufferPointer { t4 in t[5].withUnsafeBufferPointer { t5 in
        t[6].withUnsafeBufferPointer { t6 in t[7].withUnsafeBufferPointer { t7 in
            var i = 0
            let wide = bytes.count / 8 * 8
            while i < wide {
                let lo = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ crc
                let hi = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                crc = t7[Int(lo & 0xFF)] ^ t6[Int((lo >> 8) & 0xFF)] ^ t5[Int((lo >> 16) & 0xFF)] ^ t4[Int(lo >> 24)]
                    ^ t3[Int(hi & 0xFF)] ^ t2[Int((hi >> 8) & 0xFF)] ^ t1[Int((hi >> 16) & 0xFF)] ^ t0[Int(hi >> 24)]
                i += 8
            }
            while i < bytes.count {
                crc = (crc >> 8) ^ t0[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
                i += 1
            }
        } } } } } } } }
        return crc ^ 0xFFFF_FFFF
    }
}
