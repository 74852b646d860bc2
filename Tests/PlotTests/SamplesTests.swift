import Foundation
import Ops
import Testing
import TestSupport

/// lm-evaluation-harness `--log_samples` JSONL into compact columns; every malformed line is an
/// error naming the file and line.
struct SamplesTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/eval-subdomains/samples"

    static func write(_ text: String, name: String = "samples_t.jsonl", in dir: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func toyMathSeedSamples() throws {
        let table = try Samples.read(Self.dir + "/samples_add4_seed11.jsonl")
        #expect(table.columnNames == ["doc_id", "filter", "exact_match", "doc.a", "doc.b", "doc.carries"])
        #expect(table.rowCount == 2000)
        #expect(table.numbers("doc_id") == (0..<2000).map(Double.init))
        #expect(table.strings("filter") == Array(repeating: "none", count: 2000))
        let right = try #require(table.numbers("exact_match"))
        #expect(right.reduce(0, +) == 1944)  // 97.20 % of 2,000 (README)
        let carries = try #require(table.numbers("doc.carries"))
        #expect((0...4).map { k in carries.filter { $0 == Double(k) }.count } == [175, 542, 716, 420, 147])
        // First line: {"doc_id": 0, "doc": {"a": 5548, "b": 7614, "carries": 3}, ...}
        #expect(table.numbers("doc.a")?.first == 5548 && table.numbers("doc.b")?.first == 7614 && carries.first == 3)
    }

    @Test func aMalformedLineNamesTheFileAndLine() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "samples")
        defer { FilePaths.removeTree(dir) }
        let good = #"{"doc_id": 0, "doc": {"x": 1}, "metrics": ["acc"], "acc": 1.0}"#
        let cases: [(String, String)] = [
            (#"{"doc_id": 2, "doc": {"x": 1}, "acc": 1.0,}"#, "member name"),                     // trailing comma
            (#"{"doc_id": 2, "acc": 01}"#, "leading zero"),
            (#"{"doc_id": 2, "acc": 1.}"#, "digits after its decimal point"),
            (#"{"doc_id": 2, "doc": {"q": "a\qb"}}"#, "invalid escape"),
            ("{\"doc_id\": 2, \"doc\": {\"q\": \"a\tb\"}}", "control character"),
            (#"{"doc_id": 2, "acc": 1} {"doc_id": 3}"#, "text after the JSON object"),
            (#"{"doc_id": 2, "doc": {"q": "open}"#, "unterminated string"),
            (#"{"doc_id": 2, "resps": [["a"], ["b"]"#, "unterminated"),
            (#"{"acc": 1.0}"#, "no doc_id"),
            (#"{"doc_id": "two"}"#, "doc_id must be a number"),
            (#"{"doc_id": 2, "acc": tru}"#, "expected true"),
            (#"[1, 2]"#, "JSON object"),
            (#"{"doc_id": 2, "doc": {"x": "one"}}"#, "'doc.x' is text here but numbers on earlier lines"),
            (#"{"doc_id": 2, "doc": {"q": "\ud800"}}"#, "unpaired UTF-16 surrogate"),
        ]
        for (bad, expected) in cases {
            let path = try Self.write([good, good, bad, good].joined(separator: "\n") + "\n", in: dir)
            let error = try #require(throws: SeedloraError.self, "\(bad)") { try Samples.read(path) }
            #expect(error.description.contains(path), "\(error)")
            #expect(error.description.contains("line 3"), "\(error)")
            #expect(error.description.contains(expected), "\(bad): \(error)")
        }
        // Invalid UTF-8 inside a skipped string is caught too.
        var bytes = Array((good + "\n").utf8)
        bytes += Array(#"{"doc_id": 1, "arguments": "caf"#.utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)
        let path = dir + "/samples_utf8.jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: SeedloraError.self) { try Samples.read(path) }
        #expect(error.description.contains("line 2") && error.description.contains("UTF-8"), "\(error)")
    }

    /// Escapes decode, numbers convert exactly, nested doc objects flatten, arrays and other
    /// top-level fields are skipped, nulls and missing fields are NaN / "".
    @Test func valuesAndLayout() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "samples")
        defer { FilePaths.removeTree(dir) }
        let path = try Self.write("""
        {"doc_id": 0, "doc": {"q": "caf\\u00e9 \\ud83d\\ude00 \\"x\\"", "n": -0.1, "meta": {"src": "a"}, "choices": [1, 2]}, "target": 3, "arguments": [["p", "q"]], "resps": [], "filter": "none", "metrics": ["acc", "f1"], "acc": true, "f1": 0.5, "doc_hash": "abc"}

        {"doc_id": 1, "doc": {"q": "plain", "n": 1e-3, "meta": {"src": null}}, "target": 1, "filter": "none", "metrics": ["acc", "f1"], "acc": false, "f1": null}\r
        {"doc_id": 12345678901234567890, "doc": {"n": 2.5e300}, "target": 0, "filter": "none", "metrics": ["acc"], "acc": 1}
        """, in: dir)
        let table = try Samples.read(path)
        #expect(table.columnNames == ["doc_id", "filter", "acc", "f1", "doc.q", "doc.n", "doc.meta.src"])
        #expect(table.numbers("doc_id") == [0, 1, 12345678901234567890])
        #expect(table.strings("doc.q") == ["café 😀 \"x\"", "plain", ""])
        #expect(table.numbers("doc.n") == [-0.1, 0.001, 2.5e300])
        #expect(table.strings("doc.meta.src") == ["a", "", ""])
        #expect(table.numbers("acc") == [1, 0, 1])
        let f1 = try #require(table.numbers("f1"))
        #expect(f1[0] == 0.5 && f1[1].isNaN && f1[2].isNaN)
    }

    /// Without a `metrics` list (older lm-eval), every top-level number or boolean but doc_id
    /// and target is a metric.
    @Test func metricsWithoutAList() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "samples")
        defer { FilePaths.removeTree(dir) }
        let path = try Self.write(#"{"doc_id": 0, "doc": {}, "target": 2, "acc": 1, "acc_norm": 0, "resps": [["x"]]}"# + "\n", in: dir)
        #expect(try Samples.read(path).columnNames == ["doc_id", "acc", "acc_norm"])
    }

    @Test func globOfSubtasksAddsATaskColumn() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "samples")
        defer { FilePaths.removeTree(dir) }
        _ = try Self.write(#"{"doc_id": 0, "doc": {}, "metrics": ["acc"], "acc": 1}"# + "\n" + #"{"doc_id": 1, "doc": {}, "metrics": ["acc"], "acc": 0}"#,
                           name: "samples_mmlu_anatomy_2024-05-01T12-00-00.123456.jsonl", in: dir)
        _ = try Self.write(#"{"doc_id": 0, "doc": {}, "metrics": ["acc"], "acc": 0}"#,
                           name: "samples_mmlu_virology_2024-05-01T12-00-03.5.jsonl", in: dir)
        let table = try Samples.read(dir + "/samples_mmlu_*.jsonl")
        #expect(table.columnNames == ["task", "doc_id", "acc"])
        #expect(table.strings("task") == ["mmlu_anatomy", "mmlu_anatomy", "mmlu_virology"])
        #expect(table.numbers("doc_id") == [0, 1, 0])
        let error = try #require(throws: SeedloraError.self) { try Samples.read(dir + "/samples_gsm8k_*.jsonl") }
        #expect(error.description.contains("no file matches"))
    }

    @Test func filterKeepsOneFiltersLines() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "samples")
        defer { FilePaths.removeTree(dir) }
        let path = try Self.write("""
        {"doc_id": 0, "filter": "strict-match", "metrics": ["exact_match"], "exact_match": 1}
        {"doc_id": 0, "filter": "flexible-extract", "metrics": ["exact_match"], "exact_match": 0}
        {"doc_id": 1, "filter": "strict-match", "metrics": ["exact_match"], "exact_match": 0}
        """, in: dir)
        #expect(try Samples.read(path).rowCount == 3)
        let strict = try Samples.read(path, filter: "strict-match")
        #expect(strict.numbers("doc_id") == [0, 1] && strict.numbers("exact_match") == [1, 0])
        let error = try #require(throws: SeedloraError.self) { try Samples.read(path, filter: "none") }
        #expect(error.description.contains("flexible-extract, strict-match"))
        let empty = try Self.write("", name: "samples_empty.jsonl", in: dir)
        #expect(throws: SeedloraError.self) { try Samples.read(empty) }
    }
}
