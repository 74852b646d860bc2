import Foundation
import Ops
import Testing
import TestSupport

/// `save` in a cell is readable by `load_result` at once and committed when the cell ends;
/// `results()` shows the user's names only, `results(all=true)` the internals too.
@Suite struct CellSaveTests {
    @Test func saveIsReadableInTheSameCellAndCommittedAfter() throws {
        let root = try Fixtures.temporaryDirectory("cell-save")
        defer { FilePaths.removeTree(root) }
        let script = root + "/c.seed"
        try Data("""
            #%% first
            x = 3
            save(tensor([1, 2]), "a/b")
            print(load_result("a/b"))
            print(results()["name"], results()["commit"])
            #%% second
            print(load_result("a/b"))
            print(results()["name"])
            names = results(all=true)["name"]
            print("vars/x" in names, "run/0/stdout" in names)

            """.utf8).write(to: URL(fileURLWithPath: script))
        let out = try CLIRunner.run(["run", script])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == """
            tensor([1., 2.], shape=(2,), dtype=float32)
            ["a/b"] [nil]
            tensor([1., 2.], shape=(2,), dtype=float32)
            ["a/b"]
            true true

            """, "\(out.stdout)")
        // Committed by the first cell: the store has it.
        let store = try ResultStore(path: root + "/c.seedstore")
        guard case let .tensor(t, _) = try store.load(name: "a/b") else { Issue.record("not a tensor"); return }
        #expect(t.data == [1, 2])

        // A missing name lists the user's names only.
        try Data("#%% x\nload_result(\"a/c\")\n".utf8).write(to: URL(fileURLWithPath: root + "/d.seed"))
        let missing = try CLIRunner.run(["run", root + "/d.seed", "--store", root + "/c.seedstore"])
        #expect(missing.status == 1 && missing.stderr.contains("no stored value named 'a/c'; did you mean 'a/b'? (stored: a/b)"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("vars/") && !missing.stderr.contains("run/"))

        let reserved = try CLIRunner.run(["-e", "save(1, \"vars/x\")"], directory: root)
        #expect(reserved.status == 1 && reserved.stderr.contains("expected a name outside \"vars/\" and \"run/\""), "\(reserved.stderr)")
    }
}
