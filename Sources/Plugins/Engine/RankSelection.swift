/// Selection of entries by their rank in descending order of a key, in O(n) time.
///
/// The order is total: a larger key ranks first and, among equal keys, the lower flat index ranks
/// first. So "the k largest" is always exactly k entries, chosen the same way on every run and
/// every machine (torch's `topk`/`argsort`, used by PEFT and mergekit, leave the choice among equal
/// magnitudes unspecified).
///
/// The threshold is found by radix selection: a histogram of the top 11 bits of every key finds
/// the bucket holding the k-th largest, then the next 11 bits within that bucket, and so on: 3
/// streaming passes for 32-bit keys, with no scratch copy of the data and no worst case (a
/// quickselect needs an n-entry scratch buffer and mispredicts half its comparisons).
///
/// Keys are unsigned integers. Magnitudes of floats use `magnitudeKey`: the bit pattern of `|x|`,
/// which orders like the value for non-negative floats and puts NaN above infinity, so non-finite
/// inputs still give a well-defined order.
enum RankSelection {
    /// `bitPattern(|x|)`: orders like `|x|`; -0 equals +0; NaN ranks above +inf.
    @inline(__always)
    static func magnitudeKey(_ x: Float) -> UInt32 { x.bitPattern & 0x7FFF_FFFF }

    static let digitBits = 11

    /// The boundary in front of descending rank `rank`: the entries ranked before it are exactly
    /// the `rank` largest.
    static func boundary<S: RankKeySource>(rank: Int, keys: S) -> RankBoundary<S.Key> {
        let n = keys.count
        if rank <= 0 { return .nothing }
        if rank >= n { return .everything }
        let width = S.Key.bitWidth
        var histogram = [Int](repeating: 0, count: 1 << digitBits)
        var prefix: S.Key = 0   // the value of the `known` high bits of the key sought
        var known = 0
        var remaining = rank    // its descending rank among the keys that share `prefix`
        histogram.withUnsafeMutableBufferPointer { h in
            while known < width {
                let bits = min(digitBits, width - known)
                let shift = width - known - bits
                let mask = (1 << bits) - 1
                for d in 0...mask { h[d] = 0 }
                if known == 0 {
                    for i in 0..<n { h[Int(truncatingIfNeeded: keys.key(i) &>> shift) & mask] += 1 }
                } else {
                    let high = width - known
                    for i in 0..<n {
                        let key = keys.key(i)
                        if key &>> high == prefix { h[Int(truncatingIfNeeded: key &>> shift) & mask] += 1 }
                    }
                }
                // Walk the digits from the largest down to the bucket holding the rank.
                var digit = mask
                while digit > 0 && remaining > h[digit] {
                    remaining -= h[digit]
                    digit -= 1
                }
                prefix = (prefix &<< bits) | S.Key(truncatingIfNeeded: digit)
                known += bits
            }
        }
        // `remaining` is now the rank among the keys equal to `prefix`: that many of them are kept.
        return .threshold(key: prefix, equalKept: remaining)
    }
}

/// The keys `RankSelection` orders: unsigned integers.
typealias RankKey = FixedWidthInteger & UnsignedInteger & Sendable

/// Random access to the key of every entry.
protocol RankKeySource {
    associatedtype Key: RankKey
    var count: Int { get }
    func key(_ index: Int) -> Key
}

/// The magnitude keys of a float buffer, computed on the fly.
struct MagnitudeKeys: RankKeySource {
    let values: UnsafeBufferPointer<Float>
    var count: Int { values.count }
    @inline(__always) func key(_ index: Int) -> UInt32 { RankSelection.magnitudeKey(values[index]) }
}

/// Keys stored in a buffer.
struct StoredKeys<Key: RankKey>: RankKeySource {
    let keys: UnsafeBufferPointer<Key>
    var count: Int { keys.count }
    @inline(__always) func key(_ index: Int) -> Key { keys[index] }
}

/// Where the entries ranked before a given descending rank end.
enum RankBoundary<K: RankKey>: Sendable, Equatable {
    /// Rank 0: no entry comes before.
    case nothing
    /// Rank >= count: every entry comes before.
    case everything
    /// Entries with a larger key come before, and the first `equalKept` entries (in index order)
    /// whose key equals `key`.
    case threshold(key: K, equalKept: Int)
}

/// Walks the entries in index order and tells which come before a boundary.
struct RankCursor<K: RankKey>: Sendable {
    let boundary: RankBoundary<K>
    private var equalSeen = 0

    init(_ boundary: RankBoundary<K>) {
        self.boundary = boundary
    }

    /// The threshold key, if the boundary falls between two entries of equal key.
    var thresholdKey: K? {
        if case let .threshold(key, _) = boundary { return key }
        return nil
    }

    /// Whether an entry whose key differs from `thresholdKey` comes before the boundary (no
    /// counting needed, so no order constraint).
    @inline(__always)
    func isBefore(untied key: K) -> Bool {
        switch boundary {
        case .nothing: return false
        case .everything: return true
        case let .threshold(value, _): return key > value
        }
    }

    /// Whether the next entry (in index order) comes before the boundary. Call it once per entry,
    /// in order: ties at the boundary are resolved by counting.
    @inline(__always)
    mutating func isBefore(_ key: K) -> Bool {
        switch boundary {
        case .nothing:
            return false
        case .everything:
            return true
        case let .threshold(value, equalKept):
            if key > value { return true }
            guard key == value else { return false }
            equalSeen += 1
            return equalSeen <= equalKept
        }
    }
}

/// The entries whose descending rank lies in `lower ..< upper`: `magnitude_prune`/TIES keep ranks
/// `0 ..< k`; breadcrumbs keeps `nTop ..< nTop + k`.
struct RankRange<K: RankKey>: Sendable {
    private var lower: RankCursor<K>
    private var upper: RankCursor<K>

    init<S: RankKeySource>(ranks: Range<Int>, keys: S) where S.Key == K {
        lower = RankCursor(RankSelection.boundary(rank: ranks.lowerBound, keys: keys))
        upper = RankCursor(RankSelection.boundary(rank: ranks.upperBound, keys: keys))
    }

    /// The range between two boundaries found elsewhere (`lower` in front of the lower rank).
    init(lower: RankBoundary<K>, upper: RankBoundary<K>) {
        self.lower = RankCursor(lower)
        self.upper = RankCursor(upper)
    }

    /// Whether the next entry (in index order) is in the range. Call once per entry, in order.
    @inline(__always)
    mutating func contains(_ key: K) -> Bool {
        let beforeUpper = upper.isBefore(key)
        let beforeLower = lower.isBefore(key)
        return beforeUpper && !beforeLower
    }

    /// Marks which of `keys` (the next entries, in index order) are in the range, as 1 or 0 in
    /// `marks`, and returns how many are. Entries whose key equals a threshold are resolved in
    /// order by counting; a run without such keys (nearly always) takes a branch-free loop.
    mutating func mark(_ keys: UnsafeBufferPointer<K>, into marks: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let n = keys.count
        guard marks.count >= n else { return 0 }
        var tied: UInt8 = 0
        if let t = upper.thresholdKey { for key in keys { tied |= key == t ? 1 : 0 } }
        if let t = lower.thresholdKey { for key in keys { tied |= key == t ? 1 : 0 } }
        if tied != 0 {
            var count = 0
            for i in 0..<n {
                let inside = contains(keys[i])
                marks[i] = inside ? 1 : 0
                count += inside ? 1 : 0
            }
            return count
        }
        // Untied keys: inside exactly when upper < key <= lower, read off the two boundaries.
        if case .nothing = upper.boundary { return zero(marks) }
        if case .everything = lower.boundary { return zero(marks) }
        let high = lower.thresholdKey ?? K.max
        if let low = upper.thresholdKey {
            for i in 0..<n {
                let key = keys[i]
                marks[i] = (key > low ? 1 : 0) & (key <= high ? 1 : 0)
            }
        } else {
            for i in 0..<n { marks[i] = keys[i] <= high ? 1 : 0 }
        }
        var count = 0
        for m in marks { count &+= Int(m) }
        return count
    }

    private func zero(_ marks: UnsafeMutableBufferPointer<UInt8>) -> Int {
        for i in marks.indices { marks[i] = 0 }
        return 0
    }
}
