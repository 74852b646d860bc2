/// A 128-bit content hash for change detection (cell caching): two independent 64-bit lanes
/// over the bytes, 8 at a time, with a final avalanche. Not cryptographic; it answers "did these
/// bytes change", which is all a cache key needs.
public struct ContentHasher: Sendable {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
    private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private var length: UInt64 = 0

    public init() {}

    private mutating func mix(_ word: UInt64) {
        a = (a ^ word) &* 0x0000_0100_0000_01B3
        a = (a << 31) | (a >> 33)
        b = (b &+ word) &* 0x9FB2_1C65_1E98_DF25
        b ^= b >> 29
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        var i = 0
        while i + 8 <= n {
            mix(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            for j in i..<n { tail |= UInt64(bytes[j]) << (8 * UInt64(j - i)) }
            mix(tail ^ 0xFF00_0000_0000_0000)
        }
        length &+= UInt64(n)
    }

    public mutating func update(_ text: String) {
        var copy = text
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        update(UInt64(text.utf8.count))
    }

    public mutating func update(_ word: UInt64) {
        mix(word)
        length &+= 8
    }

    public mutating func update(_ values: [Float]) {
        values.withUnsafeBytes { update($0) }
    }

    /// 32 hex digits.
    public func finalize() -> String {
        func avalanche(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let hi = avalanche(a ^ length), lo = avalanche(b &+ (length << 1))
        func hex(_ x: UInt64) -> String {
            let s = String(x, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return hex(hi) + hex(lo)
    }

    public static func hash(_ text: String) -> String {
        var h = ContentHasher()
        h.update(text)
        return h.finalize()
    }

    /// The hash of a file's bytes, or of a directory's regular files (names and bytes, sorted by
    /// name, not recursive). A missing path hashes to "missing".
    public static func hash(path: String) throws -> String {
        if FilePaths.isDirectory(path) {
            var h = ContentHasher()
            for name in try FilePaths.list(path).sorted() where !name.hasPrefix(".") {
                let child = path + "/" + name
                guard !FilePaths.isDirectory(child) else { continue }
                h.update(name)
                h.update(try hash(path: child))
            }
            return h.finalize()
        }
        guard FilePaths.exists(path) else { return "missing" }
        let file = try MappedFile(path: path)
        var h = ContentHasher()
        file.withBytes(0..<file.size) { h.update($0) }
        return h.finalize()
    }
}
