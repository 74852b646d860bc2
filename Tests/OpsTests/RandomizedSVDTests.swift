import Ops
import Testing
import TestSupport

/// Randomized SVD against LAPACK's exact SVD of the same dense matrix.
struct RandomizedSVDTests {
    /// A full-rank matrix with a decaying spectrum: a merged LoRA delta plus small dense noise.
    static func testMatrix(_ module: Int) throws -> Tensor {
        let adapters = try Fixtures.seedPaths.map { try PeftAdapter(directory: $0) }
        var sum = adapters[0].modules[module].delta.dense()
        let rng = CounterRNG(seed: 7, module: module, input: 0)
        for a in adapters.dropFirst() {
            let d = a.modules[module].delta.dense()
            for i in sum.data.indices { sum.data[i] += d.data[i] }
        }
        for i in sum.data.indices { sum.data[i] += Float(1e-3 * rng.normal(i)) }
        return sum
    }

    @Test(arguments: [0, 3, 6])
    func topValuesMatchExactSVD(_ module: Int) throws {
        let m = try Self.testMatrix(module)
        let exact = try LinearAlgebra.svd(LinearAlgebra.Matrix(m)).s
        let approx = try RandomizedSVD.approximate(m, rank: 8, rng: CounterRNG(seed: 1, module: module, input: 0))
        #expect(approx.values.count == 8)
        for (a, e) in zip(approx.values, exact) {
            #expect(Compare.relative(a, e) <= 1e-4, "module \(module): \(a) vs \(e)")
        }
        // Energy kept is exact for what was kept.
        let total = exact.reduce(0) { $0 + $1 * $1 }
        let kept = exact.prefix(8).reduce(0) { $0 + $1 * $1 }
        #expect(abs(approx.energyKept - kept / total) <= 1e-4)
        // The factors reproduce the approximation: error = dropped energy (Eckart-Young).
        let product = approx.factors.dense()
        var err = 0.0
        for i in m.data.indices { let d = Double(m.data[i] - product.data[i]); err += d * d }
        #expect(abs(err.squareRoot() - (total - kept).squareRoot()) <= 1e-3 * exact[0])
    }

    @Test func sameSeedSameFactors() throws {
        let m = try Self.testMatrix(1)
        let a = try RandomizedSVD.approximate(m, rank: 4, rng: CounterRNG(seed: 3, module: 1, input: 0))
        let b = try RandomizedSVD.approximate(m, rank: 4, rng: CounterRNG(seed: 3, module: 1, input: 0))
        #expect(a.factors == b.factors)
    }

    @Test func philoxKnownAnswer() {
        // Random123's published vector for philox4x32_10 with counter 0 and key 0.
        let block = CounterRNG(key: (0, 0)).block(0)
        #expect(block.0 == 0x6627_E8D5 && block.1 == 0xE169_C58D && block.2 == 0xBC57_AC4C && block.3 == 0x9B00_DBD8)
    }
}
