import Foundation
import Ops
import Testing
import TestSupport

@Suite struct StoreProvenanceTests {
    @Test func provenanceReadsBackFromTheCellGroupAttributes() throws {
        let t = try TemporaryStore()
        let parameters = JSON.object([("rank", .number(16)), ("strategy", .string("seedlora")), ("weights", .array([.number(0.5), .number(0.25)]))])
        let record = CellRecord(index: 3, title: "similarity / σ", sourceHash: "sha256:abc",
                                inputHashes: ["taskA_seed11": "sha256:1", "alpha": "sha256:2"],
                                parameters: parameters, scriptPath: "scripts/figures/fig2.seed")
        let stored = try t.store.commit(cell: record, values: [("sim", .number(0.9))], time: "2025-01-31T12:00:00Z")
        let cells = try t.store.cells()
        #expect(cells == [stored])
        let cell = try #require(cells.first)
        #expect(cell.record == record)
        #expect(cell.group == "/cells/03_similarity _ σ")
        #expect(cell.time == "2025-01-31T12:00:00Z")
        #expect(cell.seedloraVersion == SeedloraVersion.string)
        #expect(cell.commit == 0)
        #expect(cell.objectsFile.hasPrefix("objects/000000-c03-") && cell.objectsFile.hasSuffix(".h5"))
        #expect(cell.values == [ResultInfo(name: "sim", kind: .number, shape: [], cell: 3, commit: 0)])
    }

    @Test func timeDefaultsToNowInISO8601() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [])
        let pattern = #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/#
        #expect(cell.time.wholeMatch(of: pattern) != nil, "\(cell.time)")
        #expect(cell.time.hasPrefix(String(Calendar(identifier: .gregorian).component(.year, from: Date()))))
    }

    @Test func textLongerThanAnAttributeAllowsGoesIntoADataset() throws {
        let t = try TemporaryStore()
        let long = String(repeating: "ω", count: 50_000)  // 100 KB of UTF-8
        let parameters = JSON.object([("notes", .string(long))])
        let record = CellRecord(index: 0, title: "long", sourceHash: long, parameters: parameters, scriptPath: "a.seed")
        try t.store.commit(cell: record, values: [("x", .integer(1))])
        #expect(try t.store.cells().first?.record == record)
        // Later commits rewrite the index and must carry the long texts over.
        try t.store.commit(cell: CellRecord(index: 1, title: "next", sourceHash: "s", scriptPath: "a.seed"), values: [])
        #expect(try t.store.cells().first?.record == record)
    }

    @Test func provenanceSurvivesLaterCommits() throws {
        let t = try TemporaryStore()
        var records: [CellRecord] = []
        for i in 0..<5 {
            let r = CellRecord(index: i, title: "cell \(i)", sourceHash: "s\(i)", inputHashes: ["in": "h\(i)"],
                               parameters: .object([("i", .number(Double(i)))]), scriptPath: "p.seed")
            records.append(r)
            try t.store.commit(cell: r, values: [("v\(i)", .integer(Int64(i)))], time: "2025-02-0\(i + 1)T00:00:00Z")
        }
        let cells = try t.store.cells()
        #expect(cells.map(\.record) == records)
        #expect(cells.map(\.time) == (1...5).map { "2025-02-0\($0)T00:00:00Z" })
        #expect(cells.map(\.commit) == Array(0..<5))
    }
}
