import Foundation
import Ops
import Testing
import TestSupport

/// Every plot kind drawn by gnuplot as PNG and SVG: the files exist, the PNG has the requested
/// size, the SVG is well-formed and carries the title, axis labels and names literally.
/// Set SEEDLORA_PLOT_OUT=dir to keep the figures for a look.
struct PlotRenderTests {
    @Test(arguments: SamplePlot.allCases)
    func rendersPNGAndSVG(_ sample: SamplePlot) throws {
        let plot = try sample.plot()
        let (dir, cleanUp) = try FigureChecks.outputDirectory("seedlora-plot")
        defer { cleanUp() }
        let renderer = GnuplotRenderer()

        let png = "\(dir)/\(sample.rawValue).png"
        let warnings = try renderer.render(plot, to: png)
        #expect(warnings.isEmpty, "gnuplot warned: \(warnings)")
        let size = try #require(try FigureChecks.pngSize(png), "\(png) is not a PNG")
        #expect(size.width == plot.width && size.height == plot.height)

        let svg = "\(dir)/\(sample.rawValue).svg"
        try renderer.render(plot, to: svg)
        let text = try FigureChecks.svgText(svg).get()
        for expected in [plot.title, plot.xLabel, plot.yLabel, sample.literalLabel] {
            #expect(text.contains(expected), "\(sample): '\(expected)' missing from the SVG text")
        }
        #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("width=\"\(plot.width)\""))

        // No temporary files are left behind (other tests may be writing theirs to a kept directory).
        let left = try FilePaths.list(dir).filter { $0.hasPrefix(".\(sample.rawValue).") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }

    @Test func pdfToo() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/spectrum.pdf"
        try GnuplotRenderer().render(try SamplePlot.spectrumLine.plot(), to: path)
        let head = try Data(contentsOf: URL(fileURLWithPath: path)).prefix(5)
        #expect(Array(head) == Array("%PDF-".utf8))
    }

    @Test func explicitFormatOverridesTheExtension() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/figure.image"
        var plot = Plot(.line([Plot.Series(name: "a", y: [3, 1, 2])]), title: "t")
        plot.width = 320
        plot.height = 240
        try GnuplotRenderer().render(plot, to: path, format: .png)
        let size = try #require(try FigureChecks.pngSize(path))
        #expect(size.width == 320 && size.height == 240)
    }

    @Test func rerenderingReplacesTheFigure() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/f.png"
        let renderer = GnuplotRenderer()
        try renderer.render(Plot(.line([Plot.Series(name: "a", y: [1, 2])]), width: 300, height: 200), to: path)
        try renderer.render(Plot(.line([Plot.Series(name: "a", y: [1, 2])]), width: 400, height: 300), to: path)
        let size = try #require(try FigureChecks.pngSize(path))
        #expect(size.width == 400 && size.height == 300)
        #expect(try FilePaths.list(dir) == ["f.png"])
    }

    /// Quotes, backslashes, markup characters and non-ASCII text come out as written.
    @Test func specialCharactersRenderLiterally() throws {
        let (dir, cleanUp) = try FigureChecks.outputDirectory("seedlora-plot")
        defer { cleanUp() }
        let labels = ["it's \"quoted\"", "back\\slash", "a^2 {b} @c &d <e>", "q_proj_v_proj", "délta σ", "100%"]
        let series = labels.map { Plot.Series(name: $0, y: [1, 2, 3]) }
        let plot = Plot(.line(series), title: labels[0] + " " + labels[2], xLabel: labels[1], yLabel: labels[4],
                        legend: .outside)
        let svg = dir + "/special.svg"
        try GnuplotRenderer().render(plot, to: svg)
        let text = try FigureChecks.svgText(svg).get()
        for label in labels { #expect(text.contains(label), "'\(label)' missing from the SVG text") }
        #expect(text.contains(plot.title))
        try GnuplotRenderer().render(plot, to: dir + "/special.png")
    }

    /// Heatmaps with many rows, non-square shapes, NaN cells and signed values draw too.
    @Test func heatmapVariants() throws {
        let (dir, cleanUp) = try FigureChecks.outputDirectory("seedlora-plot")
        defer { cleanUp() }
        let kinds = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
        let labels: [String] = (0..<28).map { i in "model.layers.\(i / 7).\(kinds[i % 7])" }
        var values: [[Double]] = []
        for r in 0..<28 {
            values.append((0..<3).map { c -> Double in r == 5 && c == 1 ? Double.nan : sin(Double(r * 3 + c)) })
        }
        let matrix = try Plot.Matrix(values: values, rowLabels: labels, columnLabels: ["seed11 vs 42", "seed11 vs 202", "seed42 vs 202"],
                                     annotate: true)
        #expect(matrix.resolvedPalette == Plot.Matrix.Palette.diverging)
        let plot = Plot(.heatmap(matrix), title: "per-module cosine", width: 700, height: 900)
        let path = dir + "/heatmapTall.png"
        try GnuplotRenderer().render(plot, to: path)
        let size = try #require(try FigureChecks.pngSize(path))
        #expect(size.width == 700 && size.height == 900)
    }

    /// One filled histogram on a log y axis, and a log-log line plot with a non-positive point
    /// (left out, no gnuplot warning).
    @Test func logAxesAndSingleHistogram() throws {
        let (dir, cleanUp) = try FigureChecks.outputDirectory("seedlora-plot")
        defer { cleanUp() }
        let delta = try SamplePlot.delta("taskA_seed42")
        let histogram = try Plot.Histogram([Plot.Sample(name: "taskA_seed42", tensor: delta)], bins: 40)
        let single = Plot(.histogram(histogram), title: "q_proj delta weights, log counts", xLabel: "weight",
                          yLabel: "count", legend: .hidden, logY: true, width: 640, height: 400)
        #expect(try GnuplotRenderer().render(single, to: dir + "/histogramLogY.png").isEmpty)

        let xs = [0.0, 1, 10, 100, 1000]
        let loglog = Plot(.line([Plot.Series(name: "x^2", x: xs, y: xs.map { $0 * $0 }),
                                 Plot.Series(name: "sqrt_x", x: xs, y: xs.map { $0.squareRoot() })]),
                          title: "log-log", xLabel: "x", yLabel: "y", legend: .topLeft, logX: true, logY: true,
                          width: 500, height: 400)
        #expect(try GnuplotRenderer().render(loglog, to: dir + "/lineLogLog.png").isEmpty)
        let size = try #require(try FigureChecks.pngSize(dir + "/lineLogLog.png"))
        #expect(size.width == 500 && size.height == 400)
    }
}
