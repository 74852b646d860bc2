import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora run` with cells and `seedlora figures`: what reruns, what is restored, and the counter.
@Suite struct CellCacheTests {
    /// A scratch copy of the figure scripts and the example data they read.
    static func figureWorkspace() throws -> String {
        let dir = try Fixtures.temporaryDirectory("seedlora-figures")
        try FilePaths.makeDirectories(dir + "/examples/adapters")
        try FilePaths.makeDirectories(dir + "/examples/toy-math")
        try FilePaths.makeDirectories(dir + "/scripts")
        let fm = FileManager.default
        for name in Fixtures.seeds + ["taskB_seed42"] {
            try fm.copyItem(atPath: Fixtures.adapter(name), toPath: dir + "/examples/adapters/" + name)
        }
        try fm.copyItem(atPath: Fixtures.root + "/examples/toy-math/eval", toPath: dir + "/examples/toy-math/eval")
        try fm.copyItem(atPath: Fixtures.root + "/examples/toy-math/eval-sweep", toPath: dir + "/examples/toy-math/eval-sweep")
        try fm.copyItem(atPath: Fixtures.root + "/examples/toy-math/eval-subdomains", toPath: dir + "/examples/toy-math/eval-subdomains")
        try fm.copyItem(atPath: Fixtures.root + "/scripts/figures", toPath: dir + "/scripts/figures")
        return dir
    }

    static func counter(_ stderr: String) -> (ran: Int, cached: Int)? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("figures in") }),
              let range = line.range(of: "cells: ") else { return nil }
        let words = line[range.upperBound...].split(separator: " ")
        guard words.count >= 3, let ran = Int(words[0]), let cached = Int(words[2]) else { return nil }
        return (ran, cached)
    }

    @Test func secondFiguresRunExecutesNoCellAndTouchingAnAdapterRerunsOnlyItsReaders() throws {
        let dir = try Self.figureWorkspace()
        defer { FilePaths.removeTree(dir) }
        // The speed-up itself (>= 10x) is measured by scripts/bench-figures on a release build:
        // here tests run in parallel on a shared machine, which stretches times unevenly.
        let first = try CLIRunner.run(["figures", "--out", "figs"], directory: dir)
        try #require(first.status == 0, "\(first.stderr)")
        let pngs = try FilePaths.list(dir + "/figs").filter { $0.hasSuffix(".png") }
        #expect(pngs.count >= 10)
        #expect(pngs.contains("scale_sweep.png") && pngs.contains("strategies_cosine.png"))
        #expect(try FilePaths.list(dir + "/figs").filter { $0.hasSuffix(".svg") }.count == pngs.count)
        let firstCount = try #require(Self.counter(first.stderr))
        #expect(firstCount.cached == 0 && firstCount.ran >= 10)

        let second = try CLIRunner.run(["figures", "--out", "figs"], directory: dir)
        #expect(second.status == 0)
        let secondCount = try #require(Self.counter(second.stderr))
        #expect(secondCount.ran == 0 && secondCount.cached == firstCount.ran, "\(second.stderr)")
        #expect(second.stdout == first.stdout, "restored cells print what they printed")

        // Same values, new bytes: only the cells that read task B (fig2: load, then its two readers) rerun.
        let config = dir + "/examples/adapters/taskB_seed42/adapter_config.json"
        try (String(contentsOfFile: config, encoding: .utf8) + "\n").write(toFile: config, atomically: true, encoding: .utf8)
        let third = try CLIRunner.run(["figures", "--out", "figs"], directory: dir)
        #expect(third.status == 0)
        let thirdCount = try #require(Self.counter(third.stderr))
        #expect(thirdCount.ran == 3 && thirdCount.cached == firstCount.ran - 3, "\(third.stderr)")
        #expect(third.stderr.contains("fig2_cosine.seed: cells: 3 run, 0 cached"), "\(third.stderr)")

        // A deleted figure is drawn again by the cell that made it.
        unlink(dir + "/figs/scores_toy_math.png")
        let fourth = try CLIRunner.run(["figures", "--out", "figs"], directory: dir)
        #expect(fourth.stderr.contains("scores.seed: cells: 1 run, 1 cached"), "\(fourth.stderr)")
        #expect(FilePaths.exists(dir + "/figs/scores_toy_math.png"))
    }

    @Test func explainFreshAndValuesThatCannotBeStored() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-cells")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/cells.seed"
        let text = """
            #%% load
            a = load("\(Fixtures.adapter("taskA_seed42"))")
            n = 3
            #%% merge
            m = merge([a, a], strategy="linear")
            fn twice(x) { return 2 * x }
            #%% use
            print(len(modules(m)), twice(n))
            """
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        let first = try CLIRunner.run(["run", script])
        #expect(first.status == 0 && first.stdout == "14 6\n")
        #expect(first.stderr.contains("cells: 3 run, 0 cached"))
        #expect(FilePaths.exists(dir + "/cells.seedstore/index.h5"))
        let explain = try CLIRunner.run(["run", "--explain", script])
        #expect(explain.stdout == """
            cell 0 "load" (line 1): cached
            cell 1 "merge" (line 4): cached
            cell 2 "use" (line 7): cached

            """)
        let cached = try CLIRunner.run(["run", script])
        #expect(cached.stdout == "14 6\n" && cached.stderr.contains("cells: 0 run, 3 cached"))

        // Changing n reruns "load" and "use"; "use" needs m and twice, which cannot be stored, so
        // the restored "merge" runs again quietly first.
        try text.replacingOccurrences(of: "n = 3", with: "n = 4").write(toFile: script, atomically: true, encoding: .utf8)
        let explained = try CLIRunner.run(["run", "--explain", script])
        #expect(explained.stdout.contains("cell 0 \"load\" (line 1): rerun: source changed"))
        #expect(explained.stdout.contains("cell 1 \"merge\" (line 4): rerun: input a comes from cell 0, which reruns"))
        let changed = try CLIRunner.run(["run", script])
        #expect(changed.stdout == "14 8\n" && changed.stderr.contains("cells: 2 run, 1 cached"), "\(changed.stderr)")
        let fresh = try CLIRunner.run(["run", "--fresh", script])
        #expect(fresh.stderr.contains("cells: 3 run, 0 cached"))
        let plain = try CLIRunner.run(["run", "--no-store", "--store", dir + "/other", script])
        #expect(plain.stdout == "14 8\n" && !plain.stderr.contains("cells:") && !FilePaths.exists(dir + "/other"))
    }

    /// A replay before a rerun cell rebuilds lists as each cell left them, and functions keep
    /// seeing the globals.
    @Test func replayedCellsSeeListsAsTheyWereAndFunctionsSeeTheGlobals() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-cells")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/replay.seed"
        let text = """
            #%% zero
            xs = [1]
            fn count() { return len(xs) }
            #%% one
            xs.append(2)
            double = fn(x) { return 2 * x }
            #%% two
            print(count(), xs, double(1))
            """
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        let first = try CLIRunner.run(["run", script])
        #expect(first.stdout == "2 [1, 2] 2\n", "\(first.stderr)")
        try (text + " # changed").write(toFile: script, atomically: true, encoding: .utf8)
        let second = try CLIRunner.run(["run", script])
        #expect(second.stdout == "2 [1, 2] 2\n" && second.stderr.contains("cells: 1 run, 2 cached"), "\(second.stderr)")
    }

    /// Every kind of value a cell can store comes back from the store exactly as it was made.
    @Test func everyStoredKindIsRestoredExactly() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-cells")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/kinds.seed"
        let text = """
            #%% make
            i = -7
            x = 0.1
            b = false
            s = "σ \\"quoted\\""
            z = nil
            r = range(2, 11, 3)
            t = randn([3, 4], seed=5)
            l = [1, [2.5, "x"], [], nil]
            d = {"a": 1, 2: [t[0]], "n": {"k": true}}
            st = stat(load("\(Fixtures.adapter("taskA_seed42"))"))
            tb = table({"p/q": [1, 2], "r": [0.5, 1.5]})
            a = load("\(Fixtures.adapter("taskA_seed11"))")
            #%% show
            for v in [i, x, b, s, z, r, t, l, d, st, tb] { print(type(v), repr(v)) }
            print(modules(a)[0], norm(a))
            """
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        let first = try CLIRunner.run(["run", script])
        try #require(first.status == 0, "\(first.stderr)")
        try (text + "\n# changed").write(toFile: script, atomically: true, encoding: .utf8)
        let second = try CLIRunner.run(["run", script])
        #expect(second.stderr.contains("cells: 1 run, 1 cached"), "\(second.stderr)")
        #expect(second.stdout == first.stdout)
    }

    @Test func aFailingCellStopsTheRunAndIsNotStored() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-cells")
        defer { FilePaths.removeTree(dir) }
        let script = dir + "/bad.seed"
        try "#%% one\nx = 1\n#%% two\ny = x + nothing\n#%% three\nprint(y)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let result = try CLIRunner.run(["run", script])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.seed:4:"), "\(result.stderr)")
        #expect(result.stderr.contains("cells: 1 run, 0 cached, 1 failed"))
        let again = try CLIRunner.run(["run", "--explain", script])
        #expect(again.stdout.contains("cell 1 \"two\" (line 3): rerun: not run before"))
    }
}
