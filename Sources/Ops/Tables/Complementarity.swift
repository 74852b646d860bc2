import Foundation

/// How complementary n models are on the same items: per subdomain and overall, each model's
/// score, the oracle (an item counts when any model gets it right), the majority (more than half
/// of the models right), the headroom (oracle minus the best model: the most a perfect selector or
/// merge could add), and for each pair the discordant items with McNemar's exact p-value.
///
/// Input: one samples table per model (`Samples.read`), with `doc_id` (and `task`, when every
/// table has it, so multi-file reads of several subtasks match per task) and a 0/1 metric column.
/// Items are matched by key; every model must have exactly the same items.
public struct Complementarity {
    /// subdomain, n, one column per model, oracle, majority, best, headroom (fractions in [0, 1]).
    public let scores: DataTable
    /// subdomain, first, second, only_first, only_second, both, neither, p_value.
    public let pairs: DataTable

    public static let reservedNames: Set<String> = ["subdomain", "n", "oracle", "majority", "best", "headroom"]
    public static let overall = "all"

    struct Key: Hashable {
        let task: String
        let id: Double
    }

    public init(models: [(name: String, table: DataTable)], by: String? = nil, metric: String = "exact_match") throws {
        guard models.count >= 2 else {
            throw SeedloraError("complementarity needs the samples of at least two models, got \(models.count)")
        }
        var seenNames = Set<String>()
        for (name, _) in models {
            guard !Self.reservedNames.contains(name) else {
                throw SeedloraError("model name '\(name)' is a column of the result; choose another name")
            }
            guard seenNames.insert(name).inserted else { throw SeedloraError("two models are named '\(name)'; names must differ") }
        }
        let useTask = models.allSatisfy { $0.table.strings("task") != nil }
        let keyed = try models.map { try Self.keys($0.name, $0.table, useTask: useTask) }
        let reference = keyed[0]
        for (m, model) in models.enumerated().dropFirst() {
            try Self.checkSameItems(models[0].name, reference, model.name, keyed[m])
        }
        // correct[m][i]: model m right on item i (items in the first model's order).
        var correct: [[Bool]] = []
        for (m, model) in models.enumerated() {
            let values = try Self.metricValues(model.name, model.table, metric: metric)
            let index = keyed[m].index
            var row = [Bool](repeating: false, count: reference.order.count)
            for (i, key) in reference.order.enumerated() {
                guard let r = index[key] else { continue }  // checked above: every key is present
                let x = values[r]
                guard x == 0 || x == 1 else {
                    throw SeedloraError("samples '\(model.name)': \(metric) is \(x) at doc_id \(Self.format(key.id)); "
                                        + "complementarity needs a 0/1 metric per item (exact_match, acc)")
                }
                row[i] = x == 1
            }
            correct.append(row)
        }
        let groups = try Self.subdomains(models, by: by, order: reference.order, index: keyed.map(\.index))
        let names = models.map(\.name)
        let result = try Self.tables(names: names, correct: correct, groups: groups)
        scores = result.0
        pairs = result.1
    }

    // MARK: items

    struct Keyed {
        var order: [Key] = []
        var index: [Key: Int] = [:]
    }

    static func keys(_ name: String, _ table: DataTable, useTask: Bool) throws -> Keyed {
        guard let ids = table.numbers("doc_id") else {
            throw SeedloraError("samples '\(name)' have no numeric doc_id column (columns: "
                                + table.columnNames.joined(separator: ", ") + "); read them with read_samples")
        }
        let tasks = useTask ? table.strings("task") : nil
        var keyed = Keyed()
        keyed.order.reserveCapacity(ids.count)
        keyed.index.reserveCapacity(ids.count)
        for (r, id) in ids.enumerated() {
            guard id.isFinite else { throw SeedloraError("samples '\(name)' have a missing doc_id (row \(r + 1))") }
            let key = Key(task: tasks?[r] ?? "", id: id)
            guard keyed.index.updateValue(r, forKey: key) == nil else {
                throw SeedloraError("samples '\(name)' have doc_id \(format(id))\(key.task.isEmpty ? "" : " of task \(key.task)") twice "
                                    + "(lm-eval writes one line per filter: read_samples(path, filter=\"none\") keeps one)")
            }
            keyed.order.append(key)
        }
        return keyed
    }

    static func checkSameItems(_ firstName: String, _ first: Keyed, _ name: String, _ other: Keyed) throws {
        let missing = first.order.filter { other.index[$0] == nil }
        let extra = other.order.filter { first.index[$0] == nil }
        guard missing.isEmpty && extra.isEmpty else {
            var parts: [String] = []
            if !missing.isEmpty { parts.append("'\(name)' lacks \(missing.count) doc_id(s) that '\(firstName)' has: \(list(missing))") }
            if !extra.isEmpty { parts.append("'\(name)' has \(extra.count) doc_id(s) that '\(firstName)' lacks: \(list(extra))") }
            throw SeedloraError("the models' samples cover different items: " + parts.joined(separator: "; ")
                                + " (complementarity compares the same items, matched by doc_id)")
        }
    }

    static func list(_ keys: [Key]) -> String {
        let shown = keys.prefix(5).map { ($0.task.isEmpty ? "" : $0.task + ":") + format($0.id) }.joined(separator: ", ")
        return keys.count > 5 ? shown + ", ..." : shown
    }

    static func format(_ x: Double) -> String {
        x.rounded() == x && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    static func metricValues(_ name: String, _ table: DataTable, metric: String) throws -> [Double] {
        guard let values = table.numbers(metric) else {
            let numeric = table.columns.filter { $0.numbers != nil && $0.name != "doc_id" && !$0.name.hasPrefix("doc.") }.map(\.name)
            throw SeedloraError("samples '\(name)' have no numeric column '\(metric)' (metrics here: "
                                + (numeric.isEmpty ? "none" : numeric.joined(separator: ", ")) + "); pass metric=")
        }
        return values
    }

    /// (label, item indices) per subdomain in sorted order, then all items.
    static func subdomains(_ models: [(name: String, table: DataTable)], by: String?, order: [Key],
                           index: [[Key: Int]]) throws -> [(String, [Int])] {
        let everything = [(overall, Array(order.indices))]
        guard let by else { return everything }
        func labels(_ m: Int) -> [String]? {
            guard let column = models[m].table[by] else { return nil }
            let rows = order.map { index[m][$0] ?? 0 }
            switch column.values {
            case let .numbers(v): return rows.map { format(v[$0]) }
            case let .strings(v): return rows.map { v[$0] }
            }
        }
        guard let reference = labels(0) else {
            throw SeedloraError("samples '\(models[0].name)' have no column '\(by)' (columns: "
                                + models[0].table.columnNames.joined(separator: ", ") + ")")
        }
        for m in models.indices.dropFirst() {
            guard let other = labels(m) else { continue }
            if let i = reference.indices.first(where: { reference[$0] != other[$0] }) {
                throw SeedloraError("'\(by)' differs between '\(models[0].name)' (\(reference[i])) and '\(models[m].name)' "
                                    + "(\(other[i])) at doc_id \(format(order[i].id)); the models must share their items")
            }
        }
        var members: [String: [Int]] = [:]
        for (i, label) in reference.enumerated() { members[label, default: []].append(i) }
        let numeric = members.keys.allSatisfy { Double($0) != nil }
        let sorted = members.keys.sorted { numeric ? (Double($0) ?? 0) < (Double($1) ?? 0) : $0 < $1 }
        return sorted.map { ($0, members[$0] ?? []) } + everything
    }

    // MARK: statistics

    static func tables(names: [String], correct: [[Bool]], groups: [(String, [Int])]) throws -> (DataTable, DataTable) {
        let n = names.count
        var label: [String] = [], size: [Double] = []
        var modelScores = [[Double]](repeating: [], count: n)
        var oracle: [Double] = [], majority: [Double] = [], best: [Double] = [], headroom: [Double] = []
        var pairLabel: [String] = [], first: [String] = [], second: [String] = []
        var onlyFirst: [Double] = [], onlySecond: [Double] = [], both: [Double] = [], neither: [Double] = [], p: [Double] = []
        for (name, items) in groups {
            let count = Double(items.count)
            label.append(name)
            size.append(count)
            var right = [Int](repeating: 0, count: n)
            var any = 0, most = 0
            for i in items {
                var k = 0
                for m in 0..<n where correct[m][i] {
                    right[m] += 1
                    k += 1
                }
                if k > 0 { any += 1 }
                if 2 * k > n { most += 1 }
            }
            let scores = right.map { Double($0) / count }
            for m in 0..<n { modelScores[m].append(scores[m]) }
            oracle.append(Double(any) / count)
            majority.append(Double(most) / count)
            let top = scores.max() ?? .nan
            best.append(top)
            headroom.append(Double(any) / count - top)
            for a in 0..<n {
                for b in (a + 1)..<n {
                    var counts = (0, 0, 0, 0)
                    for i in items {
                        switch (correct[a][i], correct[b][i]) {
                        case (true, false): counts.0 += 1
                        case (false, true): counts.1 += 1
                        case (true, true): counts.2 += 1
                        case (false, false): counts.3 += 1
                        }
                    }
                    pairLabel.append(name)
                    first.append(names[a])
                    second.append(names[b])
                    onlyFirst.append(Double(counts.0))
                    onlySecond.append(Double(counts.1))
                    both.append(Double(counts.2))
                    neither.append(Double(counts.3))
                    p.append(McNemar.exactPValue(onlyFirst: counts.0, onlySecond: counts.1))
                }
            }
        }
        let scores = try DataTable(columns: [.strings("subdomain", label), .numbers("n", size)]
                                   + zip(names, modelScores).map { DataTable.Column.numbers($0, $1) }
                                   + [.numbers("oracle", oracle), .numbers("majority", majority), .numbers("best", best),
                                      .numbers("headroom", headroom)])
        let pairs = try DataTable(columns: [.strings("subdomain", pairLabel), .strings("first", first), .strings("second", second),
                                            .numbers("only_first", onlyFirst), .numbers("only_second", onlySecond),
                                            .numbers("both", both), .numbers("neither", neither), .numbers("p_value", p)])
        return (scores, pairs)
    }
}
