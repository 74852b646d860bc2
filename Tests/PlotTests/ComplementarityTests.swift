import Foundation
import Ops
import Testing
import TestSupport

/// Per-subdomain complementarity of the three toy-math seeds, against the numbers of the
/// eval-subdomains README (percentages rounded to 0.1 points, so a tolerance of 0.05 points;
/// counts exact; p-values to three significant digits and to 1e-9 of the exact values).
struct ComplementarityTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/eval-subdomains/samples"
    static let seeds = ["seed11", "seed42", "seed202"]

    static func seedSamples() throws -> [(name: String, table: DataTable)] {
        try seeds.map { ($0, try Samples.read(dir + "/samples_add4_\($0).jsonl")) }
    }

    @Test func readmeNumbers() throws {
        let result = try Complementarity(models: try Self.seedSamples(), by: "doc.carries", metric: "exact_match")
        let scores = result.scores
        #expect(scores.columnNames == ["subdomain", "n", "seed11", "seed42", "seed202", "oracle", "majority", "best", "headroom"])
        #expect(scores.strings("subdomain") == ["0", "1", "2", "3", "4", "all"])
        #expect(scores.numbers("n") == [175, 542, 716, 420, 147, 2000])
        let expected: [String: [Double]] = [
            "seed11": [98.9, 97.2, 96.4, 97.9, 97.3, 97.20],
            "seed42": [94.3, 93.5, 93.4, 97.1, 98.0, 94.65],
            "seed202": [97.7, 93.4, 94.4, 96.4, 96.6, 95.00],
            "oracle": [100.0, 99.8, 99.3, 99.5, 98.6, 99.50],
            "majority": [98.9, 97.2, 96.2, 98.6, 98.6, 97.40],
        ]
        for (column, percents) in expected {
            let got = try #require(scores.numbers(column))
            for (i, (value, percent)) in zip(got, percents).enumerated() {
                #expect(abs(100 * value - percent) <= 0.05 + 1e-9, "\(column) row \(i): \(100 * value) vs \(percent)")
            }
        }
        let all = try #require(scores.numbers("headroom")?.last)
        #expect(abs(all - (0.995 - 0.972)) < 1e-12)

        let pairs = result.pairs
        let overall = try #require(pairs.strings("subdomain")).indices.filter { pairs.strings("subdomain")?[$0] == "all" }
        #expect(overall.count == 3)
        let first = try #require(pairs.strings("first")), second = try #require(pairs.strings("second"))
        let b = try #require(pairs.numbers("only_first")), c = try #require(pairs.numbers("only_second"))
        let p = try #require(pairs.numbers("p_value"))
        let readme: [(String, String, Double, Double, Double, Double)] = [
            ("seed11", "seed42", 93, 42, 1.35e-5, 1.3469767191590419e-05),
            ("seed11", "seed202", 75, 31, 2.30e-5, 2.2954512916817195e-05),
            ("seed42", "seed202", 67, 74, 0.614, 0.6135127096954134),
        ]
        for (r, (x, y, onlyX, onlyY, threeDigits, exact)) in zip(overall, readme) {
            #expect(first[r] == x && second[r] == y)
            #expect(b[r] == onlyX && c[r] == onlyY, "\(x) vs \(y): \(b[r]) / \(c[r])")
            #expect(Self.threeSignificant(p[r]) == threeDigits, "\(x) vs \(y): p = \(p[r])")
            #expect(abs(p[r] - exact) <= 1e-9 * exact)
        }
        // Per subdomain the discordant counts add up to the overall ones.
        for (r, _) in zip(overall, readme) {
            let parts = pairs.strings("subdomain")!.indices.filter { first[$0] == first[r] && second[$0] == second[r] && $0 != r }
            #expect(parts.count == 5 && parts.map { b[$0] }.reduce(0, +) == b[r] && parts.map { c[$0] }.reduce(0, +) == c[r])
        }
    }

    static func threeSignificant(_ x: Double) -> Double {
        let scale = pow(10, 2 - floor(log10(x)))
        return (x * scale).rounded() / scale
    }

    /// The same rows as in the samples, under other names and without the first rows.
    static func dropping(_ table: DataTable, rows: Set<Int>) throws -> DataTable {
        try DataTable(columns: table.columns.map { column in
            switch column.values {
            case let .numbers(v): return .numbers(column.name, v.enumerated().filter { !rows.contains($0.offset) }.map(\.element))
            case let .strings(v): return .strings(column.name, v.enumerated().filter { !rows.contains($0.offset) }.map(\.element))
            }
        })
    }

    @Test func mismatchedDocIDsNameTheMissingOnes() throws {
        var models = try Self.seedSamples()
        models[1].table = try Self.dropping(models[1].table, rows: Set([3, 17, 18, 19, 20, 21, 400]))
        let error = try #require(throws: SeedloraError.self) { try Complementarity(models: models, by: "doc.carries") }
        #expect(error.description.contains("'seed42' lacks 7 doc_id(s) that 'seed11' has: 3, 17, 18, 19, 20, ..."), "\(error)")
    }

    @Test func otherBadInputs() throws {
        let models = try Self.seedSamples()
        let noMetric = try #require(throws: SeedloraError.self) { try Complementarity(models: models, metric: "acc") }
        #expect(noMetric.description.contains("no numeric column 'acc'") && noMetric.description.contains("exact_match"))
        let noColumn = try #require(throws: SeedloraError.self) { try Complementarity(models: models, by: "doc.digits") }
        #expect(noColumn.description.contains("no column 'doc.digits'"))
        let one = try #require(throws: SeedloraError.self) { try Complementarity(models: Array(models.prefix(1))) }
        #expect(one.description.contains("at least two"))
        // A non-0/1 metric (doc.a as the metric) is refused, naming the item.
        let graded = try #require(throws: SeedloraError.self) { try Complementarity(models: models, metric: "doc.a") }
        #expect(graded.description.contains("doc_id 0") && graded.description.contains("0/1"))
        // A repeated doc_id (two filters' lines) is refused.
        let doubled = try DataTable(columns: [.numbers("doc_id", [0, 0]), .numbers("exact_match", [1, 0])])
        let twice = try #require(throws: SeedloraError.self) {
            try Complementarity(models: [("a", doubled), ("b", doubled)])
        }
        #expect(twice.description.contains("doc_id 0") && twice.description.contains("filter"))
    }

    /// Without by=, one overall row; majority of two models means both right.
    @Test func smallHandComputedCase() throws {
        let a = try DataTable(columns: [.numbers("doc_id", [0, 1, 2, 3]), .numbers("exact_match", [1, 1, 0, 0])])
        let b = try DataTable(columns: [.numbers("doc_id", [3, 2, 1, 0]), .numbers("exact_match", [0, 1, 0, 1])])
        let result = try Complementarity(models: [("a", a), ("b", b)])
        #expect(result.scores.strings("subdomain") == ["all"])
        #expect(result.scores.numbers("a") == [0.5] && result.scores.numbers("b") == [0.5])
        #expect(result.scores.numbers("oracle") == [0.75] && result.scores.numbers("majority") == [0.25])
        #expect(result.scores.numbers("headroom") == [0.25])
        #expect(result.pairs.numbers("only_first") == [1] && result.pairs.numbers("only_second") == [1])
        #expect(result.pairs.numbers("both") == [1] && result.pairs.numbers("neither") == [1])
        #expect(result.pairs.numbers("p_value") == [1])
    }
}
