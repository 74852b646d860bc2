/// HMAC-SHA256 message signing (Jupyter's `signature_scheme: hmac-sha256`).
///
/// Written out here (FIPS 180-4 SHA-256, RFC 2104 HMAC) rather than pulling in swift-crypto:
/// it is the only primitive the kernel needs, it is checked against the RFC 4231 vectors in
/// `Tests/NotebookTests`, and every real client checks our signatures on every message.
public struct Signer: Sendable {
    let key: [UInt8]

    /// An empty key disables signing, as the protocol specifies.
    public init(key: [UInt8]) { self.key = key }

    public var isEnabled: Bool { !key.isEmpty }

    /// The lowercase hex digest over the parts in order (header, parent header, metadata, content).
    public func signature(_ parts: [[UInt8]]) -> String {
        guard isEnabled else { return "" }
        return HMAC.sha256(key: key, parts: parts).map { byte in
            let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// Whether `signature` (received hex bytes) matches; compared in constant time.
    public func verify(_ signature: [UInt8], _ parts: [[UInt8]]) -> Bool {
        guard isEnabled else { return true }
        let expected = Array(self.signature(parts).utf8)
        guard expected.count == signature.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, signature) { difference |= a ^ b }
        return difference == 0
    }
}

enum HMAC {
    static func sha256(key: [UInt8], parts: [[UInt8]]) -> [UInt8] {
        var k = key.count > 64 ? SHA256.hash([key]) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = SHA256.hash([k.map { $0 ^ 0x36 }] + parts)
        return SHA256.hash([k.map { $0 ^ 0x5c }, inner])
    }
}

/// SHA-256 over the concatenation of `parts` (no copy into one buffer).
struct SHA256 {
    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var block: [UInt8] = []
    private var length: UInt64 = 0

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hash(_ parts: [[UInt8]]) -> [UInt8] {
        var h = SHA256()
        for part in parts { h.update(part) }
        return h.finish()
    }

    mutating func update(_ bytes: [UInt8]) {
        length &+= UInt64(bytes.count)
        var i = 0
        if !block.isEmpty {
            let take = min(64 - block.count, bytes.count)
            block += bytes[0..<take]
            i = take
            if block.count == 64 { compress(block[...]); block.removeAll(keepingCapacity: true) }
        }
        while bytes.count - i >= 64 {
            compress(bytes[i..<(i + 64)])
            i += 64
        }
        block += bytes[i...]
    }

    mutating func finish() -> [UInt8] {
        let bits = length &* 8
        block.append(0x80)
        if block.count > 56 {
            block += [UInt8](repeating: 0, count: 64 - block.count)
            compress(block[...])
            block.removeAll(keepingCapacity: true)
        }
        block += [UInt8](repeating: 0, count: 56 - block.count)
        for shift in stride(from: 56, through: 0, by: -8) { block.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        compress(block[...])
        return state.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32($0))) } }
    }

    /// One 64-byte chunk (a slice of exactly 64 bytes).
    private mutating func compress(_ chunk: ArraySlice<UInt8>) {
        let base = chunk.startIndex
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
        var w = [UInt32](repeating: 0, count: 64)
        for i in 0..<16 {
            let j = base + 4 * i
            w[i] = UInt32(chunk[j]) << 24 | UInt32(chunk[j + 1]) << 16 | UInt32(chunk[j + 2]) << 8 | UInt32(chunk[j + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ ch &+ SHA256.k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            h = g; g = f; f = e; e = d &+ t1
            d = c; c = b; b = a; a = t1 &+ t2
        }
        state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
        state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
    }
}
