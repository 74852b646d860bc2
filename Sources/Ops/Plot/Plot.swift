/// A figure as a value: what to draw (`content`) and how to frame it (title, axis labels, legend,
/// log scales, size). `GnuplotRenderer` draws it as PNG, SVG or PDF; `dataTables` gives the data
/// drawn, so a figure can be saved next to the numbers it shows.
///
/// Histograms and densities are binned when the plot is made (`Plot(histogramOf:)`,
/// `Plot(densityOf:)`): the value keeps the bin counts or the density curve, not the millions of raw
/// weights behind them. All text is drawn literally (`q_proj`, `a^2`, quotes): no markup.
public struct Plot: Equatable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case line, bar, heatmap, histogram, density, scatter
    }

    /// What the figure shows.
    public enum Content: Equatable, Sendable {
        /// Lines through (x, y) points, one per series.
        case line([Series])
        /// Points, one colour per series.
        case scatter([Series])
        /// Grouped bars: one group per category, one bar per series in each group.
        case bar(categories: [String], series: [BarSeries])
        /// A labelled matrix of colours with a colour bar.
        case heatmap(Matrix)
        /// Binned values, series overlaid on shared bins.
        case histogram(Histogram)
        /// Smoothed distributions (Gaussian kernel density estimates), one curve per series.
        case density([Series])
    }

    public enum Legend: String, Sendable, CaseIterable {
        case hidden, topRight, topLeft, bottomRight, bottomLeft
        /// To the right of the plot area (for many series).
        case outside
        /// Under the plot area, in columns.
        case below
    }

    public var content: Content
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var legend: Legend
    /// Logarithmic x axis (line, scatter, density; not bar or heatmap).
    public var logX: Bool
    /// Logarithmic y axis (not heatmap). Points with y <= 0 are left out.
    public var logY: Bool
    /// Size in pixels (PNG, SVG); PDF pages are the same size at 96 pixels per inch.
    public var width: Int
    public var height: Int
    /// The y axis range of a bar chart (default: from 0 to just above the tallest bar); bars
    /// below it are cut at the axis.
    public var yRange: ClosedRange<Double>? = nil

    public init(_ content: Content, title: String = "", xLabel: String = "", yLabel: String = "",
                legend: Legend = .topRight, logX: Bool = false, logY: Bool = false,
                width: Int = 800, height: Int = 600) {
        self.content = content
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.legend = legend
        self.logX = logX
        self.logY = logY
        self.width = width
        self.height = height
    }

    public var kind: Kind {
        switch content {
        case .line: return .line
        case .scatter: return .scatter
        case .bar: return .bar
        case .heatmap: return .heatmap
        case .histogram: return .histogram
        case .density: return .density
        }
    }
}

extension Plot {
    /// Named (x, y) points.
    public struct Series: Equatable, Sendable {
        public var name: String
        public var x: [Double]
        public var y: [Double]

        public init(name: String, x: [Double], y: [Double]) {
            self.name = name
            self.x = x
            self.y = y
        }

        /// y against 1, 2, 3, ... (a spectrum: the i-th singular value at x = i).
        public init(name: String, y: [Double]) {
            self.init(name: name, x: y.indices.map { Double($0 + 1) }, y: y)
        }
    }

    /// One bar per category, with optional error bars (± errors[i]); or, as a `marker`, one
    /// point at the centre of each group (a reference level over the bars, such as an oracle).
    public struct BarSeries: Equatable, Sendable {
        public var name: String
        public var values: [Double]
        public var errors: [Double]?
        /// Drawn as a marker over the group instead of as a bar of its own.
        public var marker: Bool

        public init(name: String, values: [Double], errors: [Double]? = nil, marker: Bool = false) {
            self.name = name
            self.values = values
            self.errors = errors
            self.marker = marker
        }
    }

    /// A matrix drawn as coloured cells, row 0 at the top.
    public struct Matrix: Equatable, Sendable {
        public enum Palette: String, Sendable, CaseIterable {
            /// `diverging` when the values have both signs, else `sequential`.
            case auto
            /// Dark purple to yellow (viridis): magnitudes, similarities in [0, 1].
            case sequential
            /// Blue, white at 0, red, on a range symmetric about 0: signed values.
            case diverging
        }

        public var rowLabels: [String]
        public var columnLabels: [String]
        /// Row-major, rowLabels.count x columnLabels.count; NaN cells are left blank.
        public var values: [Double]
        /// Write each value in its cell.
        public var annotate: Bool
        /// Digits after the point in cell annotations.
        public var decimals: Int
        /// The values mapped to the ends of the colour bar (default: the data's range).
        public var colorRange: ClosedRange<Double>?
        public var palette: Palette
        public var colorLabel: String

        public init(values: [[Double]], rowLabels: [String], columnLabels: [String], annotate: Bool = false,
                    decimals: Int = 2, colorRange: ClosedRange<Double>? = nil, palette: Palette = .auto,
                    colorLabel: String = "") throws {
            guard values.count == rowLabels.count else {
                throw SeedloraError("heatmap has \(values.count) rows but \(rowLabels.count) row labels")
            }
            for (i, row) in values.enumerated() where row.count != columnLabels.count {
                throw SeedloraError("heatmap row \(i) ('\(rowLabels[i])') has \(row.count) values but there are "
                                    + "\(columnLabels.count) column labels")
            }
            self.rowLabels = rowLabels
            self.columnLabels = columnLabels
            self.values = values.flatMap { $0 }
            self.annotate = annotate
            self.decimals = decimals
            self.colorRange = colorRange
            self.palette = palette
            self.colorLabel = colorLabel
        }

        /// From a 2-D tensor.
        public init(_ tensor: Tensor, rowLabels: [String], columnLabels: [String], annotate: Bool = false,
                    decimals: Int = 2, colorRange: ClosedRange<Double>? = nil, palette: Palette = .auto,
                    colorLabel: String = "") throws {
            guard tensor.rank == 2, tensor.rows == rowLabels.count, tensor.cols == columnLabels.count else {
                throw SeedloraError("heatmap needs a 2-D tensor of \(rowLabels.count) x \(columnLabels.count) "
                                    + "(one row per row label, one column per column label), got shape \(tensor.shape)")
            }
            let rows = (0..<tensor.rows).map { r in tensor.data[r * tensor.cols..<(r + 1) * tensor.cols].map(Double.init) }
            try self.init(values: rows, rowLabels: rowLabels, columnLabels: columnLabels, annotate: annotate,
                          decimals: decimals, colorRange: colorRange, palette: palette, colorLabel: colorLabel)
        }

        public func value(row: Int, column: Int) -> Double { values[row * columnLabels.count + column] }

        /// The palette actually drawn.
        public var resolvedPalette: Palette {
            guard palette == .auto else { return palette }
            let finite = values.filter(\.isFinite)
            return (finite.contains { $0 < 0 } && finite.contains { $0 > 0 }) ? .diverging : .sequential
        }
    }
}
