import Foundation
import Ops
import Testing
import TestSupport

/// A store written by the release before the library-backed hashes and CRC-32 (feb06a1, see
/// Tests/Fixtures/store-previous-release/README.md) opens, passes its seals and reads back.
struct StorePreviousReleaseTests {
    static func copy() throws -> (tmp: String, store: String) {
        let tmp = try Fixtures.temporaryDirectory("seedlora-prev-store")
        try FileManager.default.copyItem(atPath: Fixtures.root + "/Tests/Fixtures/store-previous-release/store", toPath: tmp + "/store")
        return (tmp, tmp + "/store")
    }

    @Test func cellsAndProvenanceReadBack() throws {
        let (tmp, path) = try Self.copy()
        defer { FilePaths.removeTree(tmp) }
        let store = try ResultStore(path: path, create: false)
        let cells = try store.cells()
        #expect(cells.map(\.record.index) == [0, 1, 2, 3])
        #expect(cells.map(\.record.title) == ["", "numbers", "tensors and tables", "dict"])
        #expect(cells.allSatisfy { $0.seedloraVersion == "0.1.0" })
        // The old home-made hash: 32 hex digits (BLAKE2b-256 keys have 64).
        #expect(cells.allSatisfy { $0.record.sourceHash.count == 32 })
        #expect(cells[1].record.inputHashes.keys.sorted() == ["var:n"])
    }

    @Test func valuesReadBack() throws {
        let (tmp, path) = try Self.copy()
        defer { FilePaths.removeTree(tmp) }
        let store = try ResultStore(path: path, create: false)
        #expect(try store.load(name: "vars/n") == .integer(21))
        #expect(try store.load(name: "vars/label") == .string("seed"))
        #expect(try store.load(name: "vars/total") == .integer(42))
        guard case let .tensor(doubled, _) = try store.load(name: "doubled") else {
            Issue.record("doubled is not a tensor"); return
        }
        #expect(doubled.shape == [2, 2] && doubled.data == [2, 4, 6, 8])
        let cell2 = try store.loadCell(2)
        #expect(Set(cell2.keys).isSuperset(of: ["vars/t", "vars/scores", "doubled"]))
        guard case let .table(scores)? = cell2["vars/scores"] else { Issue.record("scores is not a table"); return }
        #expect(scores.columns.map(\.name) == ["method", "acc"])
    }
}
