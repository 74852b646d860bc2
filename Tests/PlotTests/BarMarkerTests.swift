import Foundation
import Ops
import Testing
import TestSupport

/// Bar charts with a marker series (a level over each group, such as an oracle) and a set
/// y range.
struct BarMarkerTests {
    static let plot: Plot = {
        var plot = Plot(.bar(categories: ["0", "1", "all"],
                             series: [Plot.BarSeries(name: "seed 11", values: [98.9, 97.2, 97.2]),
                                      Plot.BarSeries(name: "seed 42", values: [94.3, 93.5, 94.65]),
                                      Plot.BarSeries(name: "oracle", values: [100, 99.8, 99.5], marker: true)]),
                        title: "markers")
        plot.yRange = 85...100.5
        return plot
    }()

    @Test func markersTakeNoBarSlot() throws {
        let script = GnuplotRenderer().script(for: Self.plot, format: .png, output: "o.png")
        // Two bars per group (width 0.4 each), centred at i -+ 0.2; the marker at the group centre.
        #expect(script.contains("$d0 << EOD\n-0.2 98.9"))
        #expect(script.contains("$d1 << EOD\n0.2 94.3"))
        #expect(!script.contains("$d2 << EOD"))
        #expect(script.contains("$m0 << EOD\n0 100.0\n1 99.8\n2 99.5\nEOD"))
        #expect(script.contains("using 1:2:(0.4) with boxes"))
        #expect(script.contains("$m0 using 1:2 with points pt 13") && script.contains("title 'oracle'"))
        #expect(script.contains("set yrange [85.0:100.5]"))
        // The plotted data keeps the marker as a series.
        let bars = try #require(Self.plot.dataTables.first { $0.name == "bars" }?.table)
        #expect(bars.strings("series")?.filter { $0 == "oracle" }.count == 3)
    }

    @Test func rendersAsPNG() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "markers")
        defer { FilePaths.removeTree(dir) }
        try GnuplotRenderer().render(Self.plot, to: dir + "/m.png")
        let size = try #require(try FigureChecks.pngSize(dir + "/m.png"))
        #expect(size.width == 800 && size.height == 600)
    }
}
