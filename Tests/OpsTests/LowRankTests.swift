import Ops
import Testing
import TestSupport

/// Factored algebra against the reference singular values and cosines, and against dense math.
struct LowRankTests {
    @Test func singularValuesMatchReference() throws {
        let reference = try Fixtures.json("adapters.json")
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_seed11"))
        for module in adapter.modules {
            let want = try #require(reference["adapters"]?["taskA_seed11"]?["modules"]?[module.name]?["sv"]?.arrayValue)
                .compactMap(\.numberValue)
            let got = try LowRankSVD(module.delta).values
            #expect(got.count == want.count)
            for (g, w) in zip(got, want) {
                #expect(Compare.relative(g, w) <= 1e-5, "\(module.name): \(g) vs \(w)")
            }
        }
    }

    @Test func cosinesMatchReference() throws {
        let reference = try Fixtures.json("cosine.json")
        let order = try #require(reference["order"]?.arrayValue).compactMap(\.stringValue)
        let adapters = try order.map { try PeftAdapter(directory: Fixtures.adapter($0)) }
        let names = adapters[0].modules.map(\.name)
        var overallInner = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4)
        for name in names {
            let gram = FactorGram(adapters.compactMap { $0.module(name)?.delta })
            let matrix = try #require(reference["per_module"]?[name]?.arrayValue)
            for i in 0..<4 {
                for j in 0..<4 {
                    let want = try #require(matrix[i].arrayValue?[j].numberValue)
                    #expect(abs(gram.cosine(i, j) - want) <= 1e-6, "\(name) [\(i),\(j)]")
                    overallInner[i][j] += gram.inner(i, j)
                }
            }
        }
        let overall = try #require(reference["overall"]?.arrayValue)
        for i in 0..<4 {
            for j in 0..<4 {
                let cos = overallInner[i][j] / (overallInner[i][i] * overallInner[j][j]).squareRoot()
                let want = try #require(overall[i].arrayValue?[j].numberValue)
                #expect(abs(cos - want) <= 1e-6)
            }
        }
    }

    /// The rank-k truncation is the dense matrix's best approximation: its error equals the
    /// dropped singular values (Eckart-Young), checked against the dense product.
    @Test func truncationErrorIsTheDroppedEnergy() throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_r16_seed42"))
        for module in adapter.modules {
            let svd = try LowRankSVD(module.delta)
            let k = 5
            let approx = svd.truncated(rank: k).dense()
            let exact = module.delta.dense()
            var err = 0.0
            for i in 0..<exact.count { let d = Double(exact.data[i] - approx.data[i]); err += d * d }
            let dropped = svd.values.dropFirst(k).reduce(0) { $0 + $1 * $1 }
            #expect(abs(err.squareRoot() - dropped.squareRoot()) <= 1e-5 * svd.values[0], "\(module.name)")
            #expect(abs(svd.energyKept(rank: k) - (1 - dropped / svd.values.reduce(0) { $0 + $1 * $1 })) < 1e-12)
        }
    }

    @Test func paddingAndScaleFoldingKeepTheProduct() throws {
        let adapter = try PeftAdapter(directory: Fixtures.adapter("taskA_seed42"))
        let delta = try #require(adapter.modules.first?.delta)
        let reshaped = delta.scaleFolded().padded(toRank: 13)
        #expect(reshaped.rank == 13 && reshaped.scale == 1)
        #expect(Compare.relativeFrobenius(reshaped.dense().data, delta.dense().data) <= 1e-7)
    }

    @Test func combinationMomentsMatchDenseSum() throws {
        let deltas = try Fixtures.seedPaths.map { try PeftAdapter(directory: $0).modules[3].delta }
        let c = [0.5, -1.25, 2.0]
        let m = FactorGram(deltas).moments(ofCombination: c)
        let dense = deltas.map { $0.dense().data }
        var sum = 0.0, squares = 0.0
        for i in 0..<dense[0].count {
            let v = c[0] * Double(dense[0][i]) + c[1] * Double(dense[1][i]) + c[2] * Double(dense[2][i])
            sum += v
            squares += v * v
        }
        #expect(Compare.relative(m.sum, sum) <= 1e-5)
        #expect(Compare.relative(m.sumOfSquares, squares) <= 1e-6)
    }

    /// The Gram kernel (blocks of 256 rows stored in panels of 8 columns, tiles of 4 x 8, padding
    /// to a multiple of 8, column and row sums) against inner products and sums taken entry by
    /// entry in Float64, on shapes that exercise every edge: ranks 3, 5 and 9 (R = 17: a panel
    /// that spans two parts, one that is 8 adjacent columns of one part, and a lone lane), rows
    /// and columns that are not multiples of the block.
    @Test func gramKernelMatchesEntryByEntryFloat64() throws {
        var state: UInt64 = 12345
        func values(_ n: Int) -> [Float] {
            (0..<n).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
            }
        }
        let rows = 517, cols = 2_300
        let deltas = try [3, 5, 9].enumerated().map { i, r in
            try LowRank(b: Tensor(shape: [rows, r], data: values(rows * r)), a: Tensor(shape: [r, cols], data: values(r * cols)),
                        scale: [0.5, 2, -1.5][i])
        }
        let gram = FactorGram(deltas)
        let exact = deltas.map(Self.float64Product)
        for i in 0..<3 {
            #expect(Compare.relative(gram.sum(i), exact[i].reduce(0, +)) <= 1e-12, "sum \(i)")
            for j in i..<3 {
                let inner = zip(exact[i], exact[j]).reduce(0.0) { $0 + $1.0 * $1.1 }
                #expect(Compare.relative(gram.inner(i, j), inner) <= 1e-12, "inner \(i) \(j)")
                #expect(Compare.relative(gram.inner(i, j), gram.inner(j, i)) <= 1e-14)
            }
        }
    }

    /// `scale * B A` with every entry accumulated in Float64 (the products of Float32 values are
    /// exact there).
    static func float64Product(_ d: LowRank) -> [Double] {
        var out = [Double](repeating: 0, count: d.rows * d.cols)
        for i in 0..<d.rows { for p in 0..<d.rank {
            let b = Double(d.b.data[i * d.rank + p]) * d.scale
            for j in 0..<d.cols { out[i * d.cols + j] += b * Double(d.a.data[p * d.cols + j]) }
        } }
        return out
    }

    /// The result screen: zero factors or scale are zero, a factor with NaN or inf is not
    /// finite, a delta with one nonzero entry (which the probes miss) is found nonzero by the Gram
    /// matrices.
    @Test func deltaScreenTellsZeroNonFiniteAndNonzero() throws {
        let module = try #require(try PeftAdapter(directory: Fixtures.adapter("taskA_seed42")).modules.first?.delta)
        #expect(DeltaScreen(module) == .nonzero)
        let zeroA = LowRank(uncheckedB: module.b, a: Tensor(uncheckedShape: module.a.shape, data: [Float](repeating: 0, count: module.a.count)),
                            scale: 1)
        #expect(DeltaScreen(zeroA) == .zero)
        #expect(DeltaScreen(dense: zeroA.dense()) == .zero)
        #expect(DeltaScreen(LowRank(uncheckedB: module.b, a: module.a, scale: 0)) == .zero)
        #expect(DeltaScreen(LowRank(uncheckedB: module.b, a: module.a, scale: .infinity)) == .nonFinite)
        var withNaN = module.a.data
        withNaN[withNaN.count / 2] = .nan
        #expect(DeltaScreen(LowRank(uncheckedB: module.b, a: Tensor(uncheckedShape: module.a.shape, data: withNaN), scale: 1)) == .nonFinite)
        // One nonzero entry of 1000 x 1000: no probe lands on it.
        var oneB = [Float](repeating: 0, count: 1000), oneA = [Float](repeating: 0, count: 1000)
        oneB[977] = 1e-30
        oneA[3] = 2
        let single = try LowRank(b: Tensor(shape: [1000, 1], data: oneB), a: Tensor(shape: [1, 1000], data: oneA), scale: 1)
        #expect(!DeltaScreen.someProbeIsNonzero(single))
        #expect(DeltaScreen(single) == .nonzero)
        #expect(DeltaScreen(dense: single.dense()) == .nonzero)
        #expect(DeltaScreen(norm: .nan) == .nonFinite && DeltaScreen(norm: 0) == .zero && DeltaScreen(norm: 2) == .nonzero)
    }
}
