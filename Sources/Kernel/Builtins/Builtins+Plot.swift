import Ops

/// `plot(...)` makes a figure value; `savefig` (or `plot(..., file=)`) draws it with gnuplot as
/// PNG and SVG and saves the plotted numbers in the results store under `figures/<file name>/`
/// (one table per `Plot.dataTables` entry, and `path`: the figure's path as given).
enum PlotBuiltins {
    static let plotSignature = "plot(kind, data=nil, x=nil, y=nil, title=\"\", xlabel=\"\", ylabel=\"\", legend=\"topright\", "
        + "logx=false, logy=false, rows=nil, columns=nil, bins=40, annotate=false, range=nil, errors=nil, "
        + "width=800, height=600, file=nil, markers=nil)"

    static var all: [Builtin] { [
        Builtin(plotSignature, .results,
                "A figure: kind \"line\", \"scatter\", \"bar\", \"heatmap\", \"histogram\" or \"density\" (the data each takes: docs/language.md); file= also saves it.",
                example: "f = plot(\"line\", y={\"seed 42\": [3, 2, 1]}, title=\"spectrum\", logy=true)") { args, interp in
            let figure = FigureValue(plot: try PlotArguments(args).plot())
            if let file = try args.optionalString("file") {
                try save(figure, file, interp: interp, span: try args.span("file"))
            }
            return .figure(figure)
        },
        Builtin("savefig(figure, path)", .results,
                "Draws a figure into path (.png also writes .svg and vice versa; .pdf alone) and stores its data as figures/<file name>.",
                example: "savefig(f, \"figures/spectrum.png\")") { args, interp in
            guard case let .figure(figure) = args[0] else { throw args.bad(0, "figure (from plot)") }
            try save(figure, try args.string(1), interp: interp, span: args.spans[1] ?? args.callSpan)
            return .nil
        },
    ] }

    /// Renders `figure` to `given` (and its PNG/SVG twin) and saves the data tables.
    static func save(_ figure: FigureValue, _ given: String, interp: Interpreter, span: Span) throws {
        let path = try interp.resolvePath(given)
        let format: GnuplotRenderer.Format
        do { format = try GnuplotRenderer.Format(path: path) } catch let error as SeedloraError {
            throw BuiltinError(error.description, span: span)
        }
        let stem = String(path.dropLast(format.rawValue.count + 1))
        var targets = [path]
        if format == .png { targets.append(stem + ".svg") }
        if format == .svg { targets.append(stem + ".png") }
        let renderer = GnuplotRenderer()
        do {
            try FilePaths.makeDirectories(FilePaths.split(path).dir)
            for target in targets {
                try renderer.render(figure.plot, to: target)
                interp.recorder.noteWrite(target)
                figure.files.append(target)
            }
            let name = "figures/" + dataName(given)
            try interp.recorder.save(name + "/path", .string(given), defaultDirectory: interp.workingDirectory, script: interp.currentScript)
            for (table, data) in figure.plot.dataTables {
                try interp.recorder.save(name + "/" + table, .table(try ResultsBuiltins.storeTable(data)),
                                         defaultDirectory: interp.workingDirectory, script: interp.currentScript)
            }
        } catch let error as SeedloraError {
            throw BuiltinError(error.description, span: span)
        }
    }

    /// The store name of a figure's data: its file name without the extension (`figures/x.png`
    /// -> `x`), with a leading dot replaced.
    static func dataName(_ path: String) -> String {
        var name = FilePaths.split(path).name
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        if name.hasPrefix(".") { name = "_" + name.dropFirst() }
        return name.isEmpty ? "figure" : name
    }
}
