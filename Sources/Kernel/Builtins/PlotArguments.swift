import Ops

/// Turns the arguments of `plot(...)` into a `Plot`.
///
/// | kind | data |
/// | --- | --- |
/// | line, scatter | `y=` a list/tensor or a dict name -> list (or -> {"x": ..., "y": ...}); `x=` shared x values; or `data=` a table with `x=` and `y=` column names |
/// | bar | `x=` category names and `y=` a list or a dict series -> list; or `data=` a table with `x=` a string column and `y=` one or more numeric columns; `errors=` like `y`; `markers=` like `y`, drawn as a level over each group; `range=[lo, hi]` the y axis |
/// | heatmap | `data=` a 2-D tensor or list of lists, `rows=`/`columns=` labels, `annotate=`, `range=[lo, hi]` |
/// | histogram, density | `data=` a tensor, list, delta or adapter, or a dict name -> one of those; `bins=`, `range=` |
struct PlotArguments {
    let args: Args
    init(_ args: Args) { self.args = args }

    func plot() throws -> Plot {
        let kindName = try args.string("kind")
        guard let kind = Plot.Kind(rawValue: kindName) else {
            throw args.bad("kind", Plot.Kind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "), got: "\"\(kindName)\"")
        }
        let content: Plot.Content
        do {
            switch kind {
            case .line: content = .line(try series())
            case .scatter: content = .scatter(try series())
            case .bar: content = try bars()
            case .heatmap: content = .heatmap(try matrix())
            case .histogram:
                content = .histogram(try Plot.Histogram(try samples(), bins: try args.int("bins"), range: try range()))
            case .density:
                content = .density(try Plot.densityCurves(try samples(), range: try range()))
            }
        } catch let error as SeedloraError {
            throw BuiltinError("plot: \(error.message)", span: args.callSpan)
        }
        let legendName = try args.string("legend").lowercased()
        let legend = legendName == "none" ? Plot.Legend.hidden
            : Plot.Legend.allCases.first { $0.rawValue.lowercased() == legendName }
        guard let legend else {
            throw args.bad("legend", "one of " + (["none"] + Plot.Legend.allCases.map { $0.rawValue.lowercased() }).joined(separator: ", "))
        }
        let width = try args.int("width"), height = try args.int("height")
        guard (100...8000).contains(width) else { throw args.bad("width", "a width from 100 to 8000 pixels") }
        guard (100...8000).contains(height) else { throw args.bad("height", "a height from 100 to 8000 pixels") }
        var result = Plot(content, title: try args.string("title"), xLabel: try args.string("xlabel"), yLabel: try args.string("ylabel"),
                          legend: legend, logX: try args.bool("logx"), logY: try args.bool("logy"), width: width, height: height)
        if kind == .heatmap || (kind == .bar && result.logX) { result.logX = false }
        if kind == .bar { result.yRange = try range() }
        // One unnamed series (y=[...]) needs no legend.
        if Self.seriesNames(content).allSatisfy(\.isEmpty) { result.legend = .hidden }
        return result
    }

    static func seriesNames(_ content: Plot.Content) -> [String] {
        switch content {
        case let .line(s), let .scatter(s), let .density(s): return s.map(\.name)
        case let .bar(_, s): return s.map(\.name)
        case let .histogram(h): return h.names
        case .heatmap: return ["heatmap"]
        }
    }

    // MARK: conversions

    /// Numbers of a list, tensor, delta or adapter (all modules).
    func numbers(_ value: Value, _ parameter: String) throws -> [Double] {
        switch value {
        case let .tensor(t): return t.data.map(Double.init)
        case let .delta(d): return d.form.dense.data.map(Double.init)
        case let .adapter(a): return a.modules.flatMap { $0.form.dense.data.map(Double.init) }
        case let .list(l):
            // A list of tensors or deltas is their elements, one after another.
            if l.items.allSatisfy({ switch $0 { case .tensor, .delta: return true; default: return false } }), !l.items.isEmpty {
                return try l.items.flatMap { try numbers($0, parameter) }
            }
            return try l.items.map { item in
                guard let x = item.asDouble else { throw args.bad(parameter, "a list of numbers", got: "a list holding \(item.typeNameWithArticle)") }
                return x
            }
        case let .range(a, b, s):
            guard Ranges.count(a, b, s) <= args.limits.collectionCount else {
                throw args.bad(parameter, "a range of at most \(args.limits.collectionCount) numbers", got: "\(Ranges.count(a, b, s)) numbers")
            }
            return Ranges.elements(a, b, s).compactMap(\.asDouble)
        default: throw args.bad(parameter, "a list of numbers or a tensor")
        }
    }

    func strings(_ value: Value, _ parameter: String) throws -> [String] {
        guard case let .list(l) = value else { throw args.bad(parameter, "a list of labels") }
        return l.items.map { if case let .string(s) = $0 { return s }; return Printer.repr($0) }
    }

    /// (name, value) pairs of a dict, or one unnamed entry.
    func named(_ value: Value) -> [(String, Value)] {
        if case let .dict(d) = value {
            return d.pairs.map { (k, v) in (({ if case let .string(s) = k { return s }; return Printer.repr(k) })(), v) }
        }
        return [("", value)]
    }

    func tableColumn(_ table: Table, _ parameter: String) throws -> [String] {
        switch try args.value(parameter) {
        case let .string(s): return [s]
        case let .list(l): return try l.items.map { guard case let .string(s) = $0 else { throw args.bad(parameter, "column names") }; return s }
        default: throw args.bad(parameter, "a column name of the data table")
        }
    }

    func column(_ table: Table, _ name: String, _ parameter: String) throws -> [Value] {
        guard let values = table.column(name) else {
            throw args.bad(parameter, "a column of the table (\(table.columns.joined(separator: ", ")))", got: "\"\(name)\"")
        }
        return values
    }

    // MARK: kinds

    func series() throws -> [Plot.Series] {
        if case let .table(table) = try args.value("data") {
            guard let xName = try tableColumn(table, "x").first else { throw args.bad("x", "a column name") }
            let xs = try numbers(.list(try column(table, xName, "x")), "x")
            return try tableColumn(table, "y").map { name in
                Plot.Series(name: name, x: xs, y: try numbers(.list(try column(table, name, "y")), "y"))
            }
        }
        guard try !args.isNil("y") else { throw args.bad("y", "the y values (a list, tensor or dict of them)") }
        let sharedX = try args.isNil("x") ? nil : try numbers(try args.value("x"), "x")
        return try named(try args.value("y")).map { name, value in
            if case let .dict(d) = value, let x = d.get(.string("x")), let y = d.get(.string("y")) {
                return Plot.Series(name: name, x: try numbers(x, "y"), y: try numbers(y, "y"))
            }
            let ys = try numbers(value, "y")
            if let sharedX {
                guard sharedX.count == ys.count else {
                    throw args.bad("x", "\(ys.count) x values (one per y\(name.isEmpty ? "" : " of '\(name)'"))", got: "\(sharedX.count)")
                }
                return Plot.Series(name: name, x: sharedX, y: ys)
            }
            return Plot.Series(name: name, y: ys)
        }
    }

    func bars() throws -> Plot.Content {
        if case let .table(table) = try args.value("data") {
            guard let xName = try tableColumn(table, "x").first else { throw args.bad("x", "a column name") }
            let categories = try column(table, xName, "x").map { if case let .string(s) = $0 { return s }; return Printer.repr($0) }
            let series = try tableColumn(table, "y").map { name in
                Plot.BarSeries(name: name, values: try numbers(.list(try column(table, name, "y")), "y"))
            }
            let markers: [Plot.BarSeries] = try args.isNil("markers") ? [] : try tableColumn(table, "markers").map { name in
                Plot.BarSeries(name: name, values: try numbers(.list(try column(table, name, "markers")), "markers"), marker: true)
            }
            return .bar(categories: categories, series: series + markers)
        }
        let categories = try strings(try args.value("x"), "x")
        let errors = try args.isNil("errors") ? [:] : Dictionary(try named(try args.value("errors")).map { ($0.0, try numbers($0.1, "errors")) },
                                                            uniquingKeysWith: { a, _ in a })
        let series = try named(try args.value("y")).map { name, value in
            let values = try numbers(value, "y")
            guard values.count == categories.count else {
                throw args.bad("y", "\(categories.count) values per series (one per category)", got: "\(values.count) in '\(name)'")
            }
            return Plot.BarSeries(name: name, values: values, errors: errors[name])
        }
        let markers: [Plot.BarSeries] = try args.isNil("markers") ? [] : try named(try args.value("markers")).map { name, value in
            let values = try numbers(value, "markers")
            guard values.count == categories.count else {
                throw args.bad("markers", "\(categories.count) values per marker series (one per category)", got: "\(values.count) in '\(name)'")
            }
            return Plot.BarSeries(name: name, values: values, marker: true)
        }
        return .bar(categories: categories, series: series + markers)
    }

    func matrix() throws -> Plot.Matrix {
        let rows: [[Double]]
        switch try args.value("data") {
        case let .tensor(t) where t.rank == 2:
            rows = (0..<t.rows).map { r in t.data[r * t.cols..<(r + 1) * t.cols].map(Double.init) }
        case let .list(l): rows = try l.items.map { try numbers($0, "data") }
        default: throw args.bad("data", "a 2-D tensor or a list of lists of numbers")
        }
        let columnCount = rows.first?.count ?? 0
        let rowLabels = try args.isNil("rows") ? rows.indices.map(String.init) : try strings(try args.value("rows"), "rows")
        let columnLabels = try args.isNil("columns") ? (0..<columnCount).map(String.init) : try strings(try args.value("columns"), "columns")
        // Counts annotate as "93", not "93.00".
        let whole = rows.joined().allSatisfy { !$0.isFinite || $0.rounded() == $0 }
        return try Plot.Matrix(values: rows, rowLabels: rowLabels, columnLabels: columnLabels,
                               annotate: try args.bool("annotate"), decimals: whole ? 0 : 2, colorRange: try range())
    }

    func samples() throws -> [Plot.Sample] {
        guard try !args.isNil("data") else { throw args.bad("data", "the values (a tensor, list, adapter, or a dict of them)") }
        return try named(try args.value("data")).map { name, value in
            if case let .tensor(t) = value { return Plot.Sample(name: name, tensor: t) }
            return Plot.Sample(name: name, values: try numbers(value, "data"))
        }
    }

    func range() throws -> ClosedRange<Double>? {
        guard try !args.isNil("range") else { return nil }
        let bounds = try numbers(try args.value("range"), "range")
        guard bounds.count == 2, bounds[0] < bounds[1], bounds.allSatisfy(\.isFinite) else {
            throw args.bad("range", "[lo, hi] with lo < hi")
        }
        return bounds[0]...bounds[1]
    }
}
