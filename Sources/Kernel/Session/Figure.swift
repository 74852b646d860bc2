import Ops

/// A figure value: the plot to draw and the files it was drawn into.
public final class FigureValue {
    let plot: Plot
    var files: [String] = []
    init(plot: Plot) { self.plot = plot }
}

extension FigureValue: RichRepresentable {
    /// PNG and SVG drawn into a temporary directory (notebooks show the figure inline). A figure
    /// that cannot be drawn (gnuplot missing) still shows as text.
    public func richRepresentations() -> [RichRepresentation] {
        guard let dir = try? FilePaths.temporaryDirectory(prefix: "seedlora-figure") else { return [] }
        defer { FilePaths.removeTree(dir) }
        let renderer = GnuplotRenderer()
        var out: [RichRepresentation] = []
        if (try? renderer.render(plot, to: dir + "/figure.png", format: .png)) != nil,
           let file = try? MappedFile(path: dir + "/figure.png") {
            let bytes = file.withBytes(0..<file.size) { Array($0) }
            out.append(.png(bytes, width: plot.width, height: plot.height))
        }
        if (try? renderer.render(plot, to: dir + "/figure.svg", format: .svg)) != nil,
           let file = try? MappedFile(path: dir + "/figure.svg") {
            out.append(.svg(file.withBytes(0..<file.size) { String(decoding: $0, as: UTF8.self) }))
        }
        return out
    }
}
