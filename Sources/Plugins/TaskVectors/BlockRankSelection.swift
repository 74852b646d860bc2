internal import CKernels
import Ops

/// Exact rank boundaries of one input's magnitudes, read a block of rows at a time.
///
/// Every boundary is found the same way: a bracket of magnitude keys (`RankSelection.magnitudeKey`,
/// 31 bits) that holds it, one pass that counts the keys above the bracket and gathers the keys
/// inside it (`collect`), and `RankSelection` on the gathered keys at the boundary's rank below
/// the counted ones (`resolve`). The bracket comes from
/// - a sample (`sampledBracket`), for a single boundary in a large module: one pass in all;
/// - else a histogram of the keys' top 12 bits (8 exponent and 4 mantissa bits: 16 buckets per
///   octave, 16 KiB, in L1): the bucket holding the boundary is the bracket, exactly. Two
///   passes per boundary; breadcrumbs (two boundaries) and unlucky samples take this way.
///
/// The boundary is the same value, with the same count of kept equal keys, as
/// `RankSelection.boundary` over all the keys (tested): the selection, and the merge, do not
/// depend on how the keys were read. Against the three 11-bit passes of `RankSelection` over a
/// materialised module, the blocks are read once or twice, from cache.
enum BlockRankSelection {
    static let highBits = 12
    static let lowBits = 31 - highBits

    /// The boundary in front of each of `ranks` (descending), for input `input` of `rows`.
    static func boundaries(ranks: [Int], input: Int, rows: ModuleRows) throws -> [RankBoundary<UInt32>] {
        let n = rows.count
        var found = [RankBoundary<UInt32>](repeating: .nothing, count: ranks.count)
        var pending: [(slot: Int, rank: Int)] = []
        for (slot, rank) in ranks.enumerated() {
            if rank >= n { found[slot] = .everything } else if rank > 0 { pending.append((slot, rank)) }
        }
        if pending.count == 1, let (slot, rank) = pending.first, let bracket = sampledBracket(rank: rank, input: input, rows: rows),
           let collected = try collect(bracket, input: input, rows: rows), let boundary = resolve(rank: rank, collected) {
            found[slot] = boundary
            return found
        }
        if pending.isEmpty { return found }
        let histogram = try countHighBits(input: input, rows: rows)
        for (slot, rank) in pending {
            let bracket = try bucketBracket(rank: rank, histogram: histogram)
            guard let collected = try collect(bracket, input: input, rows: rows), let boundary = resolve(rank: rank, collected) else {
                throw SeedloraError("internal: rank \(rank) of \(n) magnitudes is not in its histogram bucket on the second pass")
            }
            found[slot] = boundary
        }
        return found
    }

    /// The histogram bucket holding descending rank `rank`, as a bracket of exactly its keys.
    private static func bucketBracket(rank: Int, histogram: [Int]) throws -> Bracket {
        var digit = histogram.count - 1, remaining = rank
        while digit > 0 && remaining > histogram[digit] {
            remaining -= histogram[digit]
            digit -= 1
        }
        guard remaining >= 1, remaining <= histogram[digit] else {
            throw SeedloraError("internal: rank \(rank) fell outside the histogram")
        }
        let low = UInt32(digit) << UInt32(lowBits)
        return Bracket(low: low, high: low | ((1 << UInt32(lowBits)) - 1), capacity: histogram[digit])
    }

    /// Entries sampled to bracket a boundary; modules under `sampleSize * 16` entries take
    /// the histogram passes instead.
    static let sampleSize = 1 << 16

    /// One pass over input `input`: how many keys lie above `bracket` and the keys inside it
    /// (chunks of 16 keys with none inside, most of them, cost a few vector instructions); nil
    /// when more keys are inside than its capacity (an unlucky sample).
    static func collect(_ bracket: Bracket, input: Int, rows: ModuleRows) throws -> (above: Int, inside: [UInt32])? {
        var above = 0, stored = 0
        var inside = [UInt32](repeating: 0, count: max(1, bracket.capacity))
        try inside.withUnsafeMutableBufferPointer { list in
            guard let listBase = list.baseAddress else { return }
            try rows.forEachBlock(ofInput: input) { _, block in
                guard let base = block.baseAddress else { return }
                above += seedlora_bracket_keys(base, block.count, bracket.low, bracket.high, listBase, bracket.capacity, &stored)
            }
        }
        guard stored <= bracket.capacity else { return nil }
        inside.removeLast(inside.count - stored)
        return (above, inside)
    }

    /// `resolve` on collected keys.
    private static func resolve(rank: Int, _ collected: (above: Int, inside: [UInt32])) -> RankBoundary<UInt32>? {
        collected.inside.withUnsafeBufferPointer { resolve(rank: rank, above: collected.above, inside: $0) }
    }

    /// Magnitude keys `low ... high` that hold a boundary (with near certainty when sampled,
    /// surely when a histogram bucket), and how many keys may fall inside: twice the sample's
    /// share, or the bucket's exact size.
    struct Bracket: Sendable {
        let low: UInt32
        let high: UInt32
        let capacity: Int
    }

    /// The bracket of descending rank `rank` from `sampleSize` entries at random positions of
    /// input `input` (4 binomial standard deviations of the sample's rank either side, plus 16:
    /// a miss, about 1 in 16,000, costs the histogram passes), or nil when the module is too
    /// small to sample.
    static func sampledBracket(rank: Int, input: Int, rows: ModuleRows) -> Bracket? {
        let n = rows.count, s = sampleSize
        guard n >= s * 16, rows.cols > 0, rank > 0, rank < n else { return nil }
        let rng = CounterRNG(key: (0x5EED_B10C, UInt32(truncatingIfNeeded: input)))
        var sample = [UInt32](repeating: 0, count: s)
        let rowCount = UInt64(rows.rows), colCount = UInt64(rows.cols)
        for j in 0..<s {
            let words = rng.block(UInt64(j))
            let row = Int((UInt64(words.0) &* rowCount) >> 32), col = Int((UInt64(words.1) &* colCount) >> 32)
            sample[j] = RankSelection.magnitudeKey(rows.entry(input: input, row: row, col: col))
        }
        let q = Double(rank) / Double(n), center = q * Double(s)
        let margin = 4 * (Double(s) * q * (1 - q)).squareRoot() + 16
        let (upper, lower) = sample.withUnsafeBufferPointer { keys in
            (RankSelection.boundary(rank: Int((center - margin).rounded(.down)), keys: StoredKeys(keys: keys)),
             RankSelection.boundary(rank: Int((center + margin).rounded(.up)), keys: StoredKeys(keys: keys)))
        }
        // Keys above `high` are counted; keys in `low ... high` are gathered.
        let high: UInt32, low: UInt32
        switch upper {
        case .nothing: high = UInt32.max
        case let .threshold(key, _): high = key
        case .everything: return nil
        }
        switch lower {
        case .everything, .nothing: low = 0
        case let .threshold(key, _): low = key
        }
        guard low <= high else { return nil }
        // Twice the share of the sample inside the bracket, and some: the pass does not grow it.
        return Bracket(low: low, high: high, capacity: Int(Double(n) * 4 * margin / Double(s)) + 4096)
    }

    /// The exact boundary of descending rank `rank`, from the count of keys above a bracket and
    /// the keys inside it; nil when the boundary is not inside (the sample was unlucky).
    static func resolve(rank: Int, above: Int, inside: UnsafeBufferPointer<UInt32>) -> RankBoundary<UInt32>? {
        guard rank > above, rank - above <= inside.count else { return nil }
        switch RankSelection.boundary(rank: rank - above, keys: StoredKeys(keys: inside)) {
        case let .threshold(key, equalKept):
            return .threshold(key: key, equalKept: equalKept)
        case .everything:
            let smallest = inside.min() ?? 0
            return .threshold(key: smallest, equalKept: inside.reduce(0) { $0 + ($1 == smallest ? 1 : 0) })
        case .nothing:
            return nil
        }
    }

    /// Pass 1: how many keys have each value of the top `highBits` bits. Two interleaved 32-bit
    /// histograms (consecutive equal buckets do not wait on each other's stores), added into
    /// the total before they could overflow.
    private static func countHighBits(input: Int, rows: ModuleRows) throws -> [Int] {
        let size = 1 << highBits, shift = UInt32(lowBits)
        var total = [Int](repeating: 0, count: size)
        var even = [UInt32](repeating: 0, count: size), odd = even
        var pendingCount = 0
        try even.withUnsafeMutableBufferPointer { e in
            try odd.withUnsafeMutableBufferPointer { o in
                try rows.forEachBlock(ofInput: input) { _, block in
                    let count = block.count
                    var i = 0
                    while i + 1 < count {
                        e[Int(RankSelection.magnitudeKey(block[i]) &>> shift)] &+= 1
                        o[Int(RankSelection.magnitudeKey(block[i + 1]) &>> shift)] &+= 1
                        i += 2
                    }
                    if i < count { e[Int(RankSelection.magnitudeKey(block[i]) &>> shift)] &+= 1 }
                    pendingCount += count
                    if pendingCount >= 1 << 31 {
                        for d in 0..<size { total[d] += Int(e[d]) + Int(o[d]); e[d] = 0; o[d] = 0 }
                        pendingCount = 0
                    }
                }
            }
        }
        for d in 0..<size { total[d] += Int(even[d]) + Int(odd[d]) }
        return total
    }
}
