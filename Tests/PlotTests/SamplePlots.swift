import Ops
import TestSupport

/// One plot of each kind, drawn from the committed fixtures (the peft-tiny adapters, their
/// reference cosines, the toy-math evaluation results): the figures of the paper in miniature.
enum SamplePlot: String, CaseIterable, Sendable {
    case cosineHeatmap, scoreBars, spectrumLine, weightHistogram, weightDensity, normScatter

    /// A label with underscores that must appear literally in the figure.
    var literalLabel: String {
        switch self {
        case .cosineHeatmap, .spectrumLine, .weightHistogram, .weightDensity: return "taskA_seed11"
        case .scoreBars: return "merge_ties_d0.2"
        case .normScatter: return "self_attn (q_proj, k_proj, v_proj, o_proj)"
        }
    }

    func plot() throws -> Plot {
        switch self {
        case .cosineHeatmap: return try Self.cosineHeatmap()
        case .scoreBars: return try Self.scoreBars()
        case .spectrumLine: return try Self.spectrum()
        case .weightHistogram: return try Self.weightHistogram()
        case .weightDensity: return try Self.weightDensity()
        case .normScatter: return try Self.normScatter()
        }
    }

    static let module = "model.layers.0.self_attn.q_proj"

    /// Fig. 2: whole-adapter cosine similarity of three same-task seeds and another task.
    static func cosineHeatmap() throws -> Plot {
        let json = try Fixtures.json("cosine.json")
        let order = (json["order"]?.arrayValue ?? []).compactMap(\.stringValue)
        let rows = (json["overall"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.numberValue) }
        let matrix = try Plot.Matrix(values: rows, rowLabels: order, columnLabels: order, annotate: true,
                                     colorRange: 0...1, colorLabel: "cosine similarity")
        return Plot(.heatmap(matrix), title: "Cosine similarity of adapter deltas (\"whole adapter\", it's A & B < 1)",
                    xLabel: "adapter", yLabel: "adapter", width: 800, height: 600)
    }

    /// Fig. 1 / 4-6 style: grouped bars of evaluation scores with standard errors.
    static func scoreBars() throws -> Plot {
        let table = try EvalResults.read(Fixtures.root + "/Tests/Fixtures/toy-math-eval")
        let models = ["lora_seed11", "lora_seed42", "lora_seed202", "merge_soup", "merge_seedlora",
                      "merge_ties_d0.2", "merge_dare_p0.5_mask0"]
        let names = table.strings("model") ?? []
        let rows = models.compactMap { names.firstIndex(of: $0) }
        func column(_ name: String) -> [Double] { rows.map { table.numbers(name)?[$0] ?? .nan } }
        let bars = [
            Plot.BarSeries(name: "held-out (add4)", values: column("add4/exact_match"),
                           errors: column("add4/exact_match_stderr")),
            Plot.BarSeries(name: "training set (add4_train)", values: column("add4_train/exact_match")),
        ]
        return Plot(.bar(categories: models, series: bars), title: "Exact match on 4-digit addition",
                    xLabel: "model", yLabel: "exact match", legend: .outside, width: 900, height: 560)
    }

    /// Fig. 3a: singular values of each seed's delta and of their average, log scale.
    static func spectrum() throws -> Plot {
        var series: [Plot.Series] = []
        var sum: Tensor?
        for seed in Fixtures.seeds {
            let delta = try delta(seed)
            series.append(Plot.Series(name: seed, y: Array(try singularValues(delta).prefix(32))))
            if var s = sum { for i in s.data.indices { s.data[i] += delta.data[i] }; sum = s } else { sum = delta }
        }
        if var soup = sum {
            for i in soup.data.indices { soup.data[i] /= Float(Fixtures.seeds.count) }
            series.append(Plot.Series(name: "mean of seeds (soup)", y: Array(try singularValues(soup).prefix(32))))
        }
        return Plot(.line(series), title: "Singular values of q_proj deltas (layer 0)", xLabel: "index i",
                    yLabel: "singular value sigma_i", logY: true, width: 640, height: 480)
    }

    /// Fig. 7: distribution of delta weights, per seed and merged.
    static func weightHistogram() throws -> Plot {
        let histogram = try Plot.Histogram(try samples(), bins: 60, normalization: .density)
        return Plot(.histogram(histogram), title: "Delta weights of q_proj (layer 0)", xLabel: "delta weight",
                    yLabel: "density", width: 800, height: 500)
    }

    static func weightDensity() throws -> Plot {
        Plot(.density(try Plot.densityCurves(try samples())), title: "Delta weights of q_proj (layer 0), KDE",
             xLabel: "delta weight", yLabel: "density", legend: .topLeft, width: 700, height: 500)
    }

    /// Per-module delta norms of two seeds, attention against MLP modules.
    static func normScatter() throws -> Plot {
        let a = try PeftAdapter(directory: Fixtures.adapter("taskA_seed11"))
        let b = try PeftAdapter(directory: Fixtures.adapter("taskA_seed42"))
        var attention = Plot.Series(name: "self_attn (q_proj, k_proj, v_proj, o_proj)", x: [], y: [])
        var mlp = Plot.Series(name: "mlp (gate_proj, up_proj, down_proj)", x: [], y: [])
        for m in a.modules {
            guard let other = b.module(m.name) else { continue }
            let x = m.delta.moments().frobenius, y = other.delta.moments().frobenius
            if m.name.contains("self_attn") { attention.x.append(x); attention.y.append(y) } else { mlp.x.append(x); mlp.y.append(y) }
        }
        return Plot(.scatter([attention, mlp]), title: "Frobenius norm of each module's delta", xLabel: "taskA_seed11",
                    yLabel: "taskA_seed42", legend: .bottomRight, width: 600, height: 600)
    }

    static func delta(_ adapter: String) throws -> Tensor {
        let peft = try PeftAdapter(directory: Fixtures.adapter(adapter))
        guard let module = peft.module(module) else { throw SeedloraError("fixture \(adapter) has no \(module)") }
        return module.delta.denseFloat()
    }

    static func singularValues(_ t: Tensor) throws -> [Double] {
        try LinearAlgebra.svd(LinearAlgebra.Matrix(t)).s
    }

    static func samples() throws -> [Plot.Sample] {
        var out: [Plot.Sample] = []
        var soup = [Float](repeating: 0, count: 0)
        for seed in Fixtures.seeds {
            let d = try delta(seed)
            out.append(Plot.Sample(name: seed, tensor: d))
            if soup.isEmpty { soup = d.data } else { for i in soup.indices { soup[i] += d.data[i] } }
        }
        let mean = soup.map { $0 / Float(Fixtures.seeds.count) }
        out.append(Plot.Sample(name: "mean of seeds (soup)", tensor: Tensor(uncheckedShape: [mean.count], data: mean)))
        return out
    }
}
