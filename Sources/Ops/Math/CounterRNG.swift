/// Philox4x32-10, a counter-based random number generator (Salmon et al., SC'11; the generator
/// behind numpy's `Philox` and JAX's default PRNG).
///
/// The value at position `i` of a stream depends only on the key and `i`, never on what was drawn
/// before or on which thread draws it. Merge methods key a stream by (seed, module index, input
/// index), so DARE/DELLA masks are bit-identical across runs and thread counts.
public struct CounterRNG: Sendable {
    public let key: (UInt32, UInt32)

    /// A stream for `seed`, and the `(module, input)` it serves.
    public init(seed: UInt64, module: Int, input: Int) {
        // Mix the three parts into one 64-bit key with SplitMix64 finalisers, so nearby seeds,
        // modules and inputs give unrelated streams.
        var z = CounterRNG.splitmix(seed)
        z = CounterRNG.splitmix(z ^ UInt64(truncatingIfNeeded: module) &* 0x9E37_79B9_7F4A_7C15)
        z = CounterRNG.splitmix(z ^ UInt64(truncatingIfNeeded: input) &* 0xC2B2_AE3D_27D4_EB4F)
        key = (UInt32(truncatingIfNeeded: z), UInt32(truncatingIfNeeded: z >> 32))
    }

    /// A stream with an explicit Philox key (for known-answer tests).
    public init(key: (UInt32, UInt32)) {
        self.key = key
    }

    static func splitmix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The four 32-bit words of block `counter` (positions 4*counter ..< 4*counter + 4).
    public func block(_ counter: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        var c0 = UInt32(truncatingIfNeeded: counter), c1 = UInt32(truncatingIfNeeded: counter >> 32)
        var c2: UInt32 = 0, c3: UInt32 = 0
        var k0 = key.0, k1 = key.1
        for round in 0..<10 {
            if round > 0 {
                k0 &+= 0x9E37_79B9
                k1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
        }
        return (c0, c1, c2, c3)
    }

    /// A uniform double in [0, 1) at position `index` (24 random bits per value would bias
    /// thresholds near 0; we use 32).
    public func uniform(_ index: Int) -> Double {
        let b = block(UInt64(index >> 2))
        let word: UInt32
        switch index & 3 {
        case 0: word = b.0
        case 1: word = b.1
        case 2: word = b.2
        default: word = b.3
        }
        return Double(word) * (1.0 / 4_294_967_296.0)
    }

    /// Fills `out` with uniforms for positions `start ..< start + out.count`, four per block.
    public func fillUniform(_ out: UnsafeMutableBufferPointer<Double>, start: Int = 0) {
        var i = 0
        while i < out.count {
            let position = start + i
            let b = block(UInt64(position >> 2))
            let words = [b.0, b.1, b.2, b.3]
            var lane = position & 3
            while lane < 4 && i < out.count {
                out[i] = Double(words[lane]) * (1.0 / 4_294_967_296.0)
                lane += 1
                i += 1
            }
        }
    }

    /// A standard normal at position `index` (Box-Muller on positions 2*index, 2*index+1).
    public func normal(_ index: Int) -> Double {
        let u1 = max(uniform(2 * index), 1e-300)
        let u2 = uniform(2 * index + 1)
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }
}

#if canImport(Glibc)
import Glibc
private func _log(_ x: Double) -> Double { Glibc.log(x) }
private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
private func _log(_ x: Double) -> Double { Darwin.log(x) }
private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
