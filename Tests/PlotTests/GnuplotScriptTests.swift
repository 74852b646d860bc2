import Ops
import Testing

/// The gnuplot script: quoting of user text, layout decisions.
struct GnuplotScriptTests {
    /// User text is a single-quoted gnuplot string, in a noenhanced terminal.
    @Test func scriptQuotesUserText() throws {
        let plot = Plot(.line([Plot.Series(name: "it's q_proj", y: [1, 2])]), title: "line\nbreak 'x'")
        let script = GnuplotRenderer().script(for: plot, format: .svg, output: "/tmp/o'ut.svg")
        #expect(script.contains("noenhanced"))
        #expect(script.contains("set output '/tmp/o''ut.svg'"))
        #expect(script.contains("set title 'line break ''x'''"))
        #expect(script.contains("title 'it''s q_proj'"))
    }

    @Test func longCategoryLabelsRotate() throws {
        let short = Plot(.bar(categories: ["a", "b"], series: [Plot.BarSeries(name: "s", values: [1, 2])]))
        let long = Plot(.bar(categories: (0..<16).map { "merge_dare_p0.5_mask\($0)" },
                             series: [Plot.BarSeries(name: "s", values: [Double](repeating: 1, count: 16))]))
        let renderer = GnuplotRenderer()
        #expect(!renderer.script(for: short, format: .png, output: "o.png").contains("rotate"))
        #expect(renderer.script(for: long, format: .png, output: "o.png").contains("rotate by 45 right"))
    }

    @Test func heatmapLabelsRotateOnlyWhenCrowded() throws {
        let labels = ["taskA_seed11", "taskA_seed42", "taskA_seed202", "taskB_seed42"]
        let square = try Plot.Matrix(values: Array(repeating: [0, 0.5, 0.7, 1], count: 4), rowLabels: labels, columnLabels: labels)
        let renderer = GnuplotRenderer()
        #expect(!renderer.script(for: Plot(.heatmap(square)), format: .png, output: "o.png").contains("rotate"))
        let wide = (0..<12).map { "model.layers.\($0).self_attn.q_proj" }
        let crowded = try Plot.Matrix(values: Array(repeating: Array(repeating: 0.5, count: 12), count: 12),
                                      rowLabels: wide, columnLabels: wide)
        #expect(renderer.script(for: Plot(.heatmap(crowded)), format: .png, output: "o.png").contains("rotate by"))
    }
}
