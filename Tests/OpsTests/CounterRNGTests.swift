import Ops
import Testing

/// Philox4x32-10 against the published known-answer vectors (Random123's kat_vectors).
struct CounterRNGTests {
    @Test func philoxKnownAnswerKeyZeroCounterZero() {
        let b = CounterRNG(key: (0, 0)).block(0)
        #expect([b.0, b.1, b.2, b.3] == [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
    }

    /// `uniform(i)` is lane i % 4 of block i / 4, scaled by 2^-32.
    @Test func uniformReadsTheBlockWords() {
        let rng = CounterRNG(seed: 1, module: 2, input: 3)
        for i in 0..<12 {
            let b = rng.block(UInt64(i / 4))
            let word = [b.0, b.1, b.2, b.3][i % 4]
            #expect(rng.uniform(i) == Double(word) / 4_294_967_296.0)
        }
    }

    @Test func streamsDifferBySeedModuleAndInput() {
        let keys = [CounterRNG(seed: 0, module: 0, input: 0), CounterRNG(seed: 1, module: 0, input: 0),
                    CounterRNG(seed: 0, module: 1, input: 0), CounterRNG(seed: 0, module: 0, input: 1)]
            .map { [$0.key.0, $0.key.1] }
        #expect(Set(keys).count == keys.count)
    }
}
