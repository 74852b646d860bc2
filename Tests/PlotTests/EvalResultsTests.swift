import Foundation
import Ops
import Testing
import TestSupport

/// lm-evaluation-harness results and CSV files into tables.
struct EvalResultsTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/toy-math-eval"

    @Test func directoryOfResultsFiles() throws {
        let table = try EvalResults.read(Self.dir)
        #expect(table.rowCount == 16)
        #expect(table.columnNames == ["model", "add4/exact_match", "add4/exact_match_stderr", "add4/loss",
                                      "add4_train/exact_match", "add4_train/loss"])
        let models = try #require(table.strings("model"))
        #expect(models.first == "base" && models.contains("merge_ties_d0.2") && models.contains("soup_x1.5"))
        #expect(models == models.sorted())
        func value(_ model: String, _ column: String) -> Double? {
            models.firstIndex(of: model).flatMap { table.numbers(column)?[$0] }
        }
        #expect(value("lora_seed11", "add4/exact_match") == 0.972)
        #expect(value("merge_seedlora", "add4/exact_match") == 0.264)
        #expect(value("merge_ties_d0.2", "add4/exact_match") == 0.2035)
        #expect(value("lora_seed11", "add4/exact_match_stderr") == 0.0036898248472931427)
        #expect(value("base", "add4_train/loss") == 10.829951985677083)
    }

    /// Every number of summary.csv equals the one read from the JSON files.
    @Test func summaryCSVMatchesTheJSONFiles() throws {
        let csv = try EvalResults.read(Self.dir + "/summary.csv")
        #expect(csv.columnNames == ["model", "add4_exact_match", "train_loss"])
        #expect(csv["model"]?.strings != nil)
        #expect(csv["add4_exact_match"]?.numbers != nil && csv["train_loss"]?.numbers != nil)
        #expect(csv.rowCount == 16)
        let json = try EvalResults.read(Self.dir)
        let jsonModels = try #require(json.strings("model"))
        let csvModels = try #require(csv.strings("model"))
        #expect(Set(csvModels) == Set(jsonModels))
        for (row, model) in csvModels.enumerated() {
            let j = try #require(jsonModels.firstIndex(of: model))
            #expect(csv.numbers("add4_exact_match")?[row] == json.numbers("add4/exact_match")?[j], "\(model)")
            #expect(csv.numbers("train_loss")?[row] == json.numbers("add4_train/loss")?[j], "\(model)")
        }
        #expect(csv.numbers("add4_exact_match")?[csvModels.firstIndex(of: "merge_soup") ?? 0] == 0.9375)
    }

    @Test func singleResultsFile() throws {
        let table = try EvalResults.read(Self.dir + "/lora_seed42.json")
        #expect(table.rowCount == 1)
        #expect(table.strings("model") == ["lora_seed42"])
        #expect(table.numbers("add4/exact_match") == [0.9465])
    }

    /// Filters other than `none`, "N/A" stderrs, groups, and tasks missing from some files.
    @Test func lmEvalShapes() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-eval")
        defer { FilePaths.removeTree(dir) }
        try """
        {"results": {"gsm8k": {"alias": "gsm8k", "exact_match,strict-match": 0.5, "exact_match_stderr,strict-match": "N/A",
                     "exact_match,flexible-extract": 0.6}},
         "groups": {"mmlu": {"acc,none": 0.4, "acc_stderr,none": 0.01}},
         "config": {"model": "hf"}, "model_name": "m"}
        """.write(toFile: dir + "/a.json", atomically: true, encoding: .utf8)
        try #"{"results": {"arc_easy": {"acc,none": 0.7}}}"#.write(toFile: dir + "/b.json", atomically: true, encoding: .utf8)
        try "model,score\nx,1\n".write(toFile: dir + "/notes.csv", atomically: true, encoding: .utf8)
        let table = try EvalResults.read(dir)
        #expect(table.columnNames == ["model", "gsm8k/exact_match,strict-match", "gsm8k/exact_match_stderr,strict-match",
                                      "gsm8k/exact_match,flexible-extract", "mmlu/acc", "mmlu/acc_stderr", "arc_easy/acc"])
        #expect(table.strings("model") == ["a", "b"])
        #expect(table.numbers("gsm8k/exact_match_stderr,strict-match")?[0].isNaN == true)
        #expect(table.numbers("arc_easy/acc")?[0].isNaN == true)
        #expect(table.numbers("arc_easy/acc")?[1] == 0.7)
    }

    @Test func quotedCSVFields() throws {
        let text = "name,score,note\r\n\"merge, soup\",0.9,\"said \"\"hi\"\"\"\r\n\n\"multi\nline\", ,plain\n"
        let table = try CSV.table(text)
        #expect(table.strings("name") == ["merge, soup", "multi\nline"])
        #expect(table.numbers("score")?.first == 0.9)
        #expect(table.numbers("score")?.last?.isNaN == true)
        #expect(table.strings("note") == ["said \"hi\"", "plain"])
        // One text cell makes the column text; the BOM and a missing final newline are fine.
        let mixed = try CSV.table("\u{FEFF}a,b\n1,2\nx,3")
        #expect(mixed.strings("a") == ["1", "x"])
        #expect(mixed.numbers("b") == [2, 3])
    }

    @Test(arguments: [
        ("a,b\n1,2\n3\n", "line 3: 1 fields, but the header (line 1) has 2"),
        ("a,b\n1,2,3\n", "line 2: 3 fields, but the header (line 1) has 2"),
        ("a,b\n1,\"x\n2,3\n", "line 2: unterminated quoted field 2"),
        ("a,b\n\"x\ny\",1\n1,2,3\n", "line 4: 3 fields"),
        ("a,b\n\"x\"y,2\n", "line 2: text after the closing quote of field 1"),
        ("a,b\n1,x\"y\n", "line 2: a quote inside unquoted field 2"),
        ("", "empty file; expected a header row"),
        ("a,a\n1,2\n", "line 1: two columns named 'a'"),
    ])
    func malformedCSV(_ text: String, _ message: String) throws {
        let error = try #require(throws: SeedloraError.self) { try CSV.table(text) }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func errorsNameTheFile() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-eval")
        defer { FilePaths.removeTree(dir) }
        try "a,b\n1,2\n3\n".write(toFile: dir + "/bad.csv", atomically: true, encoding: .utf8)
        let ragged = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/bad.csv") }
        #expect(ragged.description.hasPrefix(dir + "/bad.csv: line 3:"))

        try #"{"config": {}}"#.write(toFile: dir + "/x.json", atomically: true, encoding: .utf8)
        let noResults = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/x.json") }
        #expect(noResults.path == dir + "/x.json")
        #expect(noResults.message.contains("\"results\" object of tasks"))

        try #"{"results": {"t": 0.5}}"#.write(toFile: dir + "/y.json", atomically: true, encoding: .utf8)
        let notObject = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/y.json") }
        #expect(notObject.message.contains("results.t: expected an object of metrics"))

        try #"{"results": "#.write(toFile: dir + "/z.json", atomically: true, encoding: .utf8)
        let invalid = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/z.json") }
        #expect(invalid.message.contains("not valid JSON"))

        let missing = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/none.json") }
        #expect(missing.message.contains("no such file or directory"))

        try FilePaths.makeDirectories(dir + "/empty")
        let empty = try #require(throws: SeedloraError.self) { try EvalResults.read(dir + "/empty") }
        #expect(empty.message.contains("no .json files here"))
    }
}
