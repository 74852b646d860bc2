import Foundation
import Ops
import Testing
import TestSupport

/// SIGKILL of `seedlora merge --sweep` after some points were written: nothing appears at the
/// output path (points are written inside the hidden temporary directory of the whole sweep), and
/// the next sweep to the same path removes the temporary and succeeds.
struct SweepKillTests {
    @Test func killedSweepLeavesNoPartialOutput() throws {
        let root = try Fixtures.temporaryDirectory("seedlora-sweep-kill")
        defer { FilePaths.removeTree(root) }
        let inputs = try (0..<3).map { i -> String in
            let dir = root + "/in\(i)"
            try SyntheticAdapter.write(to: dir, layers: 4, size: 1024, rank: 16, seed: UInt64(i + 1))
            return dir
        }
        let out = root + "/sweep"
        let arguments = ["merge", "--method", "linear"] + inputs + ["--out", out, "--sweep", "lambda=0.1:4:0.1", "--quiet"]
        let process = try CLIRunner.start(arguments)
        let prefix = ".sweep.tmp-\(process.processIdentifier)-"
        // Wait until a point directory exists in the sweep's temporary directory, then kill.
        let deadline = Date().addingTimeInterval(120)
        var sawPoint = false
        while process.isRunning && Date() < deadline && !sawPoint {
            for temp in (try? FilePaths.list(root))?.filter({ $0.hasPrefix(prefix) }) ?? [] {
                sawPoint = ((try? FilePaths.list(root + "/" + temp)) ?? []).contains { $0.hasPrefix("lambda=") }
            }
            usleep(1000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(sawPoint, "the sweep (40 points) finished before a point was seen; nothing was tested")
        #expect(!FilePaths.exists(out), "a killed sweep must leave nothing at the output path")

        let again = try CLIRunner.run(["merge", "--method", "linear"] + inputs + ["--out", out, "--sweep", "lambda=0.5,1", "--quiet"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(Set(try FilePaths.list(out)) == ["lambda=0.5", "lambda=1", "sweep.csv"])
        #expect(try FilePaths.list(root).filter { $0.hasPrefix(".sweep") }.isEmpty, "the killed run's temporary is removed")
    }
}
