import Foundation

/// McNemar's exact test for two classifiers scored on the same items.
///
/// Only the discordant items carry information: `b` items only the first gets right, `c` only
/// the second. Under the null hypothesis (both equally accurate) each discordant item is a fair
/// coin, so `b ~ Bin(b + c, 1/2)` and the two-sided p-value is
/// `min(1, 2 * P(X <= min(b, c)))`, X ~ Bin(b + c, 1/2).
///
/// The tail is summed in log space from its largest term downwards, so counts in the millions
/// neither overflow the binomial coefficients nor underflow `2^-n` (a p-value below
/// `Double.leastNonzeroMagnitude` is returned as 0, which it is to double precision).
public enum McNemar {
    /// The exact two-sided p-value for `b` and `c` discordant items (1 when both are 0).
    public static func exactPValue(onlyFirst b: Int, onlySecond c: Int) -> Double {
        precondition(b >= 0 && c >= 0, "discordant counts are non-negative")
        let n = b + c
        guard n > 0 else { return 1 }
        let logTail = logLowerTail(min(b, c), n: n)
        return min(1, 2 * exp(logTail))
    }

    /// log P(X <= k) for X ~ Bin(n, 1/2), with k <= n / 2.
    ///
    /// The terms t_j = C(n, j) 2^-n grow with j up to n / 2, so t_k is the largest; the sum is
    /// t_k * (1 + t_{k-1}/t_k + ...), with t_{j-1}/t_j = j / (n - j + 1), stopped once the
    /// ratio no longer changes the sum.
    static func logLowerTail(_ k: Int, n: Int) -> Double {
        let logTerm = logBinomial(n, k) - Double(n) * log(2.0)
        var ratio = 1.0, sum = 1.0
        var j = k
        while j > 0 {
            ratio *= Double(j) / Double(n - j + 1)
            sum += ratio
            if ratio < sum * 1e-17 { break }
            j -= 1
        }
        return logTerm + log(sum)
    }

    /// log C(n, k) via lgamma (relative error ~1e-15 even for n in the millions).
    static func logBinomial(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }
}
