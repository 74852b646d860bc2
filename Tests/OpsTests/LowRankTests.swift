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
}
