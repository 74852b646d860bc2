import Ops

/// DELLA's per-entry keep probabilities (MagPrune, Deep et al. 2024, arXiv:2406.11617, as
/// mergekit's `della_magprune` computes them).
///
/// Per row of the delta as stored (out x in): sort the row by `|d|` ascending, ties broken by the
/// lower column, and give the entry at sorted position `t = 0 ..< cols` the probability
///
///     p_t = (density - epsilon) + 2 epsilon * t / (cols - 1)
///
/// so the smallest magnitude gets `density - epsilon`, the largest `density + epsilon`, and a row
/// keeps `density * cols` entries in expectation. A single-column row gets `density`.
struct DellaProbabilities: Sendable, Equatable {
    let density: Double
    let epsilon: Double

    /// The keep probability of every entry of one row. `sortKeys` is scratch of `row.count`
    /// entries, `sort` the radix sort's.
    func row(_ row: UnsafeBufferPointer<Float>, into probabilities: UnsafeMutableBufferPointer<Double>,
             sortKeys: UnsafeMutableBufferPointer<UInt64>, sort: RadixSort.Buffers) {
        let cols = row.count
        guard probabilities.count >= cols, sortKeys.count >= cols else { return }
        guard cols > 1 else {
            if cols == 1 { probabilities[0] = density }
            return
        }
        // Magnitude key in the high half, column in the low half; a stable sort by the high half
        // orders by |d| and then by column (a row has far fewer than 2^32 columns).
        for c in 0..<cols {
            sortKeys[c] = UInt64(RankSelection.magnitudeKey(row[c])) << 32 | UInt64(truncatingIfNeeded: c)
        }
        RadixSort.sortByHighHalf(sortKeys, buffers: sort)
        let low = density - epsilon, span = 2 * epsilon, last = Double(cols - 1)
        for t in 0..<cols {
            let c = Int(truncatingIfNeeded: sortKeys[t] & 0xFFFF_FFFF)
            probabilities[c] = low + (Double(t) / last) * span
        }
    }

    /// Every entry's keep probability for a rows x cols delta (for tests and reports).
    func all(_ delta: Tensor) -> [Double] {
        let rows = delta.rows, cols = delta.cols
        var result = [Double](repeating: 0, count: delta.count)
        var scratch = RowScratch()
        delta.data.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    let range = (r * cols)..<((r + 1) * cols)
                    scratch.withBuffers(cols) { keys, sort, _, _ in
                        row(UnsafeBufferPointer(rebasing: source[range]),
                            into: UnsafeMutableBufferPointer(rebasing: out[range]), sortKeys: keys, sort: sort)
                    }
                }
            }
        }
        return result
    }
}

extension CounterRNG {
    /// The 32-bit words at flat positions `start ..< start + words.count`: the word at position
    /// `j` is lane `j % 4` of Philox block `j / 4`, the word `uniform(j)` scales to [0, 1) (one
    /// block per four positions).
    ///
    /// Masks keep entry `j` with probability `p` when `uniform(j) < p`, tested exactly as
    /// `Double(word) < p * 2^32`.
    func words(from start: Int, into words: UnsafeMutableBufferPointer<UInt32>) {
        var offset = 0
        var position = max(0, start)
        while offset < words.count {
            let b = block(UInt64(position >> 2))
            var lane = position & 3
            while lane < 4 && offset < words.count {
                switch lane {
                case 0: words[offset] = b.0
                case 1: words[offset] = b.1
                case 2: words[offset] = b.2
                default: words[offset] = b.3
                }
                lane += 1
                offset += 1
                position += 1
            }
        }
    }
}
