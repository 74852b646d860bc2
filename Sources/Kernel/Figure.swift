import Ops

/// A figure value: the plot to draw and the files it was drawn into.
public final class FigureValue {
    let plot: Plot
    var files: [String] = []
    init(plot: Plot) { self.plot = plot }
}
