/// The content hash behind the cell cache and the provenance of files read: BLAKE2b-256
/// (libsodium's `crypto_generichash`, RFC 7693) over the bytes fed in.
///
/// A cache key must never collide: a collision would restore a stale cell and give a wrong result
/// with no sign of it. BLAKE2b is a cryptographic hash (no known collisions, 2^128 work for a
/// birthday collision at 256 bits), as fast as MD5 in software, and comes with libsodium, which the
/// kernel already links for its HMAC. Typed updates are framed (a string is followed by its byte
/// length) so different sequences of fields cannot produce the same byte stream.
public final class ContentHasher {
    private let blake = Sodium.BLAKE2b(digestBytes: 32)

    public init() {}

    public func update(_ bytes: UnsafeRawBufferPointer) {
        blake.update(bytes)
    }

    public func update(_ text: String) {
        var copy = text
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        update(UInt64(text.utf8.count))
    }

    /// Eight bytes, little-endian.
    public func update(_ word: UInt64) {
        withUnsafeBytes(of: word.littleEndian) { update($0) }
    }

    public func update(_ values: [Float]) {
        values.withUnsafeBytes { update($0) }
    }

    /// 64 lowercase hex digits; the hasher takes no more input afterwards.
    public func finalize() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in blake.finish() { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }

    public static func hash(_ text: String) -> String {
        let h = ContentHasher()
        h.update(text)
        return h.finalize()
    }

    /// The hash of a file's bytes, or of a directory's regular files (names and bytes, sorted by
    /// name, not recursive). A missing path hashes to "missing".
    public static func hash(path: String) throws -> String {
        if FilePaths.isDirectory(path) {
            let h = ContentHasher()
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
        let h = ContentHasher()
        file.withBytes(0..<file.size) { h.update($0) }
        return h.finalize()
    }
}
