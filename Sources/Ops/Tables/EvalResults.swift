/// Evaluation scores read into a `DataTable`, for score comparisons (per-task bars, methods).
///
/// `read(path)` accepts:
/// - an lm-evaluation-harness results file (`{"results": {task: {"acc,none": 0.71,
///   "acc_stderr,none": 0.01, "alias": ...}}, ...}`): one row;
/// - a directory of such files: one row per `*.json` file, in file-name order;
/// - a CSV file (RFC 4180, see `CSV`): its header and rows as they are.
///
/// A results row has a string column `model` (the file name without `.json`) and one numeric
/// column per task and metric, named `task/metric` (`add4/exact_match`,
/// `add4/exact_match_stderr`); a filter other than lm-eval's default `none` stays in the name
/// (`gsm8k/exact_match,strict-match`). Entries of `groups` (aggregates such as `mmlu`) are read like
/// tasks. `"N/A"` (a stderr lm-eval could not compute) and tasks a file lacks read as NaN; other
/// text (`alias`) is skipped.
public enum EvalResults {
    public static func read(_ path: String) throws -> DataTable {
        if FilePaths.isDirectory(path) { return try readDirectory(path) }
        guard FilePaths.exists(path) else {
            throw SeedloraError(.io, path: path, "no such file or directory (expected lm-evaluation-harness "
                                + "results JSON, a directory of them, or a CSV file)")
        }
        if path.lowercased().hasSuffix(".json") || firstByte(path) == UInt8(ascii: "{") {
            return try table([(modelName(FilePaths.split(path).name), try metrics(path))])
        }
        return try CSV.read(path: path)
    }

    /// One row per `*.json` file of `directory`; other files (a summary CSV) are ignored.
    static func readDirectory(_ directory: String) throws -> DataTable {
        let files = try FilePaths.list(directory).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        guard !files.isEmpty else {
            throw SeedloraError(path: directory, "no .json files here; expected lm-evaluation-harness results, "
                                + "one <model>.json per model")
        }
        return try table(files.map { (modelName($0), try metrics(directory + "/" + $0)) })
    }

    static func modelName(_ fileName: String) -> String {
        fileName.hasSuffix(".json") ? String(fileName.dropLast(5)) : fileName
    }

    /// The (column, value) pairs of one results file, in file order.
    static func metrics(_ path: String) throws -> [(String, Double)] {
        let json = try JSON.read(path: path)
        guard let results = json["results"]?.objectValue else {
            throw SeedloraError(path: path, "expected lm-evaluation-harness results: a JSON object with a \"results\" "
                                + "object of tasks ({\"results\": {\"task\": {\"acc,none\": 0.5}}})")
        }
        var out: [(String, Double)] = []
        var seen = Set<String>()
        let groups = json["groups"]?.objectValue ?? []
        for (task, entry) in results + groups {
            guard let fields = entry.objectValue else {
                throw SeedloraError(path: path, "results.\(task): expected an object of metrics "
                                    + "(\"acc,none\": 0.5, ...), found \(describe(entry))")
            }
            for (key, value) in fields {
                let number: Double
                switch value {
                case let .number(n): number = n
                case .string("N/A"), .null: number = .nan
                default: continue
                }
                let name = columnName(task: task, key: key)
                if seen.insert(name).inserted { out.append((name, number)) }
            }
        }
        return out
    }

    /// `task/metric`, keeping a filter other than `none`.
    static func columnName(task: String, key: String) -> String {
        if key.hasSuffix(",none") { return "\(task)/\(key.dropLast(5))" }
        return "\(task)/\(key)"
    }

    /// Rows of (model, metrics) into columns; a metric a row lacks is NaN.
    static func table(_ rows: [(String, [(String, Double)])]) throws -> DataTable {
        var order: [String] = []
        var index: [String: Int] = [:]
        for (_, metrics) in rows {
            for (name, _) in metrics where index[name] == nil {
                index[name] = order.count
                order.append(name)
            }
        }
        var values = [[Double]](repeating: [Double](repeating: .nan, count: rows.count), count: order.count)
        for (r, (_, metrics)) in rows.enumerated() {
            for (name, value) in metrics { if let c = index[name] { values[c][r] = value } }
        }
        // Metric names contain a '/', so none collides with "model".
        return try DataTable(columns: [.strings("model", rows.map(\.0))]
                             + zip(order, values).map { DataTable.Column.numbers($0, $1) })
    }

    static func describe(_ json: JSON) -> String {
        switch json {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    static func firstByte(_ path: String) -> UInt8? {
        guard let file = try? MappedFile(path: path) else { return nil }
        return file.withBytes(0..<file.size) { bytes in bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } }
    }
}
