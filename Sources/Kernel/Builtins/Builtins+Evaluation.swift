import Ops

/// Per-item evaluation results from Seed: `read_samples` (lm-evaluation-harness `--log_samples`
/// files) and `complementarity` (how n models' right answers overlap, per subdomain). The
/// statistics live in Ops (`Samples`, `Complementarity`, `McNemar`); docs/plots.md explains them.
enum EvaluationBuiltins {
    static var all: [Builtin] { [
        Builtin("read_samples(path, filter=nil)", .results,
                "Reads lm-evaluation-harness --log_samples JSONL (a file or a glob) into a table: doc_id, filter, each metric, doc.* fields.",
                example: "s = read_samples(\"examples/toy-math/eval-subdomains/samples/samples_add4_seed11.jsonl\")") { args, interp in
            let given = try args.string(0)
            let filter = try args.optionalString(1)
            return .table(seedTable(try readSamples(given, filter: filter, interp: interp, span: args.spans[0])))
        },
        Builtin("complementarity(*samples, by=nil, metric=\"exact_match\", names=nil)", .results,
                "Per subdomain (column by) and overall: each model's score, oracle, majority, headroom; per pair the items only one gets right and McNemar's exact p.",
                example: "c = complementarity({\"seed 11\": s11, \"seed 42\": s42}, by=\"doc.carries\")") { args, interp in
            let models = try models(args, interp: interp)
            let by = try args.optionalString(0)
            let metric = try args.string(1)
            do {
                let result = try Complementarity(models: models, by: by, metric: metric)
                return .dict(DictRef([("scores", .table(seedTable(result.scores))),
                                      ("pairs", .table(seedTable(result.pairs)))]))
            } catch let error as SeedloraError {
                throw BuiltinError("complementarity: \(error.message)", span: args.callSpan)
            }
        },
    ] }

    static func readSamples(_ given: String, filter: String?, interp: Interpreter, span: Span?) throws -> DataTable {
        let path = try interp.resolvePath(given)
        interp.recorder.noteRead(path)
        do {
            return try Samples.read(path, filter: filter)
        } catch let error as SeedloraError {
            throw BuiltinError(error.description, span: span)
        }
    }

    /// The (name, samples) pairs of `complementarity`'s arguments: tables or samples paths, given
    /// one by one or as one dict name -> table/path; `names=` overrides the names.
    static func models(_ args: Args, interp: Interpreter) throws -> [(name: String, table: DataTable)] {
        var given: [(String?, Value)] = []
        if args.rest.count == 1, case let .dict(d) = args.rest[0] {
            for (key, value) in d.pairs {
                guard case let .string(name) = key else { throw BuiltinError("complementarity: a dict of samples needs string names (model -> table)", span: args.callSpan) }
                given.append((name, value))
            }
        } else {
            given = args.rest.map { (nil, $0) }
        }
        var names: [String]?
        if !args.isNil(2) {
            names = try args.list(2).map { value in
                guard case let .string(s) = value else { throw args.bad(2, "a list of model names (strings)") }
                return s
            }
            guard names?.count == given.count else {
                throw args.bad(2, "\(given.count) names (one per samples table)", got: "\(names?.count ?? 0)")
            }
        }
        var out: [(name: String, table: DataTable)] = []
        for (i, (key, value)) in given.enumerated() {
            let table: DataTable
            var name = key ?? "model \(i + 1)"
            switch value {
            case let .table(t):
                table = try dataTable(t, index: i, span: args.callSpan)
            case let .string(path):
                table = try readSamples(path, filter: nil, interp: interp, span: args.callSpan)
                if key == nil { name = sampleName(path) }
            default:
                throw BuiltinError("complementarity: samples #\(i + 1) is \(Args.describe(value)); expected a table from "
                                   + "read_samples or a samples path", span: args.callSpan)
            }
            out.append((names?[i] ?? name, table))
        }
        return out
    }

    /// A table for Seed: a numeric column whose values are all whole numbers (ids, counts,
    /// 0/1 metrics) holds ints, so they print and compare as such; other numbers stay floats.
    ///
    /// The table is taken over: each column is released once converted, so a samples table of a
    /// million rows does not exist twice.
    static func seedTable(_ data: consuming DataTable) -> Table {
        let names = data.columnNames
        var rows = [[Value]](repeating: [], count: data.rowCount)
        var columns = data.columns
        _ = consume data
        for r in rows.indices { rows[r].reserveCapacity(columns.count) }
        for c in columns.indices {
            let column = columns[c]
            columns[c] = .numbers(column.name, [])
            switch column.values {
            case let .numbers(v):
                let whole = v.allSatisfy { $0.rounded() == $0 && abs($0) < 9e15 }
                for (i, x) in v.enumerated() { rows[i].append(whole ? .int(Int(x)) : .float(x)) }
            case let .strings(v):
                for (i, s) in v.enumerated() { rows[i].append(.string(s)) }
            }
        }
        return Table(columns: names, rows: rows)
    }

    /// `samples_add4_seed11.jsonl` -> `add4_seed11`.
    static func sampleName(_ path: String) -> String {
        var name = FilePaths.split(path).name
        if name.hasSuffix(".jsonl") { name.removeLast(6) }
        if name.hasPrefix("samples_") { name.removeFirst(8) }
        return name
    }

    /// A Seed table as columns: a column of numbers, booleans and nils is numeric (nil = NaN),
    /// one of strings (and nils, as "") is text; a mix is an error.
    static func dataTable(_ table: Table, index: Int, span: Span) throws -> DataTable {
        var columns: [DataTable.Column] = []
        for (c, name) in table.columns.enumerated() {
            var numbers: [Double] = [], strings: [String] = []
            var isText: Bool?
            for row in table.rows {
                let value = c < row.count ? row[c] : .nil
                switch value {
                case .nil:
                    numbers.append(.nan)
                    strings.append("")
                case let .string(s) where isText != false:
                    isText = true
                    strings.append(s)
                default:
                    guard let x = value.asDouble, isText != true else {
                        throw BuiltinError("complementarity: column '\(name)' of samples #\(index + 1) mixes \(value.typeName) with "
                                           + "other kinds; a samples table has columns of numbers or of strings", span: span)
                    }
                    isText = false
                    numbers.append(x)
                }
            }
            columns.append(isText == true ? .strings(name, strings) : .numbers(name, numbers))
        }
        do {
            return try DataTable(columns: columns)
        } catch let error as SeedloraError {
            throw BuiltinError("complementarity: samples #\(index + 1): \(error.message)", span: span)
        }
    }
}
