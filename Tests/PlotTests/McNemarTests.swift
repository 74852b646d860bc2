import Foundation
@testable import Ops
import Testing

/// McNemar's exact test against p-values computed exactly (Python: integer binomial sums as
/// fractions, `min(1, 2 * sum(comb(n, j) for j <= min(b, c)) / 2**n)`).
struct McNemarTests {
    @Test(arguments: [
        (93, 42, 1.3469767191590419e-05), (75, 31, 2.2954512916817195e-05), (67, 74, 0.6135127096954134),
        (0, 0, 1.0), (5, 0, 0.0625), (1, 1, 1.0), (10, 10, 1.0), (0, 30, 1.862645149230957e-09),
        (600, 400, 2.7284641560660184e-10), (3, 7, 0.34375), (5200, 4800, 6.593515598672442e-05),
    ])
    func exactPValues(b: Int, c: Int, expected: Double) {
        let p = McNemar.exactPValue(onlyFirst: b, onlySecond: c)
        #expect(abs(p - expected) <= 1e-9 * expected, "b=\(b) c=\(c): \(p) vs \(expected)")
        #expect(McNemar.exactPValue(onlyFirst: c, onlySecond: b) == p, "symmetric in b and c")
    }

    /// Far below double's range the log tail stays exact: log P(X <= 100), X ~ Bin(2100, 1/2)
    /// = -1056.7232329358446 (Python, exact integers).
    @Test func logTailFarBelowDoubleRange() {
        let log = McNemar.logLowerTail(100, n: 2100)
        #expect(abs(log - -1056.7232329358446) < 1e-9 * 1056.7)
        #expect(McNemar.exactPValue(onlyFirst: 2000, onlySecond: 100) == 0)
    }

    /// Counts in the millions: finite, in [0, 1], and monotone in the imbalance.
    @Test func millionsOfDiscordantItems() {
        let balanced = McNemar.exactPValue(onlyFirst: 2_000_000, onlySecond: 2_000_000)
        let slight = McNemar.exactPValue(onlyFirst: 2_001_000, onlySecond: 1_999_000)
        let clear = McNemar.exactPValue(onlyFirst: 2_005_000, onlySecond: 1_995_000)
        #expect(balanced == 1)
        #expect(slight > clear && slight < 1 && clear > 0)
        // Normal approximation (continuity-corrected) agrees to a few per cent at this size.
        let z = (2000.0 - 1) / (4_000_000.0).squareRoot()
        let normal = erfc(z / 2.0.squareRoot())
        #expect(abs(slight - normal) < 0.03 * normal, "\(slight) vs normal \(normal)")
    }
}
