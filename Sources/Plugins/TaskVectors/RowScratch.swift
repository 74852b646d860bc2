/// Per-row scratch reused across rows and inputs (magnitude keys and marks; DELLA's sort keys,
/// radix-sort buffers and keep probabilities).
struct RowScratch {
    private var magnitudes: [UInt32] = []
    private var words: [UInt32] = []
    private var marks: [UInt8] = []
    private var keys: [UInt64] = []
    private var spare: [UInt64] = []
    private var counts = [Int](repeating: 0, count: RadixSort.buckets)
    private var probabilities: [Double] = []

    mutating func withWords<R>(_ cols: Int, _ body: (UnsafeMutableBufferPointer<UInt32>) -> R) -> R {
        if words.count < cols { words = [UInt32](repeating: 0, count: cols) }
        return words.withUnsafeMutableBufferPointer { body(UnsafeMutableBufferPointer(rebasing: $0[0..<cols])) }
    }

    mutating func withRankBuffers<R>(_ cols: Int, _ body: (UnsafeMutableBufferPointer<UInt32>,
                                                           UnsafeMutableBufferPointer<UInt8>) -> R) -> R {
        if magnitudes.count < cols {
            magnitudes = [UInt32](repeating: 0, count: cols)
            marks = [UInt8](repeating: 0, count: cols)
        }
        return magnitudes.withUnsafeMutableBufferPointer { k in
            marks.withUnsafeMutableBufferPointer { m in
                body(UnsafeMutableBufferPointer(rebasing: k[0..<cols]), UnsafeMutableBufferPointer(rebasing: m[0..<cols]))
            }
        }
    }

    mutating func withBuffers<R>(_ cols: Int, _ body: (UnsafeMutableBufferPointer<UInt64>, RadixSort.Buffers,
                                                       UnsafeMutableBufferPointer<Double>,
                                                       UnsafeMutableBufferPointer<UInt32>) -> R) -> R {
        if keys.count < cols {
            keys = [UInt64](repeating: 0, count: cols)
            spare = [UInt64](repeating: 0, count: cols)
            probabilities = [Double](repeating: 0, count: cols)
        }
        if words.count < cols { words = [UInt32](repeating: 0, count: cols) }
        return keys.withUnsafeMutableBufferPointer { k in
            spare.withUnsafeMutableBufferPointer { s in
                counts.withUnsafeMutableBufferPointer { c in
                    probabilities.withUnsafeMutableBufferPointer { p in
                        words.withUnsafeMutableBufferPointer { w in
                            body(UnsafeMutableBufferPointer(rebasing: k[0..<cols]), RadixSort.Buffers(spare: s, counts: c),
                                 UnsafeMutableBufferPointer(rebasing: p[0..<cols]), UnsafeMutableBufferPointer(rebasing: w[0..<cols]))
                        }
                    }
                }
            }
        }
    }
}
