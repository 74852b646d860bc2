import Ops

/// HMAC-SHA256 message signing (Jupyter's `signature_scheme: hmac-sha256`), by libsodium's
/// `crypto_auth_hmacsha256` (see `Sodium.HMACSHA256`); signatures travel as lowercase hex.
public struct Signer: Sendable {
    let key: [UInt8]

    /// An empty key disables signing, as the protocol specifies.
    public init(key: [UInt8]) { self.key = key }

    public var isEnabled: Bool { !key.isEmpty }

    /// The lowercase hex digest over the parts in order (header, parent header, metadata, content).
    public func signature(_ parts: [[UInt8]]) -> String {
        guard isEnabled else { return "" }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in Sodium.HMACSHA256.mac(key: key, parts: parts) { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether `signature` (the received hex bytes) matches: decoded, then compared with
    /// libsodium's constant-time `sodium_memcmp`. Anything but 64 hex digits does not match.
    public func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard isEnabled else { return true }
        guard let mac = Self.bytes(hex: signature) else { return false }
        return Sodium.HMACSHA256.verify(mac, key: key, parts: parts)
    }

    /// Hex digits (either case) as bytes; nil for an odd count or a non-hex character.
    static func bytes(hex: [UInt8]) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var i = 0
        while i < hex.count {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
