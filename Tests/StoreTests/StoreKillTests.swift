import Foundation
import Ops
import Testing
import TestSupport

/// A seeded generator, so a failing run can be repeated with SEEDLORA_KILL_SEED.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct StoreKillTests {
    /// `StoreStress` commits `StoreStressPlan` cells in a loop (every third with a compressed
    /// tensor); we SIGKILL it at 20 random moments: a quarter anywhere from start-up on, the rest
    /// shortly after the run's first commit returned, which lands inside later commits. After each kill the store must open, and every
    /// cell and latest value must be exactly what the plan says for the commits the store holds,
    /// which must include every commit the writer logged as returned.
    @Test func sigkillAtTwentyRandomMomentsLeavesEveryCommittedCellIntact() throws {
        let seed = ProcessInfo.processInfo.environment["SEEDLORA_KILL_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...9999)
        var random = SplitMix(state: seed)
        let directory = try Fixtures.temporaryDirectory("seedlora-kill")
        defer { FilePaths.removeTree(directory) }
        let storePath = directory + "/stress.seedstore", logPath = directory + "/commits.log"
        let executable = builtExecutable("StoreStress")
        var interruptedWrites = 0
        var lastCommit = -1
        for round in 0..<20 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [storePath, logPath]
            let errors = Pipe()
            process.standardError = errors
            let loggedBefore = try logLines(logPath).count
            try process.run()
            if round % 4 == 0 {
                // Anywhere from start-up (opening, cleaning up) into the first commits.
                usleep(UInt32.random(in: 0...150_000, using: &random))
            } else {
                // After this run's first commit returned: inside one of the next few commits.
                let deadline = Date().addingTimeInterval(20)
                while try logLines(logPath).count == loggedBefore, process.isRunning, Date() < deadline { usleep(2_000) }
                usleep(UInt32.random(in: 0...60_000, using: &random))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            try #require(process.terminationReason == .uncaughtSignal,
                         "round \(round) (seed \(seed)): the writer stopped by itself: \(stderr)")
            if try hasTemporaryFiles(storePath) { interruptedWrites += 1 }
            lastCommit = try verify(storePath, logPath: logPath, previous: lastCommit, context: "round \(round), seed \(seed)")
        }
        print("store kill test (seed \(seed)): 20 kills, \(interruptedWrites) inside a write, \(lastCommit + 1) commits, all intact")
        // 15 rounds wait for a commit before killing; kills inside writes leave temporary files.
        #expect(lastCommit + 1 >= 15, "the writer made only \(lastCommit + 1) commits in 20 rounds")
        #expect(interruptedWrites >= 1, "no kill landed inside a write")
    }

    /// The commits the writer logged as returned.
    private func logLines(_ path: String) throws -> [Int] {
        guard FilePaths.exists(path) else { return [] }
        return try Fixtures.readText(path).split(separator: "\n").compactMap { Int($0) }
    }

    private func hasTemporaryFiles(_ store: String) throws -> Bool {
        guard FilePaths.isDirectory(store + "/objects") else { return false }
        return try FilePaths.list(store).contains { $0.contains(".tmp-") }
            || FilePaths.list(store + "/objects").contains { $0.contains(".tmp-") }
    }

    /// Opens the store and checks it against the plan; returns its newest commit (-1 if none).
    private func verify(_ path: String, logPath: String, previous: Int, context: String) throws -> Int {
        let store = try ResultStore(path: path)
        #expect(try !hasTemporaryFiles(path), "\(context): temporary files survived opening")
        let logged = try logLines(logPath)
        var newest = -1
        if try store.results().contains(where: { $0.name == "counter" }), case let .integer(n) = try store.load(name: "counter") {
            newest = Int(n)
        }
        // Every returned commit is in the store; at most the one in flight is there unlogged.
        let floor = max(previous, logged.max() ?? -1)
        #expect(newest >= floor && newest <= floor + 1, "\(context): store at commit \(newest), writer logged \(floor)")

        // Each cell index holds its newest commit, bit for bit, with its provenance.
        let cellCount = StoreStressPlan.cellCount
        let expected = (0..<cellCount).compactMap { index in
            stride(from: newest, through: 0, by: -1).first { $0 % cellCount == index }
        }
        let cells = try store.cells()
        #expect(cells.map(\.commit) == expected, "\(context): cells hold commits \(cells.map(\.commit)), expected \(expected)")
        let planned = Dictionary(uniqueKeysWithValues: expected.map { ($0, StoreStressPlan.values($0)) })
        var latest: [String: (commit: Int, value: StoreValue)] = [:]
        for commit in expected.sorted() {
            for (name, value) in planned[commit] ?? [] { latest[name] = (commit, value) }
        }
        for cell in cells {
            #expect(cell.record == StoreStressPlan.cell(cell.commit), "\(context): provenance of commit \(cell.commit)")
            for (name, value) in planned[cell.commit] ?? [] {
                expectIdentical(try store.load(cell: cell.record.index, name: name), value, "\(context): \(name)@\(cell.commit)")
            }
        }
        // Every name's latest version is the newest commit that wrote it. (The bytes behind each
        // were read through the cells above; load(name:) is checked on the names every commit writes.)
        let results = try store.results()
        #expect(results.map(\.name) == latest.keys.sorted(), "\(context): names")
        for result in results {
            guard let (commit, value) = latest[result.name] else { continue }
            #expect(result.commit == commit, "\(context): latest \(result.name) is commit \(result.commit), expected \(commit)")
            if !result.name.hasPrefix("cell") {
                expectIdentical(try store.load(name: result.name), value, "\(context): latest \(result.name)")
            }
        }
        return newest
    }
}
