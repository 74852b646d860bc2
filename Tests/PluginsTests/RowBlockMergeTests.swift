import Dispatch
import Ops
@testable import Plugins
import Testing
import TestSupport

/// Dense merges from blocks of rows densified on demand (`FactoredRows`), the threshold
/// selection that reads blocks (`BlockRankSelection`), and the one-pass trim (`OnePassTrim`):
/// each must give exactly what the whole-module computation gives.
struct RowBlockMergeTests {
    /// Three rank-`rank` factor pairs with small integer entries: every product is an exact
    /// integer in Float32 on any CPU and any BLAS kernel, and magnitudes repeat a lot, so the
    /// thresholds fall on long runs of equal magnitudes (the hard case for tie order).
    static func integerModule(rows: Int, cols: Int, rank: Int = 3, inputs: Int = 3, seed: UInt64 = 5) -> FactoredDenseModule {
        let factors = (0..<inputs).map { i -> LowRank in
            let rng = CounterRNG(seed: seed, module: 0, input: i)
            func draw(_ count: Int, offset: Int) -> [Float] {
                (0..<count).map { Float(Int(rng.uniform(offset + $0) * 7) - 3) }
            }
            return LowRank(uncheckedB: Tensor(uncheckedShape: [rows, rank], data: draw(rows * rank, offset: 0)),
                           a: Tensor(uncheckedShape: [rank, cols], data: draw(rank * cols, offset: rows * rank)), scale: 1)
        }
        return FactoredDenseModule(name: "integer", index: 3, factors: factors)
    }

    static func densified(_ module: FactoredDenseModule) -> DenseModule {
        DenseModule(name: module.name, index: module.index, deltas: module.factors.map { $0.denseFloat() })
    }

    @Test func blocksEqualTheWholeModule() throws {
        // Real-valued factors: the blocks start at multiples of 48 rows, so each entry is the
        // same sgemm sum as in the whole-module product (bit-identical on this machine's
        // OpenBLAS kernels; allowed one rounding step elsewhere).
        let rng = CounterRNG(seed: 9, module: 1, input: 0)
        let b = Tensor(uncheckedShape: [300, 8], data: (0..<2400).map { Float(rng.normal($0)) })
        let a = Tensor(uncheckedShape: [8, 700], data: (0..<5600).map { Float(rng.normal(10_000 + $0)) })
        let module = FactoredDenseModule(name: "m", index: 0, factors: [LowRank(uncheckedB: b, a: a, scale: 0.5)])
        let rows = FactoredRows(module)
        let whole = module.factors[0].denseFloat()
        var worst: Float = 0
        try rows.forEachBlock(ofInput: 0) { first, block in
            for (j, value) in block.enumerated() {
                let expected = whole.data[first * 700 + j]
                worst = max(worst, abs(value - expected) / max(abs(expected), 1e-30))
            }
        }
        #expect(rows.blockRows % 48 == 0 || rows.blockRows == 300)
        #expect(worst <= 2.4e-7, "largest relative difference \(worst)")
    }

    /// The block-wise boundaries equal `RankSelection` over all keys at once, for every kind
    /// of rank (none, all, inside runs of equal keys), through both the histogram passes
    /// (small module) and the sampled bracket (a module of 2^20 entries and more).
    @Test(arguments: [(40, 50), (1024, 1100)])
    func boundariesEqualWholeModuleSelection(_ shape: (Int, Int)) throws {
        let module = Self.integerModule(rows: shape.0, cols: shape.1)
        let dense = Self.densified(module)
        let rows = StoredRows(dense)
        let n = shape.0 * shape.1
        for input in 0..<3 {
            let ranks = [0, 1, n / 10, n / 5, n / 2, n - 1, n]
            let expected = dense.deltas[input].data.withUnsafeBufferPointer { values in
                ranks.map { RankSelection.boundary(rank: $0, keys: MagnitudeKeys(values: values)) }
            }
            for (rank, want) in zip(ranks, expected) {
                let got = try BlockRankSelection.boundaries(ranks: [rank], input: input, rows: rows)
                #expect(got == [want], "input \(input) rank \(rank) of \(n)")
            }
            // Two ranks at once (breadcrumbs), sharing the gather pass.
            let pair = try BlockRankSelection.boundaries(ranks: [n / 10, n / 5], input: input, rows: rows)
            #expect(pair == [expected[2], expected[3]])
        }
    }

    /// TIES and the other task-vector methods give the same bits from factors (blocks, one-pass
    /// trim where it applies) as from whole densified modules.
    @Test(arguments: [
        ("ties", [("density", "0.2")]), ("ties", [("density", "0.7"), ("convention", "mergekit")]),
        ("ties", [("density", "0.3"), ("majority", "frequency")]), ("magnitude_prune", [("density", "0.4")]),
        ("breadcrumbs_ties", [("density", "0.3"), ("gamma", "0.05")]), ("dare_ties", [("density", "0.5")]),
        ("della", [("density", "0.5")]),
    ])
    func rowBlocksEqualWholeModules(_ method: String, _ params: [(String, String)]) throws {
        let module = Self.integerModule(rows: 1024, cols: 1100)
        let strategy = try Dense.unscaled(method, params, seed: 11)
        let whole = try strategy.merge(Self.densified(module))
        let blockwise = try #require(try strategy.mergeRowBlocks(module))
        #expect(blockwise.shape == whole.shape)
        #expect(blockwise.data.map(\.bitPattern) == whole.data.map(\.bitPattern), "\(method) \(params)")
        #expect(whole.data.contains { $0 != 0 })
    }

    /// On real-valued LoRA factors too (the bundled seeds; small modules, histogram passes).
    @Test func tiesOnTheBundledSeedsEqualsWholeModules() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let strategy = try Dense.unscaled("ties", [("density", "0.2")])
        for (index, group) in input.modules.enumerated() {
            let module = FactoredDenseModule(name: group.name, index: index, factors: group.deltas)
            let whole = try strategy.merge(Self.densified(module))
            let blockwise = try #require(try strategy.mergeRowBlocks(module))
            #expect(Compare.relativeFrobenius(blockwise.data, whole.data) <= 1e-6, "\(group.name)")
        }
    }

    /// A product that overflows (finite factors) is caught in the blocks: the engine then merges
    /// the module whole, where the non-finite rules apply.
    @Test func overflowingProductFallsBackToTheWholeModule() throws {
        let big = Tensor(uncheckedShape: [64, 2], data: [Float](repeating: 3e19, count: 128))
        let a = Tensor(uncheckedShape: [2, 64], data: [Float](repeating: 3e19, count: 128))
        let module = FactoredDenseModule(name: "m", index: 0, factors: [LowRank(uncheckedB: big, a: a, scale: 1)])
        let strategy = try Dense.unscaled("ties", [("density", "0.5")], inputs: 1)
        #expect(throws: NonFiniteRows.self) { try strategy.mergeRowBlocks(module) }
        let group = ModuleGroup(name: "m", kind: .linear, deltas: module.factors)
        #expect(try DenseMergeEngine.rowBlockMerge(strategy, group: group, index: 0) == nil)
    }
}

/// The engine's scheduler: any core takes the next module, results arrive in order.
struct OrderedStreamTests {
    /// Items of very different cost still reach the consumer in order, each once, and at most
    /// workers + 1 results wait for it.
    @Test func deliversInOrderWithBoundedWaiting() throws {
        let sizes = (0..<40).map { $0 % 3 == 0 ? 400_000 : 1_000 }
        let waiting = WaitingCounter()
        var delivered: [Int] = []
        try OrderedStream.run(count: sizes.count, workers: 2, cancellation: Cancellation(), compute: { index in
            var x = 0.0
            for k in 0..<sizes[index] { x += Double(k & 7) }
            waiting.add(1)
            return (index, x)
        }, consume: { index, value in
            #expect(value.0 == index)
            delivered.append(index)
            waiting.add(-1)
        })
        #expect(delivered == Array(0..<40))
        #expect(waiting.peak <= 3, "peak \(waiting.peak) results waiting")
    }

    /// The first failure in item order is the one thrown, whichever finished first; nothing
    /// after it is delivered.
    @Test func throwsTheFirstFailureInOrder() throws {
        var delivered: [Int] = []
        #expect(throws: SeedloraError("item 5")) {
            try OrderedStream.run(count: 30, workers: 2, cancellation: Cancellation(), compute: { index in
                if index == 5 { for _ in 0..<200_000 { _ = index &* 3 } ; throw SeedloraError("item 5") }
                if index == 6 { throw SeedloraError("item 6") }
                return index
            }, consume: { index, _ in delivered.append(index) })
        }
        #expect(delivered == [0, 1, 2, 3, 4])
    }

    @Test func consumerFailureStopsTheRun() throws {
        var delivered: [Int] = []
        #expect(throws: SeedloraError("disk full")) {
            try OrderedStream.run(count: 50, workers: 2, cancellation: Cancellation(), compute: { $0 }, consume: { index, _ in
                if index == 3 { throw SeedloraError("disk full") }
                delivered.append(index)
            })
        }
        #expect(delivered == [0, 1, 2])
    }
}

/// How many results wait, and the most that ever did (thread-safe).
private final class WaitingCounter: @unchecked Sendable {
    private let lock = DispatchQueue(label: "waiting-counter")
    private var now = 0
    private(set) var peak = 0
    func add(_ delta: Int) {
        lock.sync {
            now += delta
            peak = max(peak, now)
        }
    }
}
