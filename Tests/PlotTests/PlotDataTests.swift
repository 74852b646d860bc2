import Foundation
import Ops
import Testing
import TestSupport

/// The numbers behind figures: binning, densities, and the exported tables.
struct PlotDataTests {
    @Test func histogramBinsAndNormalizations() throws {
        let sample = Plot.Sample(name: "w", values: [0, 0.5, 1, 1.5, 2, 1.9])
        let counts = try Plot.Histogram([sample], bins: 4, range: 0...2)
        #expect(counts.edges == [0, 0.5, 1, 1.5, 2])
        #expect(counts.heights == [[1, 1, 1, 3]])  // the last bin includes its right edge
        let fraction = try Plot.Histogram([sample], bins: 4, range: 0...2, normalization: .fraction)
        #expect(abs(fraction.heights[0].reduce(0, +) - 1) < 1e-12)
        let density = try Plot.Histogram([sample], bins: 4, range: 0...2, normalization: .density)
        #expect(abs(density.heights[0].reduce(0, +) * 0.5 - 1) < 1e-12)
        // Values outside an explicit range are left out.
        let clipped = try Plot.Histogram([sample], bins: 2, range: 0...1)
        #expect(clipped.heights == [[1, 2]])
    }

    @Test func histogramSummaryAndSharedBins() throws {
        let a = Plot.Sample(name: "a", tensor: try Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        let b = Plot.Sample(name: "b", values: [10.0, 12])
        let h = try Plot.Histogram([a, b], bins: 11)
        #expect(h.edges.first == 1 && h.edges.last == 12)
        #expect(h.heights.map { $0.reduce(0, +) } == [4, 2])
        #expect(h.summaries[0].mean == 2.5)
        #expect(abs(h.summaries[0].std - 1.25.squareRoot()) < 1e-12)
        #expect(h.summaries[1].min == 10 && h.summaries[1].max == 12)
    }

    @Test func floatAndDoubleSamplesAgree() throws {
        let values: [Float] = (0..<1000).map { Float(sin(Double($0)) * 0.01) }
        let f = try Plot.densityCurves([Plot.Sample(name: "f", tensor: try Tensor(shape: [1000], data: values))], points: 128)
        let d = try Plot.densityCurves([Plot.Sample(name: "d", values: values.map(Double.init))], points: 128)
        #expect(f[0].x == d[0].x && f[0].y == d[0].y)
    }

    /// A KDE integrates to 1 and peaks at the mode; its default grid covers the tails.
    @Test func densityIntegratesToOne() throws {
        var rng = SplitMix(seed: 7)
        let values = (0..<20_000).map { _ in rng.normal() * 0.5 + 3 }
        let curve = try #require(try Plot.densityCurves([Plot.Sample(name: "n", values: values)]).first)
        let step = curve.x[1] - curve.x[0]
        #expect(abs(curve.y.reduce(0, +) * step - 1) < 0.01)
        let peak = curve.x[curve.y.indices.max { curve.y[$0] < curve.y[$1] } ?? 0]
        #expect(abs(peak - 3) < 0.1)
        // The standard normal density peaks at 1/sqrt(2 pi) / 0.5 = 0.798.
        #expect(abs((curve.y.max() ?? 0) - 0.798) < 0.05)
        #expect((curve.y.first ?? 1) < 1e-3 && (curve.y.last ?? 1) < 1e-3)
    }

    @Test func dataTablesInLongForm() throws {
        let line = Plot(.line([Plot.Series(name: "a", y: [3, 2]), Plot.Series(name: "b", x: [5], y: [7])]))
        let lineTable = try #require(line.dataTables.first)
        #expect(lineTable.name == "series")
        #expect(lineTable.table.columnNames == ["series", "x", "y"])
        #expect(lineTable.table.strings("series") == ["a", "a", "b"])
        #expect(lineTable.table.numbers("x") == [1, 2, 5])
        #expect(lineTable.table.numbers("y") == [3, 2, 7])

        let bars = Plot(.bar(categories: ["c1", "c2"], series: [Plot.BarSeries(name: "m", values: [0.5, 0.7], errors: [0.1, 0.2]),
                                                                 Plot.BarSeries(name: "n", values: [0.4, 0.6])]))
        let barTable = try #require(bars.dataTables.first?.table)
        #expect(barTable.columnNames == ["category", "series", "value", "error"])
        #expect(barTable.strings("category") == ["c1", "c2", "c1", "c2"])
        #expect(barTable.numbers("value") == [0.5, 0.7, 0.4, 0.6])
        #expect(barTable.numbers("error")?.prefix(2) == [0.1, 0.2])
        #expect(barTable.numbers("error")?.suffix(2).allSatisfy(\.isNaN) == true)

        let heat = Plot(.heatmap(try Plot.Matrix(values: [[1, 2, 3], [4, 5, 6]], rowLabels: ["r0", "r1"], columnLabels: ["x", "y", "z"])))
        let cells = try #require(heat.dataTables.first)
        #expect(cells.name == "cells")
        #expect(cells.table.strings("row") == ["r0", "r0", "r0", "r1", "r1", "r1"])
        #expect(cells.table.strings("column") == ["x", "y", "z", "x", "y", "z"])
        #expect(cells.table.numbers("value") == [1, 2, 3, 4, 5, 6])

        let hist = Plot(.histogram(try Plot.Histogram([Plot.Sample(name: "w", values: [0.0, 1, 1, 2])], bins: 2)))
        #expect(hist.dataTables.map(\.name) == ["bins", "summary"])
        #expect(hist.dataTables[0].table.columnNames == ["series", "bin_left", "bin_right", "count"])
        #expect(hist.dataTables[0].table.numbers("count") == [1, 3])
        #expect(hist.dataTables[1].table.numbers("mean") == [1])

        let density = Plot(.density(try Plot.densityCurves([Plot.Sample(name: "w", values: [0.0, 1, 1, 2])], points: 16)))
        #expect(density.dataTables[0].table.columnNames == ["series", "x", "density"])
        #expect(density.dataTables[0].table.rowCount == 16)
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Box-Muller.
    mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
