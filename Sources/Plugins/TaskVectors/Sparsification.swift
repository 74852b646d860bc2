import Ops

/// How each input's task vector `d` (its delta, n entries) is sparsified before the inputs are
/// combined: PEFT's `prune`, mergekit's `sparsify`.
///
/// A `density` of 1 or more keeps every entry (both peers do the same).
enum Sparsification: Sendable, Equatable {
    /// Keep every entry (task arithmetic).
    case none
    /// Keep the `k = int(density * n)` entries of largest `|d|` (the TIES trim; PEFT
    /// `magnitude_based_pruning`, mergekit `sparsify.magnitude`). `k = 0` keeps nothing (PEFT;
    /// mergekit refuses). Equal magnitudes at the threshold: the lower flat index is kept.
    case magnitude(density: Double)
    /// Model Breadcrumbs (mergekit `magnitude_outliers`): drop the `int(gamma * n)` largest `|d|`
    /// and keep the next `k = int(density * n)`; when `gamma + density` asks for more than `n`
    /// entries, fewer large ones are dropped so that exactly `k` are kept. Ties as `magnitude`.
    /// mergekit keeps nothing when `int(gamma * n)` is 0 (its slice `[n_bot:-0]` is empty); we
    /// keep the `k` largest then, the method's evident intent.
    case magnitudeOutliers(density: Double, gamma: Double)
    /// DARE: keep each entry with probability `density`, independently (a Bernoulli mask).
    case bernoulli(density: Double)
    /// DELLA's MagPrune: per row of the delta as stored (out x in), rank the entries by `|d|`
    /// ascending (ties: lower column first), t = 0 ..< cols, and keep entry t with probability
    /// `density - epsilon + 2 epsilon t / (cols - 1)` (`density` for a single column, where
    /// mergekit divides 0 by 0). A row keeps `density * cols` entries in expectation.
    /// `density <= 0` keeps nothing.
    case della(density: Double, epsilon: Double)

    /// Whether the mask is random (and how kept entries are rescaled depends on the convention).
    var isRandom: Bool {
        switch self {
        case .bernoulli, .della: return true
        case .none, .magnitude, .magnitudeOutliers: return false
        }
    }
}

/// How the kept entries of a random mask are rescaled.
enum Rescale: Sendable, Equatable {
    /// Kept entries as they are.
    case none
    /// Each kept entry divided by its keep probability, so `E[x] = d` entry by entry: the DARE
    /// and DELLA papers, and PEFT's `random_pruning(rescale=True)` (`x = d / density`).
    case inverseProbability
    /// The whole sparsified input multiplied by `||d||_1 / ||mask . d||_1`, so its L1 norm equals
    /// the input's (mergekit `rescaled_masked_tensor` with `RescaleNorm.l1`). mergekit skips the
    /// rescale when either norm is below an absolute 1e-7; we skip it only when one is 0 (an
    /// absolute cut-off depends on the units of the weights).
    case matchL1
}

/// One input's sparsification, resolved for one module (thresholds found, L1 factor known); it
/// produces the sparsified, rescaled input row by row, in order.
struct InputSparsifier {
    enum Rule {
        case keepAll
        case keepNone
        case ranks(RankRange<UInt32>)
        case bernoulli(CounterRNG, probability: Double)
        case della(CounterRNG, DellaProbabilities)
    }

    private(set) var rule: Rule
    private let inverseProbability: Bool
    /// The global factor of `Rescale.matchL1` (1 otherwise).
    private(set) var factor: Double = 1

    /// Prepares input `input` of `module`: finds its magnitude thresholds (two passes over its
    /// blocks, `BlockRankSelection`), or its L1 factor (one pass of the mask).
    init(_ sparsification: Sparsification, rescale: Rescale, input: Int, module: ModuleRows,
         rng: CounterRNG, scratch: inout RowScratch) throws {
        let n = module.count
        func keepTop(_ ranks: Range<Int>) throws -> Rule {
            let found = try BlockRankSelection.boundaries(ranks: [ranks.lowerBound, ranks.upperBound], input: input, rows: module)
            return .ranks(RankRange(lower: found[0], upper: found[1]))
        }
        switch sparsification {
        case .none:
            rule = .keepAll
        case let .magnitude(density):
            rule = density >= 1 ? .keepAll : try keepTop(0..<Self.count(density, of: n))
        case let .magnitudeOutliers(density, gamma):
            if density >= 1 {
                rule = .keepAll
            } else {
                let kept = Self.count(density, of: n)
                let top = min(Self.count(gamma, of: n), n - kept)
                rule = try keepTop(top..<(top + kept))
            }
        case let .bernoulli(density):
            rule = density >= 1 ? .keepAll : .bernoulli(rng, probability: max(0, density))
        case let .della(density, epsilon):
            if density >= 1 {
                rule = .keepAll
            } else if density <= 0 {
                rule = .keepNone
            } else {
                rule = .della(rng, DellaProbabilities(density: density, epsilon: epsilon))
            }
        }
        inverseProbability = rescale == .inverseProbability
        var keepsAll = false
        if case .keepAll = rule { keepsAll = true }
        if rescale == .matchL1 && !keepsAll {
            factor = try Self.l1Factor(self, input: input, module: module, scratch: &scratch)
        }
    }

    /// `int(fraction * n)` as Python computes it (the product in Float64, truncated).
    static func count(_ fraction: Double, of n: Int) -> Int {
        let x = (fraction * Double(n)).rounded(.towardZero)
        return x <= 0 ? 0 : min(n, Int(x))
    }

    /// `||d||_1 / ||mask . d||_1`, from one pass over a copy of the sparsifier (the masks are
    /// functions of position, so the real pass reproduces them exactly).
    private static func l1Factor(_ sparsifier: InputSparsifier, input: Int, module: ModuleRows,
                                 scratch: inout RowScratch) throws -> Double {
        var probe = sparsifier
        var before = 0.0, after = 0.0
        let cols = module.cols
        var row = [Float](repeating: 0, count: cols)
        try row.withUnsafeMutableBufferPointer { out in
            try module.forEachBlock(ofInput: input) { firstRow, block in
                for x in block { before += Double(abs(x)) }
                for r in 0..<(block.count / max(1, cols)) {
                    let slice = UnsafeBufferPointer(rebasing: block[(r * cols)..<((r + 1) * cols)])
                    _ = probe.fillRow(firstRow + r, source: slice, into: out, scratch: &scratch)
                    for x in out { after += Double(abs(x)) }
                }
            }
        }
        return before > 0 && after > 0 ? before / after : 1
    }

    /// Writes row `row` (whose entries are `source`) of the sparsified, rescaled input into `out`
    /// and returns how many entries were kept. Rows must be requested in order 0, 1, 2, ...
    mutating func fillRow(_ row: Int, source: UnsafeBufferPointer<Float>,
                          into out: UnsafeMutableBufferPointer<Float>, scratch: inout RowScratch) -> Int {
        let cols = source.count
        guard out.count >= cols else { return 0 }
        let scale = factor
        @inline(__always) func kept(_ x: Float) -> Float { scale == 1 ? x : Float(Double(x) * scale) }
        var count = 0
        switch rule {
        case .keepAll:
            for c in 0..<cols { out[c] = kept(source[c]) }
            count = cols
        case .keepNone:
            for c in 0..<cols { out[c] = 0 }
        case var .ranks(range):
            scratch.withRankBuffers(cols) { keys, marks in
                for c in 0..<cols { keys[c] = RankSelection.magnitudeKey(source[c]) }
                count = range.mark(UnsafeBufferPointer(keys), into: marks)
                if scale == 1 {
                    // Bit masks rather than a branch or a multiply (0 * inf would be NaN).
                    for c in 0..<cols {
                        out[c] = Float(bitPattern: source[c].bitPattern & (0 &- UInt32(marks[c])))
                    }
                } else {
                    for c in 0..<cols { out[c] = marks[c] != 0 ? kept(source[c]) : 0 }
                }
            }
            rule = .ranks(range)
        case let .bernoulli(rng, p):
            // uniform(j) < p, i.e. Double(word) < p * 2^32, i.e. word < ceil(p * 2^32).
            let threshold = UInt64((p * 4_294_967_296.0).rounded(.up))
            let inverse = inverseProbability
            scratch.withWords(cols) { words in
                rng.words(from: row * cols, into: words)
                for c in 0..<cols {
                    let keep = UInt64(words[c]) < threshold
                    let value = inverse ? Float(Double(source[c]) / p) : kept(source[c])
                    out[c] = Float(bitPattern: value.bitPattern & (keep ? ~0 : 0))
                    count &+= keep ? 1 : 0
                }
            }
        case let .della(rng, probabilities):
            let inverse = inverseProbability
            scratch.withBuffers(cols) { keys, sort, p, words in
                probabilities.row(source, into: p, sortKeys: keys, sort: sort)
                rng.words(from: row * cols, into: words)
                for c in 0..<cols {
                    let pc = p[c]
                    let keep = Double(words[c]) < pc * 4_294_967_296.0
                    let value = inverse ? Float(Double(source[c]) / pc) : kept(source[c])
                    out[c] = Float(bitPattern: value.bitPattern & (keep ? ~0 : 0))
                    count &+= keep ? 1 : 0
                }
            }
        }
        return count
    }
}
