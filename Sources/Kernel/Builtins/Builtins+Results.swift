import Ops

/// The results store from Seed (`save`, `load_result`, `results`) and evaluation results
/// (`read_results`). Layout of the store: docs/store.md.
enum ResultsBuiltins {
    static var all: [Builtin] { [
        Builtin("save(value, name)", .results,
                "Saves a number, string, tensor, table or list of them in the results store under a name like \"group/name\".",
                example: "save(cosine([a, b]), \"fig2/cosine\")") { args, interp in
            let name = try args.string(1)
            if Recorder.isInternal(name) {
                throw args.bad(1, "a name outside \(Recorder.internalPrefixes.map { "\"\($0)\"" }.joined(separator: " and ")) (kept for the cell runner)",
                               got: "\"\(name)\"")
            }
            guard let (stored, _) = ValueCodec.encode(args[0]), !isReference(args[0]) else {
                throw args.bad(0, "a number, string, bool, tensor, table, or a list or dict of them")
            }
            let value: StoreValue
            if case let .dict(d) = args[0] {
                // A dict of scalars is saved as a two-column table (key, value) readable from h5py.
                guard let table = dictTable(d) else { throw args.bad(0, "a dict of numbers or strings") }
                value = .table(table)
            } else {
                value = stored
            }
            do {
                try interp.recorder.save(name, value, defaultDirectory: interp.workingDirectory, script: interp.currentScript)
            } catch let error as SeedloraError {
                throw BuiltinError("save: \(error.description)", span: args.spans[1])
            }
            return .nil
        },
        Builtin("load_result(name)", .results,
                "The newest stored value named name (from save, a cell, or a figure's data); a value saved earlier in the running cell is readable at once.",
                example: "load_result(\"fig2/cosine\")") { args, interp in
            let name = try args.string(0)
            // Saved in this cell: committed when the cell ends, readable now.
            if let pending = interp.recorder.pendingValue(name) { return value(of: pending) }
            do {
                let store = try interp.recorder.store(defaultDirectory: interp.workingDirectory)
                let known = try userNames(store, interp: interp, all: Recorder.isInternal(name))
                guard known.contains(name) else {
                    let hint = Suggest.closest(to: name, in: known).map { "; did you mean '\($0)'?" } ?? ""
                    throw BuiltinError("load_result: no stored value named '\(name)'\(hint)"
                                       + (known.isEmpty ? " (nothing is stored yet)" : " (stored: \(known.joined(separator: ", ")))"),
                                       span: args.spans[0])
                }
                return value(of: try store.load(name: name))
            } catch let error as SeedloraError {
                throw BuiltinError("load_result: \(error.description)", span: args.spans[0])
            }
        },
        Builtin("results(all=false)", .results,
                "A table of the stored values: name, kind, shape, cell, commit (nil for a value saved in the running cell, committed when it ends). all=true also lists the cell runner's own entries (vars/..., run/...).",
                example: "print(results())") { args, interp in
            let all = try args.bool(0)
            do {
                let store = try interp.recorder.store(defaultDirectory: interp.workingDirectory)
                let pending = interp.recorder.pending ?? []
                let pendingNames = Set(pending.map(\.0))
                var rows: [[Value]] = try store.results().filter { (all || !Recorder.isInternal($0.name)) && !pendingNames.contains($0.name) }.map { info in
                    [.string(info.name), .string(info.kind.rawValue), .list(info.shape.map { .int($0) }),
                     .int(info.cell), .int(info.commit)]
                }
                for (name, stored) in pending {
                    rows.append([.string(name), .string(stored.kind.rawValue), .list(stored.shape.map { .int($0) }), .nil, .nil])
                }
                rows.sort { a, b in
                    if case let .string(x) = a[0], case let .string(y) = b[0] { return x < y }
                    return false
                }
                return .table(Table(columns: ["name", "kind", "shape", "cell", "commit"], rows: rows))
            } catch let error as SeedloraError {
                throw BuiltinError("results: \(error.description)")
            }
        },
        Builtin("table(columns)", .results, "A table from a dict of equally long column lists, in the dict's order.",
                example: "print(table({\"x\": [1, 2], \"y\": [\"a\", \"b\"]}))") { args, _ in
            guard case let .dict(d) = args[0] else { throw args.bad(0, "a dict of column name -> list") }
            var names: [String] = [], columns: [[Value]] = []
            for (key, value) in d.pairs {
                guard case let .string(name) = key else { throw args.bad(0, "string column names") }
                guard case let .list(l) = value else { throw args.bad(0, "a list for column '\(name)'") }
                names.append(name)
                columns.append(l.items)
            }
            let count = columns.first?.count ?? 0
            guard columns.allSatisfy({ $0.count == count }) else {
                throw args.bad(0, "columns of equal length", got: names.indices.map { "\(names[$0]): \(columns[$0].count)" }.joined(separator: ", "))
            }
            return .table(Table(columns: names, rows: (0..<count).map { r in columns.map { $0[r] } }))
        },
        Builtin("read_results(path, groups=false)", .results,
                "Reads lm-evaluation-harness results JSON (a file or a directory of them) or a CSV file into a table; groups=true: one row per group, subtask and metric.",
                example: "t = read_results(\"Tests/Fixtures/toy-math-eval\")") { args, interp in
            let given = try args.string(0)
            let path = try interp.resolvePath(given)
            interp.recorder.noteRead(path)
            do {
                if try args.bool(1) { return .table(table(try EvalResults.readGroups(path))) }
                return .table(table(try EvalResults.read(path)))
            } catch let error as SeedloraError {
                throw BuiltinError(error.description, span: args.spans[0])
            }
        },
    ] }

    /// The stored names a user sees (the cell runner's own with `all`), and those saved in the running cell.
    static func userNames(_ store: ResultStore, interp: Interpreter, all: Bool) throws -> [String] {
        let stored = try store.results().map(\.name).filter { all || !Recorder.isInternal($0) }
        let pending = (interp.recorder.pending ?? []).map(\.0)
        return Array(Set(stored + pending)).sorted()
    }

    static func isReference(_ value: Value) -> Bool {
        if case .adapter = value { return true }
        return false
    }

    static func dictTable(_ d: DictRef) -> StoreTable? {
        var keys: [String] = [], numbers: [Double] = [], strings: [String] = []
        for (k, v) in d.pairs {
            guard case let .string(key) = k else { return nil }
            keys.append(key)
            switch v {
            case let .string(s): strings.append(s)
            default:
                guard let x = v.asDouble else { return nil }
                numbers.append(x)
            }
        }
        if strings.isEmpty { return try? StoreTable([("key", .strings(keys)), ("value", .numbers(numbers))]) }
        if numbers.isEmpty { return try? StoreTable([("key", .strings(keys)), ("value", .strings(strings))]) }
        return nil
    }

    /// A store value as a Seed value (without a type descriptor: lists stay lists).
    static func value(of stored: StoreValue) -> Value {
        switch stored {
        case let .integer(i): return .int(Int(i))
        case let .number(x): return .float(x)
        case let .bool(b): return .bool(b)
        case let .string(s): return .string(s)
        case let .tensor(t, _): return .tensor(t)
        case let .list(items): return .list(items.map(value(of:)))
        case let .table(t):
            return (try? ValueCodec.decode(stored, descriptor: "T")) ?? .table(Table(columns: t.columns.map(\.name), rows: []))
        }
    }

    static func table(_ data: DataTable) -> Table {
        var rows = [[Value]](repeating: [], count: data.rowCount)
        for column in data.columns {
            switch column.values {
            case let .numbers(v): for (i, x) in v.enumerated() where i < rows.count { rows[i].append(.float(x)) }
            case let .strings(v): for (i, s) in v.enumerated() where i < rows.count { rows[i].append(.string(s)) }
            }
        }
        return Table(columns: data.columns.map(\.name), rows: rows)
    }

    static func storeTable(_ data: DataTable) throws -> StoreTable {
        try StoreTable(data.columns.map { column in
            switch column.values {
            case let .numbers(v): return (column.name, .numbers(v))
            case let .strings(v): return (column.name, .strings(v))
            }
        })
    }
}
