/// The numbers behind a figure, as tables in long ("tidy") form, and the checks a plot passes
/// before it is drawn.
///
/// | kind | table | columns |
/// | --- | --- | --- |
/// | line, scatter | `series` | series, x, y |
/// | density | `series` | series, x, density |
/// | bar | `bars` | category, series, value, error (NaN without error bars) |
/// | heatmap | `cells` | row, column, value (row-major: row 0 first) |
/// | histogram | `bins` | series, bin_left, bin_right, count / fraction / density |
/// | histogram | `summary` | series, count, mean, std, min, max (of the raw values) |
///
/// Long form keeps any series or label names out of column names, so every table has the same
/// columns whatever is plotted; `pandas.DataFrame.pivot` gives the wide form.
extension Plot {
    public var dataTables: [(name: String, table: DataTable)] {
        // Columns built here have equal lengths and fixed unique names.
        func table(_ columns: [DataTable.Column]) -> DataTable { DataTable(checkedColumns: columns) }
        switch content {
        case let .line(series), let .scatter(series):
            return [("series", table(Plot.pointColumns(series, y: "y")))]
        case let .density(series):
            return [("series", table(Plot.pointColumns(series, y: "density")))]
        case let .bar(categories, series):
            var category: [String] = [], name: [String] = [], value: [Double] = [], error: [Double] = []
            for s in series {
                for (i, c) in categories.enumerated() where i < s.values.count {
                    category.append(c)
                    name.append(s.name)
                    value.append(s.values[i])
                    error.append(s.errors.flatMap { i < $0.count ? $0[i] : nil } ?? .nan)
                }
            }
            return [("bars", table([.strings("category", category), .strings("series", name),
                                    .numbers("value", value), .numbers("error", error)]))]
        case let .heatmap(m):
            var rows: [String] = [], columns: [String] = [], values: [Double] = []
            for (r, rowLabel) in m.rowLabels.enumerated() {
                for (c, columnLabel) in m.columnLabels.enumerated() where r * m.columnLabels.count + c < m.values.count {
                    rows.append(rowLabel)
                    columns.append(columnLabel)
                    values.append(m.value(row: r, column: c))
                }
            }
            return [("cells", table([.strings("row", rows), .strings("column", columns), .numbers("value", values)]))]
        case let .histogram(h):
            var name: [String] = [], left: [Double] = [], right: [Double] = [], height: [Double] = []
            for (s, heights) in zip(h.summaries, h.heights) {
                for (i, y) in heights.enumerated() where i + 1 < h.edges.count {
                    name.append(s.name)
                    left.append(h.edges[i])
                    right.append(h.edges[i + 1])
                    height.append(y)
                }
            }
            let bins = table([.strings("series", name), .numbers("bin_left", left), .numbers("bin_right", right),
                              .numbers(h.normalization.rawValue, height)])
            let s = h.summaries
            let summary = table([.strings("series", s.map(\.name)), .numbers("count", s.map { Double($0.count) }),
                                 .numbers("mean", s.map(\.mean)), .numbers("std", s.map(\.std)),
                                 .numbers("min", s.map(\.min)), .numbers("max", s.map(\.max))])
            return [("bins", bins), ("summary", summary)]
        }
    }

    static func pointColumns(_ series: [Series], y yName: String) -> [DataTable.Column] {
        var name: [String] = [], x: [Double] = [], y: [Double] = []
        for s in series {
            let n = min(s.x.count, s.y.count)
            name.append(contentsOf: repeatElement(s.name, count: n))
            x.append(contentsOf: s.x.prefix(n))
            y.append(contentsOf: s.y.prefix(n))
        }
        return [.strings("series", name), .numbers("x", x), .numbers(yName, y)]
    }
}

extension Plot {
    /// Checks that the plot can be drawn: matching lengths, something to draw, log scales on
    /// axes that have positive values, a sensible size. Errors say which series or label.
    public func validate() throws {
        guard (64...16384).contains(width), (64...16384).contains(height) else {
            throw SeedloraError("plot size \(width)x\(height) pixels: each side must be between 64 and 16384")
        }
        switch content {
        case let .line(series), let .scatter(series), let .density(series):
            guard !series.isEmpty else { throw SeedloraError("\(kind) plot has no series; nothing to draw") }
            for s in series where s.x.count != s.y.count {
                throw SeedloraError("series '\(s.name)' has \(s.x.count) x values but \(s.y.count) y values")
            }
            guard series.contains(where: { !$0.x.isEmpty }) else {
                throw SeedloraError("\(kind) plot has only empty series; nothing to draw")
            }
            if logX { try requirePositive(series.flatMap(\.x), axis: "x") }
            if logY { try requirePositive(series.flatMap(\.y), axis: "y") }
        case let .bar(categories, series):
            guard !categories.isEmpty, !series.isEmpty else {
                throw SeedloraError("bar chart needs at least one category and one series")
            }
            for s in series {
                guard s.values.count == categories.count else {
                    throw SeedloraError("bar series '\(s.name)' has \(s.values.count) values but there are "
                                        + "\(categories.count) categories")
                }
                if let errors = s.errors, errors.count != categories.count {
                    throw SeedloraError("bar series '\(s.name)' has \(errors.count) error values but there are "
                                        + "\(categories.count) categories")
                }
            }
            if logX { throw SeedloraError("a log scale on x does not apply to a bar chart (its x axis is categories)") }
            if logY { try requirePositive(series.flatMap(\.values), axis: "y") }
        case let .heatmap(m):
            guard !m.rowLabels.isEmpty, !m.columnLabels.isEmpty else { throw SeedloraError("heatmap has no cells") }
            guard m.values.count == m.rowLabels.count * m.columnLabels.count else {
                throw SeedloraError("heatmap has \(m.values.count) values but \(m.rowLabels.count) rows x "
                                    + "\(m.columnLabels.count) columns")
            }
            guard (0...12).contains(m.decimals) else {
                throw SeedloraError("heatmap annotations take 0 to 12 decimals, got \(m.decimals)")
            }
            if let r = m.colorRange, !(r.lowerBound < r.upperBound && r.lowerBound.isFinite && r.upperBound.isFinite) {
                throw SeedloraError("heatmap colour range \(r) must be finite and not empty")
            }
            if logX || logY { throw SeedloraError("log scales do not apply to a heatmap (its axes are labels)") }
        case let .histogram(h):
            guard h.edges.count >= 2, h.heights.allSatisfy({ $0.count == h.edges.count - 1 }),
                  h.heights.count == h.summaries.count
            else { throw SeedloraError("histogram has \(h.edges.count) edges; expected one more edge than bins per series") }
            if logX { throw SeedloraError("a log scale on x does not apply to a histogram (its bins are equal in x); "
                                          + "log y shows small counts") }
            if logY { try requirePositive(h.heights.flatMap { $0 }, axis: "y") }
        }
    }

    private func requirePositive(_ values: [Double], axis: String) throws {
        guard values.contains(where: { $0 > 0 && $0.isFinite }) else {
            throw SeedloraError("\(kind) plot has a log scale on \(axis) but no positive \(axis) values to draw")
        }
    }
}
