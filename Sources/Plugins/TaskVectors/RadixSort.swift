/// A stable LSD radix sort of packed `key << 32 | payload` values by their high 32 bits, in
/// O(n) per call: used to rank the entries of a row by magnitude (DELLA), where a comparison sort
/// of every row costs n log(cols) and dominated the merge.
enum RadixSort {
    static let digitBits = 11
    static let buckets = 1 << digitBits

    /// Scratch for `sortByHighHalf`: a second buffer of the values' size and `buckets` counters.
    struct Buffers {
        let spare: UnsafeMutableBufferPointer<UInt64>
        let counts: UnsafeMutableBufferPointer<Int>
    }

    /// Sorts `values` by their high 32 bits; values with equal high halves keep their order.
    /// `buffers.spare` must hold `values.count` entries and `buffers.counts` `buckets`.
    static func sortByHighHalf(_ values: UnsafeMutableBufferPointer<UInt64>, buffers: Buffers) {
        let n = values.count
        guard n > 1, buffers.spare.count >= n, buffers.counts.count >= buckets else { return }
        var source = values, target = UnsafeMutableBufferPointer(rebasing: buffers.spare[0..<n])
        var inSpare = false
        let counts = buffers.counts
        for shift in stride(from: 32, to: 64, by: digitBits) {
            for d in 0..<buckets { counts[d] = 0 }
            for v in source { counts[Int(truncatingIfNeeded: v &>> UInt64(shift)) & (buckets - 1)] += 1 }
            // A digit every value shares does not reorder anything.
            if counts[Int(truncatingIfNeeded: source[0] &>> UInt64(shift)) & (buckets - 1)] == n { continue }
            var offset = 0
            for d in 0..<buckets {
                let c = counts[d]
                counts[d] = offset
                offset += c
            }
            for v in source {
                let d = Int(truncatingIfNeeded: v &>> UInt64(shift)) & (buckets - 1)
                target[counts[d]] = v
                counts[d] += 1
            }
            swap(&source, &target)
            inSpare.toggle()
        }
        if inSpare {
            for i in 0..<n { values[i] = source[i] }
        }
    }
}
