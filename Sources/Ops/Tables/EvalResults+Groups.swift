/// lm-evaluation-harness results of a benchmark with subtasks (MMLU, or any group), in long form.
///
/// lm-eval writes each subtask's metrics under `results`, the group's aggregate under `groups`
/// (and usually `results` too), and which subtasks make a group under `group_subtasks`
/// (`{"add4": ["add4_carries0", ...], "gsm8k": []}`: a plain task lists none). Nested groups
/// (mmlu -> mmlu_stem -> mmlu_anatomy) give one set of rows per group.
///
/// One row per (model, group, subtask, metric): the subtasks in `group_subtasks` order, then
/// the group's own aggregate with `subtask` = the group's name. `metric` is lm-eval's key
/// without `,none` (another filter stays: `exact_match,strict-match`); `stderr` is the matching
/// `<metric>_stderr` entry, NaN when absent or "N/A".
extension EvalResults {
    public static let groupColumns = ["model", "group", "subtask", "metric", "value", "stderr"]

    /// A results file, or a directory of `<model>.json` files (name order), in long form.
    public static func readGroups(_ path: String) throws -> DataTable {
        let files: [(model: String, path: String)]
        if FilePaths.isDirectory(path) {
            let names = try FilePaths.list(path).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            guard !names.isEmpty else {
                throw SeedloraError(path: path, "no .json files here; expected lm-evaluation-harness results, one <model>.json per model")
            }
            files = names.map { (modelName($0), path + "/" + $0) }
        } else {
            guard FilePaths.exists(path) else {
                throw SeedloraError(.io, path: path, "no such file or directory (expected lm-evaluation-harness results JSON)")
            }
            files = [(modelName(FilePaths.split(path).name), path)]
        }
        var rows = GroupRows()
        for file in files { try groupRows(file.path, model: file.model, into: &rows) }
        return try DataTable(columns: [.strings("model", rows.model), .strings("group", rows.group),
                                       .strings("subtask", rows.subtask), .strings("metric", rows.metric),
                                       .numbers("value", rows.value), .numbers("stderr", rows.stderr)])
    }

    struct GroupRows {
        var model: [String] = [], group: [String] = [], subtask: [String] = [], metric: [String] = []
        var value: [Double] = [], stderr: [Double] = []
    }

    static func groupRows(_ path: String, model: String, into rows: inout GroupRows) throws {
        let json = try parseJSON(path)
        guard let results = json["results"]?.objectValue else {
            throw SeedloraError(path: path, "expected lm-evaluation-harness results: a JSON object with a \"results\" object of tasks")
        }
        let groups = (json["group_subtasks"]?.objectValue ?? []).filter { !($0.1.arrayValue ?? []).isEmpty }
        guard !groups.isEmpty else {
            throw SeedloraError(path: path, "no groups: \"group_subtasks\" is missing or lists no subtasks (lm-eval writes it "
                                + "for a benchmark with subtasks, such as mmlu); read this file without groups=true")
        }
        let aggregates = json["groups"]?.objectValue ?? []
        for (group, list) in groups {
            var members: [(String, [(String, JSON)])] = []
            for item in list.arrayValue ?? [] {
                guard let name = item.stringValue else {
                    throw SeedloraError(path: path, "group_subtasks.\(group): expected a list of task names, found \(describe(item))")
                }
                guard let entry = lookup(results, name) ?? lookup(aggregates, name), let fields = entry.objectValue else {
                    throw SeedloraError(path: path, "group '\(group)' lists subtask '\(name)', but \"results\" has no object for it")
                }
                members.append((name, fields))
            }
            // The aggregate: results.<group> has the stderr lm-eval computed; groups.<group> may lack it.
            if let entry = lookup(results, group) ?? lookup(aggregates, group), let fields = entry.objectValue {
                members.append((group, fields))
            }
            for (subtask, fields) in members {
                for (metric, value, stderr) in metricPairs(fields) {
                    rows.model.append(model)
                    rows.group.append(group)
                    rows.subtask.append(subtask)
                    rows.metric.append(metric)
                    rows.value.append(value)
                    rows.stderr.append(stderr)
                }
            }
        }
    }

    static func lookup(_ pairs: [(String, JSON)], _ key: String) -> JSON? { pairs.first { $0.0 == key }?.1 }

    /// (metric, value, stderr) of one task's entry: every numeric key that is not a stderr.
    static func metricPairs(_ fields: [(String, JSON)]) -> [(String, Double, Double)] {
        func number(_ json: JSON?) -> Double? {
            switch json {
            case let .number(n)?: return n
            case .string("N/A")?, .null?: return .nan
            default: return nil
            }
        }
        var out: [(String, Double, Double)] = []
        for (key, json) in fields {
            guard let value = number(json) else { continue }
            let parts = key.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]), filter = parts.count > 1 ? String(parts[1]) : nil
            if name.hasSuffix("_stderr") { continue }
            let stderrKey = name + "_stderr" + (filter.map { "," + $0 } ?? "")
            let stderr = number(lookup(fields, stderrKey)) ?? .nan
            out.append((filter == nil || filter == "none" ? name : key, value, stderr))
        }
        return out
    }

    static func parseJSON(_ path: String) throws -> JSON {
        let file = try MappedFile(path: path)
        do {
            return try file.withBytes(0..<file.size) { try JSON.parse($0) }
        } catch let error as JSONParseError {
            throw SeedloraError(path: path, "not valid JSON: \(error)")
        }
    }
}
