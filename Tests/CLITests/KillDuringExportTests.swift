import Foundation
import Ops
import Testing
import TestSupport

/// SIGKILL of `seedlora merge --force` at random moments, while it replaces an existing export:
/// the output path must always hold one complete export, the previous or the new one, bit for bit,
/// never a mixture or a partial directory; temporaries of killed runs are removed by the next run.
struct KillDuringExportTests {
    /// Synthetic inputs whose export is 6.4 MB (16 modules of 1024 x 1024 at rank 49).
    static func makeInputs(_ root: String) throws -> [String] {
        try (0..<3).map { i in
            let dir = root + "/in\(i)"
            try SyntheticAdapter.write(to: dir, layers: 4, size: 1024, rank: 16, seed: UInt64(i + 1))
            return dir
        }
    }

    /// Seconds of the "write" and "commit" phases in a merge's summary line
    /// ("... in 0.43 s (load 0.21, merge 0.15, write 0.07, commit 0.01)").
    static func writeSeconds(_ summary: String) -> Double {
        ["write", "commit"].reduce(0) { total, phase in
            guard let range = summary.range(of: phase + " ") else { return total }
            let number = summary[range.upperBound...].prefix { $0.isNumber || $0 == "." }
            return total + (Double(number) ?? 0)
        }
    }

    /// Each file of a directory, by name.
    static func contents(_ dir: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FilePaths.list(dir) { files[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) }
        return files
    }

    /// Hidden temporaries of the output beside it (of process `pid` only, when given).
    static func leftovers(_ parent: String, of pid: Int32? = nil) throws -> [String] {
        try FilePaths.list(parent).filter { $0.hasPrefix(pid.map { ".out.tmp-\($0)-" } ?? ".out.") }
    }

    @Test func sigkillAtRandomMomentsLeavesTheOldOrTheNewExportWhole() throws {
        let root = try Fixtures.temporaryDirectory("seedlora-kill")
        defer { FilePaths.removeTree(root) }
        let inputs = try Self.makeInputs(root)
        // The two exports the output alternates between, made without interruption in the same
        // parent directory (so every byte, relative paths in the config included, is comparable).
        let methods = ["linear", "seedlora"]
        var references: [[String: Data]] = []
        var durations: [Double] = [], writeWindow = 0.0
        for method in methods {
            let start = Date()
            let result = try CLIRunner.run(["merge", "--method", method] + inputs + ["--out", root + "/ref-\(method)"])
            durations.append(Date().timeIntervalSince(start))
            writeWindow = max(writeWindow, Self.writeSeconds(result.stderr))
            #expect(result.status == 0, "\(result.stderr)")
            references.append(try Self.contents(root + "/ref-\(method)"))
        }
        #expect(references[0] != references[1])
        let out = root + "/out"
        _ = try CLIRunner.run(["merge", "--method", methods[0]] + inputs + ["--out", out, "--quiet"])
        var current = 0
        var outcomes = [0, 0]
        var interruptedWrites = 0
        let longest = durations.max() ?? 1
        for round in 0..<20 {
            let next = 1 - current
            let process = try CLIRunner.start(["merge", "--method", methods[next]] + inputs + ["--out", out, "--force", "--quiet"])
            // Even rounds: a moment anywhere in the run. Odd rounds: a moment after the temporary
            // export directory appears, within the time the reference runs took to write and
            // commit (files written, fsynced, renamed, the directories swapped, the old one removed).
            if round % 2 == 1 {
                let deadline = Date().addingTimeInterval(longest * 3)
                while try Self.leftovers(root, of: process.processIdentifier).isEmpty && process.isRunning && Date() < deadline {
                    usleep(200)
                }
                usleep(UInt32.random(in: 0...UInt32(max(writeWindow, 0.01) * 1.5e6)))
            } else {
                usleep(UInt32.random(in: 0...UInt32(longest * 1.1e6)))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if try !Self.leftovers(root, of: process.processIdentifier).isEmpty { interruptedWrites += 1 }
            // The output is one of the two complete exports, and PEFT-loadable.
            let now = try Self.contents(out)
            let state = references.firstIndex(of: now)
            #expect(state != nil, "round \(round): the output is neither export: \(now.keys.sorted())")
            #expect(state == current || state == next)
            _ = try PeftAdapter(directory: out)
            if let state { outcomes[state] += 1; current = state }
        }
        // A run that completes replaces the output and removes every killed run's temporaries.
        let finish = try CLIRunner.run(["merge", "--method", methods[1 - current]] + inputs + ["--out", out, "--force", "--quiet"])
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(try Self.contents(out) == references[1 - current])
        let left = try Self.leftovers(root)
        #expect(left.isEmpty, "temporaries left: \(left)")
        #expect(interruptedWrites >= 2, "only \(interruptedWrites) kills landed while the export was being written")
        print("kill test: outputs after the 20 kills \(outcomes) (linear, seedlora); \(interruptedWrites) kills inside a write;"
              + " a run takes \(durations) s, writing \(writeWindow) s")
    }

    @Test func sigkillOfAFirstExportLeavesNoOutputOrAWholeOne() throws {
        let root = try Fixtures.temporaryDirectory("seedlora-kill-first")
        defer { FilePaths.removeTree(root) }
        let inputs = try Self.makeInputs(root)
        let reference = try CLIRunner.run(["merge", "--method", "seedlora"] + inputs + ["--out", root + "/ref", "--quiet"])
        #expect(reference.status == 0, "\(reference.stderr)")
        let expected = try Self.contents(root + "/ref")
        for _ in 0..<4 {
            let process = try CLIRunner.start(["merge", "--method", "seedlora"] + inputs + ["--out", root + "/out", "--quiet"])
            while try Self.leftovers(root, of: process.processIdentifier).isEmpty && process.isRunning { usleep(200) }
            usleep(UInt32.random(in: 0...100_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if FilePaths.exists(root + "/out") {
                #expect(try Self.contents(root + "/out") == expected)
                FilePaths.removeTree(root + "/out")
            }
        }
    }
}
