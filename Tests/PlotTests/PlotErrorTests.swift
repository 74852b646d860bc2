import Foundation
import Ops
import Testing
import TestSupport

/// What goes wrong around gnuplot says what to do, and never leaves a partial figure.
struct PlotErrorTests {
    static let simple = Plot(.line([Plot.Series(name: "a", y: [1, 2, 3])]), title: "t")

    @Test func missingOutputDirectory() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/no/such/dir/figure.png"
        let error = try #require(throws: SeedloraError.self) { try GnuplotRenderer().render(Self.simple, to: path) }
        #expect(error.kind == .io)
        #expect(error.path == path)
        #expect(error.message.contains("does not exist"))
    }

    @Test func gnuplotNotOnPath() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let renderer = GnuplotRenderer(environment: ["PATH": dir + "/empty-bin:/nonexistent"])
        let error = try #require(throws: SeedloraError.self) { try renderer.render(Self.simple, to: dir + "/f.png") }
        #expect(error.kind == .io)
        #expect(error.message.contains("gnuplot was not found on PATH"))
        #expect(error.message.contains("apt-get install gnuplot-nox"))
        #expect(try FilePaths.list(dir).isEmpty)
    }

    @Test func explicitExecutableMissing() throws {
        let renderer = GnuplotRenderer(executable: "/nonexistent/gnuplot")
        let error = try #require(throws: SeedloraError.self) { try renderer.locate() }
        #expect(error.message.contains("gnuplot-nox"))
    }

    /// A gnuplot that fails: its messages are in the error, the old figure stays, no temp file.
    @Test func gnuplotFailureKeepsTheOldFigure() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-plot")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/figure.png"
        try GnuplotRenderer().render(Self.simple, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let fake = dir + "/bin/gnuplot"
        try FilePaths.makeDirectories(dir + "/bin")
        try "#!/bin/sh\necho 'line 7: undefined variable: boom' >&2\nexit 3\n"
            .write(toFile: fake, atomically: true, encoding: .utf8)
        chmod(fake, 0o755)
        let tmp = dir + "/tmp"
        try FilePaths.makeDirectories(tmp)
        let renderer = GnuplotRenderer(environment: ["PATH": dir + "/bin", "TMPDIR": tmp])
        let error = try #require(throws: SeedloraError.self) { try renderer.render(Self.simple, to: path) }
        #expect(error.kind == .io)
        #expect(error.path == path)
        #expect(error.message.contains("exit status 3"))
        #expect(error.message.contains("line 7: undefined variable: boom"))
        #expect(error.message.contains(tmp + "/seedlora-plot-"), "the error names the kept script")

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try FilePaths.list(dir).sorted() == ["bin", "figure.png", "tmp"])
    }

    @Test func unknownExtension() throws {
        let error = try #require(throws: SeedloraError.self) {
            try GnuplotRenderer().render(Self.simple, to: "/tmp/figure.jpg")
        }
        #expect(error.kind == .usage)
        #expect(error.message.contains(".png, .svg or .pdf"))
    }

    /// Plots that cannot be drawn are refused before gnuplot runs, naming the culprit.
    @Test(arguments: [
        (Plot(.line([Plot.Series(name: "s1", x: [1, 2], y: [1])])), "series 's1' has 2 x values but 1 y values"),
        (Plot(.line([])), "line plot has no series"),
        (Plot(.line([Plot.Series(name: "s", y: [0, -1])]), logY: true), "log scale on y but no positive y values"),
        (Plot(.bar(categories: ["a", "b"], series: [Plot.BarSeries(name: "m", values: [1])])),
         "bar series 'm' has 1 values but there are 2 categories"),
        (Plot(.bar(categories: ["a"], series: [Plot.BarSeries(name: "m", values: [1], errors: [1, 2])])),
         "bar series 'm' has 2 error values"),
        (Plot(.bar(categories: ["a"], series: [Plot.BarSeries(name: "m", values: [1])]), logX: true),
         "log scale on x does not apply to a bar chart"),
        (Plot(.scatter([Plot.Series(name: "p", y: [1])]), width: 10), "plot size 10x600 pixels"),
    ])
    func invalidPlots(_ plot: Plot, _ message: String) throws {
        let error = try #require(throws: SeedloraError.self) { try plot.validate() }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func invalidHeatmapAndHistogramInputs() throws {
        let shape = try #require(throws: SeedloraError.self) {
            try Plot.Matrix(values: [[1, 2], [3]], rowLabels: ["a", "b"], columnLabels: ["x", "y"])
        }
        #expect(shape.message.contains("row 1 ('b') has 1 values but there are 2 column labels"))
        let tensor = try #require(throws: SeedloraError.self) {
            try Plot.Matrix(Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), rowLabels: ["a", "b"], columnLabels: ["x"])
        }
        #expect(tensor.message.contains("got shape [2, 3]"))
        let nan = try #require(throws: SeedloraError.self) {
            try Plot.Histogram([Plot.Sample(name: "w", values: [1.0, Double.nan, 2])])
        }
        #expect(nan.message.contains("sample 'w': value nan at index 1 is not finite"))
        let bins = try #require(throws: SeedloraError.self) { try Plot.Histogram([Plot.Sample(name: "w", values: [1.0])], bins: 0) }
        #expect(bins.message.contains("bin count"))
        let empty = try #require(throws: SeedloraError.self) { try Plot.densityCurves([Plot.Sample(name: "w", values: [Double]())]) }
        #expect(empty.message.contains("every sample is empty"))
    }
}
