internal import CKernels
import Ops

/// Exact rank boundaries of one input's magnitudes, read a block of rows at a time: two passes
/// with nothing stored but a histogram and the entries of one bucket.
///
/// Pass 1 counts the magnitude keys (`RankSelection.magnitudeKey`, 31 bits) by their top 12 bits
/// (8 exponent bits and 4 mantissa bits: 16 buckets per octave) in a 16 KiB histogram that stays
/// in L1. Walking it from the top finds the bucket holding the boundary and the boundary's rank
/// inside it. Pass 2 gathers the low 19 bits of the keys in that bucket (a few percent of the
/// entries) and `RankSelection` finishes on them. The boundary is the same value, with the same
/// count of kept equal keys, as `RankSelection.boundary` over all the keys (tested): the
/// selection, and the merge, do not depend on how the keys were read.
///
/// A single boundary in a large module usually takes one pass (`bracketed`, from a sample).
/// Against the three 11-bit passes of `RankSelection` over a materialised module, this reads
/// each block twice instead of three times, and the blocks come from cache.
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
        if pending.isEmpty { return found }
        if pending.count == 1, let (slot, rank) = pending.first,
           let boundary = try bracketed(rank: rank, input: input, rows: rows) {
            found[slot] = boundary
            return found
        }
        let histogram = try countHighBits(input: input, rows: rows)
        // The bucket of each pending boundary and its rank among that bucket's keys.
        var buckets: [(slot: Int, digit: Int, remaining: Int)] = []
        for (slot, rank) in pending {
            var digit = histogram.count - 1, remaining = rank
            while digit > 0 && remaining > histogram[digit] {
                remaining -= histogram[digit]
                digit -= 1
            }
            guard remaining >= 1, remaining <= histogram[digit] else {
                throw SeedloraError("internal: rank \(rank) of \(n) magnitudes fell outside the histogram")
            }
            buckets.append((slot, digit, remaining))
        }
        let gathered = try gatherLowBits(digits: buckets.map(\.digit), sizes: buckets.map { histogram[$0.digit] },
                                         input: input, rows: rows)
        for (j, bucket) in buckets.enumerated() {
            let high = UInt32(bucket.digit) << UInt32(lowBits)
            let inBucket = gathered[j]
            let boundary = inBucket.withUnsafeBufferPointer {
                RankSelection.boundary(rank: bucket.remaining, keys: StoredKeys(keys: $0))
            }
            switch boundary {
            case let .threshold(key, equalKept):
                found[bucket.slot] = .threshold(key: high | key, equalKept: equalKept)
            case .everything:
                // Every key of the bucket is kept: the boundary is at its smallest key.
                let low = inBucket.min() ?? 0
                found[bucket.slot] = .threshold(key: high | low, equalKept: inBucket.reduce(0) { $0 + ($1 == low ? 1 : 0) })
            case .nothing:
                throw SeedloraError("internal: an empty bucket held rank \(bucket.remaining)")
            }
        }
        return found
    }

    /// Entries sampled to bracket a boundary; modules under `sampleSize * 16` entries take
    /// the histogram passes instead.
    static let sampleSize = 1 << 16

    /// One pass instead of two, when a sample brackets the boundary: `sampleSize` entries at
    /// random positions give two keys that hold the boundary between them with near certainty
    /// (4 binomial standard deviations of the sample's rank, plus 16: a miss, about 1 in 16,000, costs one extra pass). The pass counts the keys
    /// above the bracket and gathers the ones inside it (about 1.3 % of them at density 0.2;
    /// chunks of 16 keys with none inside, most of them, cost a few vector instructions). The
    /// boundary is then exact: found among the gathered keys at its rank below the counted ones.
    /// nil when the bracket missed, which only costs the histogram passes after it.
    private static func bracketed(rank: Int, input: Int, rows: ModuleRows) throws -> RankBoundary<UInt32>? {
        guard let bracket = sampledBracket(rank: rank, input: input, rows: rows) else { return nil }
        var above = 0
        var inside = [UInt32](repeating: 0, count: bracket.capacity)
        var stored = 0
        try inside.withUnsafeMutableBufferPointer { list in
            guard let listBase = list.baseAddress else { return }
            try rows.forEachBlock(ofInput: input) { _, block in
                guard let base = block.baseAddress else { return }
                above += seedlora_bracket_keys(base, block.count, bracket.low, bracket.high, listBase, bracket.capacity, &stored)
            }
        }
        // More keys inside than the bracket should hold: the sample was unlucky; start over.
        guard stored <= bracket.capacity else { return nil }
        return inside.withUnsafeBufferPointer { resolve(rank: rank, above: above, inside: UnsafeBufferPointer(rebasing: $0[0..<stored])) }
    }

    /// Magnitude keys `low ... high` that hold a boundary with near certainty, and how many keys
    /// of the module may fall inside before the sample counts as unlucky.
    struct Bracket: Sendable {
        let low: UInt32
        let high: UInt32
        let capacity: Int
    }

    /// The bracket of descending rank `rank` from `sampleSize` entries at random positions of
    /// input `input`, or nil when the module is too small to sample.
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

    /// Pass 2: the low bits of the keys whose top bits equal each of `digits` (in index order).
    /// The histogram gave each bucket's exact size, so the lists are allocated once and filled
    /// without a branch: every key is stored at the list's end, and the end advances only when
    /// the key belongs there (one slot of slack for the last store).
    private static func gatherLowBits(digits: [Int], sizes: [Int], input: Int, rows: ModuleRows) throws -> [[UInt32]] {
        let shift = UInt32(lowBits), lowMask: UInt32 = (1 << UInt32(lowBits)) - 1
        // Boundaries that share a bucket share its keys; at most two distinct buckets (breadcrumbs).
        var distinct: [Int] = [], capacity: [Int] = []
        for (d, size) in zip(digits, sizes) where !distinct.contains(d) {
            distinct.append(d)
            capacity.append(size)
        }
        guard !distinct.isEmpty, distinct.count <= 2 else {
            throw SeedloraError("internal: \(distinct.count) threshold buckets asked of one pass (at most 2)")
        }
        var lists = capacity.map { [UInt32](repeating: 0, count: $0 + 1) }
        var filled = [Int](repeating: 0, count: distinct.count)
        for (j, digit) in distinct.enumerated() {
            let wanted = UInt32(digit), limit = capacity[j]
            var end = 0
            try lists[j].withUnsafeMutableBufferPointer { list in
                try rows.forEachBlock(ofInput: input) { _, block in
                    guard end <= limit else { return }
                    for x in block {
                        let key = RankSelection.magnitudeKey(x)
                        list[end] = key & lowMask
                        end &+= (key &>> shift) == wanted ? 1 : 0
                        if end > limit { return }
                    }
                }
            }
            guard end == limit else {
                throw SeedloraError("internal: bucket \(digit) held \(end) keys on the second pass, \(limit) on the first")
            }
            filled[j] = end
        }
        return digits.map { d in
            let j = distinct.firstIndex(of: d) ?? 0
            return Array(lists[j].prefix(filled[j]))
        }
    }
}
