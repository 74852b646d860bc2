internal import CKernels
import Ops

/// TIES and `magnitude_prune` on large modules in a single pass over the densified blocks, the
/// magnitude thresholds being found during that pass rather than before it.
///
/// A sample of each input gives a bracket of keys that holds its threshold with near certainty
/// (`BlockRankSelection.sampledBracket`). The pass then trims every entry whose magnitude is
/// above the bracket (kept) or below it (dropped), merges the rows, and meanwhile counts the
/// keys above each bracket and gathers the keys inside it. Entries with a magnitude inside any
/// input's bracket (a few percent) are set aside with their values. After the pass the exact
/// thresholds follow from the counts and gathered keys (`BlockRankSelection.resolve`); the
/// set-aside entries are then trimmed exactly, in index order (so equal magnitudes at the
/// threshold are kept lowest index first, as `RankCursor` does), merged, and written over
/// their provisional values. The result is the two-pass merge's, to the bit.
///
/// nil when it does not apply (another sparsification, an L1 rescale, a small module) or when
/// a sample was unlucky (a threshold outside its bracket, or more keys inside than room for
/// them): the caller then runs the threshold passes first, as for any other method.
struct OnePassTrim {
    let merge: TaskVectorMerge

    func run(_ module: ModuleRows, index: Int, shape: [Int]) throws -> Tensor? {
        let inputs = module.inputCount, rows = module.rows, cols = module.cols, n = module.count
        guard inputs > 0, merge.rescale != .matchL1 else { return nil }
        var ranks: [Int] = []
        for i in 0..<inputs {
            guard case let .magnitude(density) = merge.sparsifications[min(i, merge.sparsifications.count - 1)],
                  density < 1 else { return nil }
            ranks.append(InputSparsifier.count(density, of: n))
        }
        var brackets: [BlockRankSelection.Bracket] = []
        for i in 0..<inputs {
            guard let bracket = BlockRankSelection.sampledBracket(rank: ranks[i], input: i, rows: module) else { return nil }
            brackets.append(bracket)
        }
        let scratch = OnePassScratch(brackets: brackets, inputs: inputs, cols: cols)
        var combineScratch = CombineScratch()
        let combination = merge.combination
        var blocks = [UnsafeBufferPointer<Float>](repeating: UnsafeBufferPointer(start: nil, count: 0), count: inputs)
        var rowPointers = [UnsafePointer<Float>?](repeating: nil, count: inputs)
        var out = try [Float](unsafeUninitializedCapacity: n) { merged, initialized in
            var start = 0
            while start < rows {
                let end = min(rows, start + module.blockRows)
                for i in 0..<inputs { blocks[i] = try module.block(start..<end, ofInput: i) }
                for r in start..<end {
                    for i in 0..<inputs { rowPointers[i] = blocks[i].baseAddress.map { UnsafePointer($0 + (r - start) * cols) } }
                    rowPointers.withUnsafeBufferPointer { pointers in
                        seedlora_trim_rows_bracketed(pointers.baseAddress, inputs, cols, Int64(r * cols), scratch.state,
                                                     scratch.trimmed, scratch.flags)
                    }
                    combination.combineRow(UnsafeBufferPointer(start: scratch.trimmed, count: inputs * cols),
                                           into: UnsafeMutableBufferPointer(rebasing: merged[(r * cols)..<((r + 1) * cols)]),
                                           scratch: &combineScratch)
                }
                start = end
                initialized = start * cols
            }
        }
        guard let boundaries = scratch.boundaries(ranks: ranks) else { return nil }
        try scratch.settleDeferred(boundaries: boundaries, combination: combination, into: &out)
        return Tensor(uncheckedShape: shape, data: out)
    }
}

/// The buffers of one `OnePassTrim` run: the C kernel's state and lists, freed with it.
private final class OnePassScratch {
    let inputs: Int
    let insideCapacity: Int
    let deferredCapacity: Int
    let low: UnsafeMutablePointer<UInt32>
    let high: UnsafeMutablePointer<UInt32>
    let above: UnsafeMutablePointer<Int>
    let insideStored: UnsafeMutablePointer<Int>
    let insideLists: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    let deferredIndex: UnsafeMutablePointer<Int64>
    let deferredValues: UnsafeMutablePointer<Float>
    let trimmed: UnsafeMutablePointer<Float>
    let flags: UnsafeMutablePointer<UInt8>
    let state: UnsafeMutablePointer<seedlora_bracket_state>

    init(brackets: [BlockRankSelection.Bracket], inputs: Int, cols: Int) {
        self.inputs = inputs
        insideCapacity = brackets.map(\.capacity).max() ?? 0
        // An entry is set aside only when some input's key is inside its bracket.
        deferredCapacity = brackets.reduce(0) { $0 + $1.capacity }
        low = .allocate(capacity: inputs)
        high = .allocate(capacity: inputs)
        above = .allocate(capacity: inputs)
        insideStored = .allocate(capacity: inputs)
        insideLists = .allocate(capacity: inputs)
        for (i, bracket) in brackets.enumerated() {
            low[i] = bracket.low
            high[i] = bracket.high
            above[i] = 0
            insideStored[i] = 0
            insideLists[i] = .allocate(capacity: max(1, insideCapacity))
        }
        deferredIndex = .allocate(capacity: max(1, deferredCapacity))
        deferredValues = .allocate(capacity: max(1, deferredCapacity * inputs))
        trimmed = .allocate(capacity: max(1, inputs * cols))
        flags = .allocate(capacity: max(1, cols))
        state = .allocate(capacity: 1)
        state.initialize(to: seedlora_bracket_state(
            low: low, high: high, above: above, inside: UnsafePointer(insideLists), inside_capacity: insideCapacity,
            inside_stored: insideStored, deferred_index: deferredIndex, deferred_values: deferredValues,
            deferred_capacity: deferredCapacity, deferred_stored: 0))
    }

    deinit {
        for i in 0..<inputs { insideLists[i]?.deallocate() }
        for pointer in [UnsafeMutableRawPointer(low), UnsafeMutableRawPointer(high), UnsafeMutableRawPointer(above),
                        UnsafeMutableRawPointer(insideStored), UnsafeMutableRawPointer(insideLists),
                        UnsafeMutableRawPointer(deferredIndex), UnsafeMutableRawPointer(deferredValues),
                        UnsafeMutableRawPointer(trimmed), UnsafeMutableRawPointer(flags), UnsafeMutableRawPointer(state)] {
            pointer.deallocate()
        }
    }

    /// Each input's exact boundary, or nil when a list overflowed or a threshold fell outside
    /// its bracket.
    func boundaries(ranks: [Int]) -> [RankBoundary<UInt32>]? {
        guard state.pointee.deferred_stored <= deferredCapacity else { return nil }
        var found: [RankBoundary<UInt32>] = []
        for i in 0..<inputs {
            guard insideStored[i] <= insideCapacity,
                  let boundary = BlockRankSelection.resolve(rank: ranks[i], above: above[i],
                                                            inside: UnsafeBufferPointer(start: insideLists[i].map { UnsafePointer($0) }, count: insideStored[i]))
            else { return nil }
            found.append(boundary)
        }
        return found
    }

    /// Trims the set-aside entries exactly, merges them and writes them into `out`.
    func settleDeferred(boundaries: [RankBoundary<UInt32>], combination: Combination, into out: inout [Float]) throws {
        let count = state.pointee.deferred_stored
        guard count > 0 else { return }
        var exact = [Float](repeating: 0, count: inputs * count)
        exact.withUnsafeMutableBufferPointer { rows in
            for i in 0..<inputs {
                // `RankCursor.isBefore`, unrolled for a threshold (the only boundary a bracket gives).
                guard case let .threshold(threshold, equalKept) = boundaries[i] else {
                    var cursor = RankCursor(boundaries[i])
                    for j in 0..<count {
                        let value = deferredValues[j &* inputs &+ i]
                        rows[i &* count &+ j] = cursor.isBefore(RankSelection.magnitudeKey(value)) ? value : 0
                    }
                    continue
                }
                var equalSeen = 0
                for j in 0..<count {
                    let value = deferredValues[j &* inputs &+ i]
                    let key = RankSelection.magnitudeKey(value)
                    var kept = key > threshold
                    if key == threshold {
                        equalSeen &+= 1
                        kept = equalSeen <= equalKept
                    }
                    rows[i &* count &+ j] = kept ? value : 0
                }
            }
        }
        var merged = [Float](repeating: 0, count: count)
        var combineScratch = CombineScratch()
        exact.withUnsafeBufferPointer { rows in
            merged.withUnsafeMutableBufferPointer { target in
                combination.combineRow(rows, into: target, scratch: &combineScratch)
            }
        }
        let total = out.count
        try out.withUnsafeMutableBufferPointer { target in
            for j in 0..<count {
                let index = Int(deferredIndex[j])
                guard index >= 0, index < total else {
                    throw SeedloraError("internal: a set-aside entry \(index) is outside the module (\(total) entries)")
                }
                target[index] = merged[j]
            }
        }
    }
}
