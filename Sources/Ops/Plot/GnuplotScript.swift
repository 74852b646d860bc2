import Foundation

/// The gnuplot script that draws a `Plot`: terminal, style, data blocks, plot command.
///
/// Every piece of user text (titles, labels, series and category names) goes into the script as a
/// single-quoted string, where gnuplot interprets nothing but `''`; the terminal is `noenhanced`,
/// so `q_proj` and `a^2` come out as written. Data goes in inline data blocks (`$d0 << EOD`) of
/// numbers only; tick labels are set in the script, never read from data.
///
/// Layout rules, for legibility at any size: the font scales with the figure (11 pt at 600 pixels
/// on the short side), tick labels on categorical axes rotate by 45 or 90 degrees when they would
/// overlap, heatmap tick and cell fonts shrink to the cell size, and axis ranges hug the data.
/// Margin estimates were measured on gnuplot 5.4 output (DejaVu Sans).
struct GnuplotScript {
    let plot: Plot
    let format: GnuplotRenderer.Format
    /// Where gnuplot writes the figure.
    let output: String

    /// matplotlib's "tab10": distinct, colour-blind-friendlier than gnuplot's defaults.
    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let pointTypes = [7, 5, 9, 13, 11, 15, 7, 5, 9, 13]
    /// Point types of bar-chart markers: filled diamond, triangle, circle.
    static let markerPoints = [13, 9, 7]
    static let font = "DejaVu Sans"

    /// 11 pt at 600 pixels on the short side, growing with its square root (small figures keep
    /// readable text, large ones do not get huge text), in half points from 9 to 18.
    var fontSize: Double {
        let scaled = 11 * (Double(min(plot.width, plot.height)) / 600).squareRoot()
        return min(18, max(9, (scaled * 2).rounded() / 2))
    }

    /// Estimated width in pixels of a bar chart's plot area: the figure less y tick labels, y label
    /// and a legend outside.
    func barAreaWidth(_ names: [String]) -> Double {
        let fs = fontSize
        let left = 4 * Self.charWidth * fs + (plot.yLabel.isEmpty ? 5 : 7) * fs
        let legend = Double(names.map(\.count).max() ?? 0) * Self.charWidth * fs + 4.5 * fs
        let right = plot.legend == .outside ? legend : fs
        return max(1, Double(plot.width) - left - right)
    }

    var text: String {
        var s = header()
        switch plot.content {
        case let .line(items): s += line(items, markers: items.allSatisfy { $0.x.count <= 40 })
        case let .scatter(items): s += scatter(items)
        case let .bar(categories, items): s += bars(categories, items)
        case let .heatmap(m): s += heatmap(m)
        case let .histogram(h): s += histogram(h)
        case let .density(items): s += density(items)
        }
        return s + "unset output\n"
    }

    // MARK: - Common settings

    func header() -> String {
        let font = Self.quote("\(Self.font),\(Self.number(fontSize))")
        var s: String
        switch format {
        case .png:
            s = "set terminal pngcairo size \(plot.width),\(plot.height) noenhanced font \(font) background rgb 'white'\n"
        case .svg:
            s = "set terminal svg size \(plot.width),\(plot.height) fixed noenhanced font \(font) background rgb 'white'\n"
        case .pdf:
            let w = Self.number(Double(plot.width) / 72), h = Self.number(Double(plot.height) / 72)
            s = "set terminal pdfcairo size \(w)in,\(h)in noenhanced font \(font) background rgb 'white'\n"
        }
        s += "set output \(Self.quote(output))\n"
        s += "set encoding utf8\n"
        s += "set datafile missing 'NaN'\n"
        for (i, color) in Self.colors.enumerated() {
            s += "set linetype \(i + 1) lc rgb '\(color)' lw 2 pt \(Self.pointTypes[i]) ps 1\n"
        }
        if !plot.title.isEmpty {
            s += "set title \(Self.quote(plot.title)) font \(Self.quote(",\(Self.number(fontSize * 1.25))"))\n"
        }
        if !plot.xLabel.isEmpty { s += "set xlabel \(Self.quote(plot.xLabel))\n" }
        if !plot.yLabel.isEmpty { s += "set ylabel \(Self.quote(plot.yLabel))\n" }
        if plot.kind != .heatmap {
            s += "set border 3 lc rgb '#404040'\n"
            s += "set tics nomirror out scale 0.6 textcolor rgb '#202020'\n"
            s += "set grid \(plot.kind == .bar || plot.kind == .histogram ? "" : "xtics ")ytics back lt 1 lc rgb '#e8e8e8' lw 1 dt solid\n"
        }
        if plot.logX { s += "set logscale x\nset format x '%g'\n" }
        if plot.logY { s += "set logscale y\nset format y '%g'\n" }
        s += key()
        return s
    }

    func key() -> String {
        let names: [String]
        switch plot.content {
        case let .line(series), let .scatter(series), let .density(series): names = series.map(\.name)
        case let .bar(_, series): names = series.map(\.name)
        case let .histogram(h): names = h.names
        case .heatmap: names = []
        }
        guard plot.legend != .hidden, names.contains(where: { !$0.isEmpty }) else { return "unset key\n" }
        let place: String
        switch plot.legend {
        case .hidden, .topRight: place = "inside top right"
        case .topLeft: place = "inside top left"
        case .bottomRight: place = "inside bottom right"
        case .bottomLeft: place = "inside bottom left"
        case .outside: place = "outside right top vertical"
        case .below: place = "below center horizontal"
        }
        return "set key \(place) reverse Left opaque box lc rgb '#d0d0d0' samplen 2.5 spacing 1.15 noautotitle\n"
    }

    /// `title 'name'`, or `notitle` for an unnamed series.
    static func title(_ name: String) -> String { name.isEmpty ? "notitle" : "title \(quote(name))" }

    // MARK: - Kinds

    func line(_ series: [Plot.Series], markers: Bool) -> String {
        var s = pointBlocks(series) + xRange(series.flatMap(\.x))
        let style = markers ? "linespoints ps 0.9" : "lines"
        s += "plot " + series.indices.map { i in
            "$d\(i) using 1:2 with \(style) lt \(i % 10 + 1) \(Self.title(series[i].name))"
        }.joined(separator: ", \\\n     ") + "\n"
        return s
    }

    func scatter(_ series: [Plot.Series]) -> String {
        var s = pointBlocks(series) + xRange(series.flatMap(\.x))
        let total = series.reduce(0) { $0 + $1.x.count }
        let size = total > 2000 ? 0.5 : 0.9
        s += "plot " + series.indices.map { i in
            // '#40rrggbb': 25 % transparent, so dense clouds show their overlap.
            let color = "#40" + Self.colors[i % 10].dropFirst()
            return "$d\(i) using 1:2 with points pt \(Self.pointTypes[i % 10]) ps \(size) lc rgb '\(color)' \(Self.title(series[i].name))"
        }.joined(separator: ", \\\n     ") + "\n"
        return s
    }

    func density(_ series: [Plot.Series]) -> String {
        var s = pointBlocks(series)
        let xs = series.flatMap(\.x).filter(\.isFinite)
        if let lo = xs.min(), let hi = xs.max(), lo < hi { s += "set xrange [\(Self.number(lo)):\(Self.number(hi))]\n" }
        if !plot.logY { s += zeroBasedYRange(series.flatMap(\.y)) }
        var parts: [String] = []
        for i in series.indices {
            // A light fill under one or two curves; more would mix into mud.
            if !plot.logY && series.count <= 2 {
                parts.append("$d\(i) using 1:2 with filledcurves y=0 fs transparent solid 0.12 noborder lt \(i % 10 + 1) notitle")
            }
            parts.append("$d\(i) using 1:2 with lines lt \(i % 10 + 1) \(Self.title(series[i].name))")
        }
        return s + "plot " + parts.joined(separator: ", \\\n     ") + "\n"
    }

    func histogram(_ h: Plot.Histogram) -> String {
        var s = ""
        for (i, heights) in h.heights.enumerated() {
            s += "$d\(i) << EOD\n"
            for (b, y) in heights.enumerated() {
                let left = h.edges[b], right = h.edges[b + 1]
                s += "\(Self.number((left + right) / 2)) \(Self.number(y)) \(Self.number(right - left))\n"
            }
            s += "EOD\n"
        }
        if let lo = h.edges.first, let hi = h.edges.last {
            s += "set xrange [\(Self.number(lo)):\(Self.number(hi))]\n"
        }
        if !plot.logY { s += zeroBasedYRange(h.heights.flatMap { $0 }) }
        // One series: filled bars. Several: step outlines, which stay readable where they overlap.
        s += "set style fill transparent solid 0.7 border\n"
        s += "plot " + h.heights.indices.map { i in
            h.heights.count == 1
                ? "$d\(i) using 1:2:3 with boxes lt \(i % 10 + 1) lw 1 \(Self.title(h.names[i]))"
                : "$d\(i) using 1:2 with histeps lt \(i % 10 + 1) lw 2 \(Self.title(h.names[i]))"
        }.joined(separator: ", \\\n     ") + "\n"
        return s
    }

    func bars(_ categories: [String], _ allSeries: [Plot.BarSeries]) -> String {
        let series = allSeries.filter { !$0.marker }, markers = allSeries.filter(\.marker)
        let m = Double(max(1, series.count))
        let barWidth = 0.8 / m
        var s = ""
        for (j, marker) in markers.enumerated() {
            s += "$m\(j) << EOD\n"
            for (i, value) in marker.values.enumerated() { s += "\(i) \(Self.number(value))\n" }
            s += "EOD\n"
        }
        for (j, bar) in series.enumerated() {
            s += "$d\(j) << EOD\n"
            for (i, value) in bar.values.enumerated() {
                let x = Double(i) + (Double(j) - (m - 1) / 2) * barWidth
                let error = bar.errors.map { abs($0[i]) }.flatMap { $0 > 0 ? $0 : nil } ?? .nan
                s += "\(Self.number(x)) \(Self.number(value)) \(Self.number(error))\n"
            }
            s += "EOD\n"
        }
        s += "set xrange [-0.6:\(Self.number(Double(categories.count) - 0.4))]\n"
        let slot = barAreaWidth(allSeries.map(\.name)) / Double(categories.count)
        s += "set xtics (\(Self.tics(categories))) scale 0 \(xticRotation(categories, slot: slot, font: fontSize))\n"
        let tops = allSeries.flatMap { bar in bar.values.indices.map { bar.values[$0] + abs(bar.errors?[$0] ?? 0) } }
        let values = allSeries.flatMap(\.values).filter(\.isFinite)
        if let range = plot.yRange {
            s += "set yrange [\(Self.number(range.lowerBound)):\(Self.number(range.upperBound))]\n"
        } else if !plot.logY {
            if values.allSatisfy({ $0 >= 0 }) { s += zeroBasedYRange(tops) } else { s += "set xzeroaxis lt -1 lc rgb '#404040'\n" }
        }
        s += "set style fill solid 0.85 border lc rgb 'white'\n"
        var parts: [String] = []
        for (j, bar) in series.enumerated() {
            parts.append("$d\(j) using 1:2:(\(Self.number(barWidth))) with boxes lt \(j % 10 + 1) lw 1 \(Self.title(bar.name))")
        }
        for (j, bar) in series.enumerated() where bar.errors != nil {
            // Vectors with flat heads: gnuplot's yerrorbars punch a background-coloured hole at the point.
            parts.append("$d\(j) using 1:($2-$3):(0):(2*$3) with vectors heads size screen 0.007,90 "
                         + "lc rgb '#303030' lw 1.2 notitle")
        }
        // Markers: a dark line across the whole group at the level, with a point at its centre.
        for (j, marker) in markers.enumerated() {
            parts.append("$m\(j) using ($1-0.42):2:(0.84):(0) with vectors nohead lc rgb '#202020' lw 1.5 dt \(j + 1) notitle")
            parts.append("$m\(j) using 1:2 with points pt \(Self.markerPoints[j % Self.markerPoints.count]) ps 1.6 "
                         + "lc rgb '#202020' \(Self.title(marker.name))")
        }
        return s + "plot " + parts.joined(separator: ", \\\n     ") + "\n"
    }

    func heatmap(_ m: Plot.Matrix) -> String {
        let rows = m.rowLabels.count, cols = m.columnLabels.count
        var s = "$cells << EOD\n"
        for r in 0..<rows {
            s += (0..<cols).map { Self.number(m.value(row: r, column: $0)) }.joined(separator: " ") + "\n"
        }
        s += "EOD\n"
        let finite = m.values.filter(\.isFinite)
        let palette = m.resolvedPalette
        var range = m.colorRange ?? ((finite.min() ?? 0)...(finite.max() ?? 1))
        if m.colorRange == nil && palette == .diverging {
            let bound = max(abs(range.lowerBound), abs(range.upperBound))
            range = -bound...bound
        }
        if !(range.upperBound > range.lowerBound) { range = (range.lowerBound - 0.5)...(range.upperBound + 0.5) }

        let layout = heatmapLayout(m)
        if layout.square { s += "set size ratio -1\n" }
        s += "set border 15 lc rgb '#404040'\n"
        s += "set tics scale 0 textcolor rgb '#202020'\n"
        s += "set xrange [-0.5:\(Self.number(Double(cols) - 0.5))]\n"
        s += "set yrange [\(Self.number(Double(rows) - 0.5)):-0.5]\n"
        // NaN cells are not drawn: a grey ground tells them from any colour of either palette.
        s += "set object 1 rectangle from graph 0,0 to graph 1,1 behind fillcolor rgb '#b0b0b0' fillstyle solid noborder\n"
        let ticFont = Self.quote(",\(Self.number(layout.ticFont))")
        s += "set xtics (\(Self.tics(m.columnLabels))) \(layout.rotation) font \(ticFont)\n"
        s += "set ytics (\(Self.tics(m.rowLabels))) font \(ticFont)\n"
        s += "set cbrange [\(Self.number(range.lowerBound)):\(Self.number(range.upperBound))]\n"
        s += "set cbtics scale 0.5 out nomirror\n"
        if !m.colorLabel.isEmpty { s += "set cblabel \(Self.quote(m.colorLabel))\n" }
        switch palette {
        case .diverging:
            s += "set palette defined (0 '#3b4cc0', 0.25 '#8db0fe', 0.5 '#f7f7f7', 0.75 '#f4987a', 1 '#b40426')\n"
        case .auto, .sequential:
            s += "set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')\n"
        }
        s += "unset key\n"
        var plotParts = ["$cells matrix with image notitle"]
        if m.annotate {
            let samples = finite.map { String(format: "%.\(m.decimals)f", $0) }
            let widest = Double(samples.map(\.count).max() ?? 4)
            // DejaVu Sans digits are about 0.64 em wide; leave a margin in the cell.
            let size = min(fontSize, layout.cellWidth * 0.8 / (widest * 0.64), layout.cellHeight * 0.6)
            if size >= 6 {
                s += "$labels << EOD\n"
                for r in 0..<rows {
                    for col in 0..<cols {
                        let v = m.value(row: r, column: col)
                        guard v.isFinite else { continue }
                        let t = max(0, min(1, (v - range.lowerBound) / (range.upperBound - range.lowerBound)))
                        // Light text on the dark ends of each palette.
                        let dark = palette == .diverging ? abs(t - 0.5) > 0.32 : t < 0.55
                        s += "\(col) \(r) \"\(String(format: "%.\(m.decimals)f", v))\" \(dark ? 0xFFFFFF : 0x000000)\n"
                    }
                }
                s += "EOD\n"
                plotParts.append("$labels using 1:2:3:4 with labels tc rgb variable font \(Self.quote(",\(Self.number(size))")) notitle")
            }
        }
        return s + "plot " + plotParts.joined(separator: ", \\\n     ") + "\n"
    }

    /// Estimated cell size (pixels), tick font and x tick rotation of a heatmap: the figure less
    /// title, labels, tick labels and colour bar. Two passes, since the margins depend on the font.
    func heatmapLayout(_ m: Plot.Matrix) -> (cellWidth: Double, cellHeight: Double, ticFont: Double,
                                              square: Bool, rotation: String) {
        let rows = Double(m.rowLabels.count), cols = Double(m.columnLabels.count)
        let aspect = rows / cols
        let square = aspect >= 1.0 / 3 && aspect <= 3
        let rowChars = Double(m.rowLabels.map(\.count).max() ?? 0)
        let colChars = Double(m.columnLabels.map(\.count).max() ?? 0)
        let fs = fontSize
        var ticFont = fs, rotation = "", cellW = 0.0, cellH = 0.0
        for _ in 0..<2 {
            // Margins measured on gnuplot 5.4 figures, in units of the font size.
            let left = rowChars * Self.charWidth * ticFont + (plot.yLabel.isEmpty ? 5 : 7) * fs
            let right = (m.colorLabel.isEmpty ? 8.5 : 12) * fs
            let top = (plot.title.isEmpty ? 1.5 : 5) * fs
            let labels: Double
            switch rotation {
            case "": labels = 1.8 * ticFont
            case "rotate by 45 right": labels = colChars * Self.charWidth * ticFont * 0.71 + 1.5 * ticFont
            default: labels = colChars * Self.charWidth * ticFont + ticFont
            }
            let bottom = labels + (plot.xLabel.isEmpty ? 0 : 2.5 * fs) + fs
            cellW = max(1, Double(plot.width) - left - right) / cols
            cellH = max(1, Double(plot.height) - top - bottom) / rows
            if square { cellW = min(cellW, cellH); cellH = cellW }
            ticFont = min(fs, max(6, (rotation == "rotate by 90 right" ? min(cellH, cellW) : cellH) / 1.35))
            rotation = xticRotation(m.columnLabels, slot: cellW, font: ticFont)
        }
        return (cellW, cellH, ticFont, square, rotation)
    }

    // MARK: - Helpers

    /// DejaVu Sans's average advance, in em, for estimating label widths.
    static let charWidth = 0.7

    /// One data block per series: `x y` lines.
    func pointBlocks(_ series: [Plot.Series]) -> String {
        var s = ""
        for (i, item) in series.enumerated() {
            s += "$d\(i) << EOD\n"
            for (x, y) in zip(item.x, item.y) {
                // Points a log axis cannot show are left out rather than warned about.
                let hidden = (plot.logX && !(x > 0)) || (plot.logY && !(y > 0))
                s += hidden ? "NaN NaN\n" : "\(Self.number(x)) \(Self.number(y))\n"
            }
            s += "EOD\n"
        }
        return s
    }

    /// A y range from 0 to 5 % above the largest value (gnuplot's autoscale would stretch it to
    /// the next tick, up to 20 % of empty space).
    func zeroBasedYRange(_ values: [Double]) -> String {
        guard let top = values.filter(\.isFinite).max(), top > 0 else { return "set yrange [0:*]\n" }
        return "set yrange [0:\(Self.number(top * 1.05))]\n"
    }

    /// An x range 2 % wider than the data on each side (in log space on a log axis).
    func xRange(_ xs: [Double]) -> String {
        let usable = xs.filter { $0.isFinite && (!plot.logX || $0 > 0) }
        guard let lo = usable.min(), let hi = usable.max() else { return "" }
        if plot.logX {
            let a = log10(lo), b = log10(hi), pad = max(b - a, 0.5) * 0.02
            return "set xrange [\(Self.number(pow(10, a - pad))):\(Self.number(pow(10, b + pad)))]\n"
        }
        let pad = hi > lo ? (hi - lo) * 0.02 : max(abs(lo) * 0.05, 0.5)
        return "set xrange [\(Self.number(lo - pad)):\(Self.number(hi + pad))]\n"
    }

    /// Rotation of categorical x tick labels: none while they fit their slots (pixels per
    /// label), then 45 degrees, then 90 when even slanted labels would touch.
    func xticRotation(_ labels: [String], slot: Double, font: Double) -> String {
        let widest = Double(labels.map(\.count).max() ?? 0) * font * Self.charWidth
        if widest <= slot * 0.85 { return "" }
        if font * 1.6 <= slot { return "rotate by 45 right" }
        return "rotate by 90 right"
    }

    /// `'a' 0, 'b' 1, ...` for a `set xtics (...)` list.
    static func tics(_ labels: [String]) -> String {
        labels.enumerated().map { "\(quote($1)) \($0)" }.joined(separator: ", ")
    }

    /// A gnuplot single-quoted string: only `'` needs escaping (doubled); line breaks and other
    /// control characters become spaces, since a script line cannot contain them.
    static func quote(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            if scalar == "'" { out += "''" } else if scalar.value < 0x20 || scalar.value == 0x7F { out += " " } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    /// A number gnuplot reads back exactly; NaN for anything not finite (a gap).
    static func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "NaN" }
}
