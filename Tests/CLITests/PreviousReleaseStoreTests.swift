import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora run` against a store written by the previous release (Tests/Fixtures/
/// store-previous-release): it opens, the script reruns (its stored keys are the old hash's and
/// its script path another machine's), commits, and the next run restores every cell.
struct PreviousReleaseStoreTests {
    @Test func rerunThenCached() throws {
        let tmp = try Fixtures.temporaryDirectory("seedlora-prev-run")
        defer { FilePaths.removeTree(tmp) }
        let fixture = Fixtures.root + "/Tests/Fixtures/store-previous-release"
        try FileManager.default.copyItem(atPath: fixture + "/store", toPath: tmp + "/store")
        try FileManager.default.copyItem(atPath: fixture + "/previous.seed", toPath: tmp + "/previous.seed")
        let script = tmp + "/previous.seed", store = tmp + "/store"

        let before = try CLIRunner.run(["run", script, "--store", store, "--explain"])
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout.components(separatedBy: ": rerun").count - 1 == 4, "\(before.stdout)")

        let first = try CLIRunner.run(["run", script, "--store", store])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("{\"name\": \"seed\", \"count\": 42}"))

        let after = try CLIRunner.run(["run", script, "--store", store, "--explain"])
        #expect(after.stdout.components(separatedBy: ": cached").count - 1 == 4, "\(after.stdout)")
        // The old commits are still there, under the new ones.
        let cells = try ResultStore(path: store, create: false).cells()
        #expect(cells.count == 4 && cells.allSatisfy { $0.record.sourceHash.count == 64 })
    }
}
