internal import CSodium

/// libsodium's vetted primitives, behind Swift types: BLAKE2b (`crypto_generichash`) for content
/// hashes and HMAC-SHA256 (`crypto_auth_hmacsha256`) for the Jupyter signatures. This is the only
/// file that sees libsodium's pointers and states.
public enum Sodium {
    /// `sodium_init` once per process (thread-safe and idempotent in libsodium itself); it only
    /// fails when the system has no entropy source, which the hashes and MACs do not use.
    private static let initialised: Bool = sodium_init() >= 0

    private static func ensureInitialised() { _ = initialised }

    /// A streaming BLAKE2b hash (RFC 7693), unkeyed, with a `digestBytes`-byte digest (16...64).
    /// A class: the libsodium state lives in memory of the alignment it asks for and is freed once.
    public final class BLAKE2b {
        public let digestBytes: Int
        private let state: UnsafeMutableRawPointer
        private var finished = false

        public init(digestBytes: Int = 32) {
            Sodium.ensureInitialised()
            self.digestBytes = min(max(digestBytes, Int(crypto_generichash_BYTES_MIN)), Int(crypto_generichash_BYTES_MAX))
            state = UnsafeMutableRawPointer.allocate(byteCount: seedlora_generichash_statebytes(), alignment: 64)
            // Only fails for an out-of-range digest length, which the clamp above excludes.
            _ = seedlora_generichash_init(state, self.digestBytes)
        }

        deinit { state.deallocate() }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            guard !finished, let base = bytes.baseAddress, bytes.count > 0 else { return }
            _ = seedlora_generichash_update(state, base, bytes.count)
        }

        /// The digest; the hasher takes no more input afterwards.
        public func finish() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: digestBytes)
            if !finished { out.withUnsafeMutableBufferPointer { _ = seedlora_generichash_final(state, $0.baseAddress, digestBytes) } }
            finished = true
            return out
        }
    }

    /// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256), keys of any length.
    public enum HMACSHA256 {
        public static let macBytes = Int(crypto_auth_hmacsha256_BYTES)

        /// The MAC of the concatenation of `parts` (no copy into one buffer).
        public static func mac(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
            Sodium.ensureInitialised()
            let state = UnsafeMutableRawPointer.allocate(byteCount: seedlora_hmacsha256_statebytes(), alignment: 64)
            defer {
                sodium_memzero(state, seedlora_hmacsha256_statebytes())
                state.deallocate()
            }
            key.withUnsafeBytes { _ = seedlora_hmacsha256_init(state, $0.baseAddress, $0.count) }
            for part in parts {
                part.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress, bytes.count > 0 { _ = seedlora_hmacsha256_update(state, base, bytes.count) }
                }
            }
            var out = [UInt8](repeating: 0, count: macBytes)
            out.withUnsafeMutableBufferPointer { _ = seedlora_hmacsha256_final(state, $0.baseAddress) }
            return out
        }

        /// Whether `mac` is the MAC of `parts` under `key`, compared with `sodium_memcmp`
        /// (constant time: the time does not depend on where the bytes differ).
        public static func verify(_ mac: [UInt8], key: [UInt8], parts: [[UInt8]]) -> Bool {
            guard mac.count == macBytes else { return false }
            let expected = self.mac(key: key, parts: parts)
            return expected.withUnsafeBytes { e in mac.withUnsafeBytes { m in sodium_memcmp(e.baseAddress, m.baseAddress, macBytes) == 0 } }
        }
    }
}
