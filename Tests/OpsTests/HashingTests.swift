@testable import Ops
import Testing

/// The library-backed primitives: BLAKE2b (cache keys), HMAC-SHA256 (the kernel's signer; the
/// RFC 4231 vectors run through `Signer` in NotebookTests) and zlib's CRC-32 (seals, zip entries).
struct HashingTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func blake(_ text: String, bytes: Int) -> String {
        let h = Sodium.BLAKE2b(digestBytes: bytes)
        Array(text.utf8).withUnsafeBytes { h.update($0) }
        return hex(h.finish())
    }

    @Test func blake2bKnownAnswers() {
        // RFC 7693 Appendix A (BLAKE2b-512 of "abc") and the reference BLAKE2b-256 digests.
        #expect(Self.blake("abc", bytes: 64) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        #expect(Self.blake("", bytes: 32) == "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8")
        #expect(Self.blake("abc", bytes: 32) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }

    @Test func contentHasherIsBLAKE2b256WithFraming() {
        // A string is its bytes then its length as 8 little-endian bytes.
        var framed = Array("abc".utf8)
        withUnsafeBytes(of: UInt64(3).littleEndian) { framed += $0 }
        let h = Sodium.BLAKE2b(digestBytes: 32)
        framed.withUnsafeBytes { h.update($0) }
        #expect(ContentHasher.hash("abc") == Self.hex(h.finish()))
        #expect(ContentHasher.hash("ab") != ContentHasher.hash("abc"))
        // Field boundaries count: ("ab", "c") is not ("a", "bc").
        let x = ContentHasher(), y = ContentHasher()
        x.update("ab"); x.update("c")
        y.update("a"); y.update("bc")
        #expect(x.finalize() != y.finalize())
    }

    @Test func hmacAcrossPartsEqualsWhole() {
        let key = Array("Jefe".utf8), data = Array("what do ya want for nothing?".utf8)
        let whole = Sodium.HMACSHA256.mac(key: key, parts: [data])
        #expect(Self.hex(whole) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(Sodium.HMACSHA256.mac(key: key, parts: [Array(data[..<5]), [], Array(data[5...])]) == whole)
        #expect(Sodium.HMACSHA256.verify(whole, key: key, parts: [data]))
        var flipped = whole
        flipped[31] ^= 1
        #expect(!Sodium.HMACSHA256.verify(flipped, key: key, parts: [data]))
        #expect(!Sodium.HMACSHA256.verify(Array(whole.dropLast()), key: key, parts: [data]))
    }

    @Test func crc32CheckValues() {
        func crc(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { CRC32.checksum($0) } }
        // The CRC-32/ISO-HDLC check value, and the value of zero bytes.
        #expect(crc(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(crc([]) == 0)
        #expect(crc([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
    }
}
