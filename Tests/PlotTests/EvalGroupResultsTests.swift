import Foundation
import Ops
import Testing
import TestSupport

/// lm-evaluation-harness group results (`results` with subtasks, `groups`, `group_subtasks`)
/// in long form, against the numbers of the toy-math eval-subdomains README.
struct EvalGroupResultsTests {
    static let dir = Fixtures.root + "/Tests/Fixtures/eval-subdomains"

    @Test func oneFileInLongForm() throws {
        let table = try EvalResults.readGroups(Self.dir + "/seed11.json")
        #expect(table.columnNames == ["model", "group", "subtask", "metric", "value", "stderr"])
        #expect(table.rowCount == 6)
        #expect(table.strings("model") == Array(repeating: "seed11", count: 6))
        #expect(table.strings("group") == Array(repeating: "add4", count: 6))
        #expect(table.strings("subtask") == ["add4_carries0", "add4_carries1", "add4_carries2", "add4_carries3",
                                             "add4_carries4", "add4"])
        #expect(table.strings("metric") == Array(repeating: "exact_match", count: 6))
        let values = try #require(table.numbers("value"))
        // README: seed11 98.9, 97.2, 96.4, 97.9, 97.3, all 97.20 (rounded to 0.1 / 0.01 points).
        for (got, percent) in zip(values, [98.9, 97.2, 96.4, 97.9, 97.3, 97.20]) {
            #expect(abs(100 * got - percent) <= 0.05 + 1e-9)
        }
        #expect(values[0] == 0.9885714285714285 && values[5] == 0.972)
        let stderr = try #require(table.numbers("stderr"))
        #expect(stderr[0] == 0.008057964997824792 && stderr[5] == 0.0036898248472931427)
    }

    @Test func directoryHasEveryModel() throws {
        let table = try EvalResults.readGroups(Self.dir)
        #expect(table.rowCount == 36)
        let models = try #require(table.strings("model"))
        var order: [String] = []
        for model in models where !order.contains(model) { order.append(model) }
        #expect(order == ["seed11", "seed202", "seed42", "seedlora", "seedlora_x0.6", "soup"])
        let subtasks = try #require(table.strings("subtask")), values = try #require(table.numbers("value"))
        func value(_ model: String, _ subtask: String) -> Double? {
            models.indices.first { models[$0] == model && subtasks[$0] == subtask }.map { values[$0] }
        }
        // README rows seed42 and seedlora_x0.6.
        for (subtask, percent) in zip(["add4_carries0", "add4_carries1", "add4_carries2", "add4_carries3", "add4_carries4", "add4"],
                                      [94.3, 93.5, 93.4, 97.1, 98.0, 94.65]) {
            let got = try #require(value("seed42", subtask))
            #expect(abs(100 * got - percent) <= 0.05 + 1e-9, "seed42 \(subtask)")
        }
        #expect(abs(100 * (value("seedlora_x0.6", "add4_carries4") ?? 0) - 99.3) <= 0.05)
        #expect(abs(100 * (value("soup", "add4") ?? 0) - 93.75) <= 1e-9)
    }

    @Test func resultsWithoutGroupsAreAnErrorWhenGroupsAreAsked() throws {
        let plain = Fixtures.root + "/Tests/Fixtures/toy-math-eval/lora_seed11.json"
        let error = try #require(throws: SeedloraError.self) { try EvalResults.readGroups(plain) }
        #expect(error.description.contains("lora_seed11.json"))
        #expect(error.description.contains("no groups"))
        // The same file still reads in the wide form.
        #expect(try EvalResults.read(plain).rowCount == 1)
    }

    @Test func aListedSubtaskMissingFromResultsIsAnError() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "groups")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/m.json"
        try #"{"results": {"a": {"acc,none": 0.5}}, "group_subtasks": {"g": ["a", "b"]}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(throws: SeedloraError.self) { try EvalResults.readGroups(path) }
        #expect(error.description.contains("'b'") && error.description.contains("m.json"))
    }

    /// A filter other than none stays in the metric name; a stderr of "N/A" reads as NaN.
    @Test func filtersAndMissingStderr() throws {
        let dir = try FilePaths.temporaryDirectory(prefix: "groups")
        defer { FilePaths.removeTree(dir) }
        let path = dir + "/m.json"
        try #"""
        {"results": {"t1": {"alias": "t1", "exact_match,strict-match": 0.25, "exact_match_stderr,strict-match": 0.01,
                            "acc,none": 0.5, "acc_stderr,none": "N/A"}},
         "groups": {"g": {"acc,none": 0.5}},
         "group_subtasks": {"g": ["t1"], "t1": []}}
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        let table = try EvalResults.readGroups(path)
        #expect(table.strings("subtask") == ["t1", "t1", "g"])
        #expect(table.strings("metric") == ["exact_match,strict-match", "acc", "acc"])
        let stderr = try #require(table.numbers("stderr"))
        #expect(stderr[0] == 0.01 && stderr[1].isNaN && stderr[2].isNaN)
    }
}
