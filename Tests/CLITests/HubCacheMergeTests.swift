import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora merge` / `inspect` on hub ids from a Hugging Face cache tree (HF_HUB_CACHE).
@Suite struct HubCacheMergeTests {
    /// Three cached seed repositories, `org/seed11`, `org/seed42`, `org/seed202`, each at refs/main.
    static func makeCache() throws -> (root: String, ids: [String], snapshots: [String]) {
        let root = try Fixtures.temporaryDirectory("hub-merge")
        let builder = HubCacheBuilder(root: root)
        var ids: [String] = [], snapshots: [String] = []
        for (i, seed) in Fixtures.seeds.enumerated() {
            let id = "org/" + seed.replacingOccurrences(of: "taskA_", with: "")
            let commit = HubCacheBuilder.commit(10 + i)
            snapshots.append(try builder.addSnapshot(id, commit: commit, from: Fixtures.adapter(seed)))
            try builder.setRef(id, "main", to: commit)
            ids.append(id)
        }
        return (root, ids, snapshots)
    }

    static func env(_ cache: String) -> [String] { ["/usr/bin/env", "HF_HUB_CACHE=" + cache] }

    @Test func mergeOfCachedSeedsEqualsMergeOfTheirSnapshotsByteForByte() throws {
        let (cache, ids, snapshots) = try Self.makeCache()
        let work = try Fixtures.temporaryDirectory("hub-merge-out")
        defer { FilePaths.removeTree(cache); FilePaths.removeTree(work) }
        let byId = try CLIRunner.run(["merge", "--method", "seedlora"] + ids + ["--out", work + "/by-id", "--quiet"],
                                     directory: work, prefix: Self.env(cache))
        #expect(byId.status == 0, "\(byId.stderr)")
        let byPath = try CLIRunner.run(["merge", "--method", "seedlora"] + snapshots + ["--out", work + "/by-path", "--quiet"],
                                       directory: work, prefix: Self.env(cache))
        #expect(byPath.status == 0, "\(byPath.stderr)")
        for file in ["adapter_model.safetensors", "adapter_config.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: work + "/by-id/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: work + "/by-path/" + file))
            #expect(!a.isEmpty && a == b, "\(file) differs between the merge of hub ids and of snapshot paths")
        }
        // The model card records each id and the commit it resolved to.
        let card = try Fixtures.readText(work + "/by-id/README.md")
        for (i, id) in ids.enumerated() {
            #expect(card.contains("`\(id)` (Hugging Face cache: \(id)@main (commit \(HubCacheBuilder.commit(10 + i))))"), "\(card)")
        }
    }

    @Test func inspectRecordsIdAndCommitAndALocalDirectoryWins() throws {
        let (cache, ids, _) = try Self.makeCache()
        let work = try Fixtures.temporaryDirectory("hub-inspect")
        defer { FilePaths.removeTree(cache); FilePaths.removeTree(work) }
        let json = try CLIRunner.run(["inspect", ids[1], "--json"], directory: work, prefix: Self.env(cache))
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"commit\": \"\(HubCacheBuilder.commit(11))\""), "\(json.stdout)")
        #expect(json.stdout.contains("models--org--seed42/snapshots/"))
        let table = try CLIRunner.run(["inspect", ids[1]], directory: work, prefix: Self.env(cache))
        #expect(table.stdout.contains("Hugging Face cache: org/seed42@main (commit \(HubCacheBuilder.commit(11)))"), "\(table.stdout)")

        // A local directory named like the id is read instead of the cache.
        try FileManager.default.createDirectory(atPath: work + "/org", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.adapter("taskB_seed42"), toPath: work + "/org/seed42")
        let local = try CLIRunner.run(["inspect", "org/seed42", "--json"], directory: work, prefix: Self.env(cache))
        #expect(local.status == 0, "\(local.stderr)")
        #expect(local.stdout.contains("\"hub\": null"), "\(local.stdout)")
        #expect(!local.stdout.contains("snapshots/"))
    }

    @Test func uncachedIdIsAClearErrorAndSeedLoadResolvesIds() throws {
        let (cache, ids, _) = try Self.makeCache()
        let work = try Fixtures.temporaryDirectory("hub-missing")
        defer { FilePaths.removeTree(cache); FilePaths.removeTree(work) }
        let missing = try CLIRunner.run(["merge", ids[0], "org/never-downloaded", "--out", work + "/m"],
                                        directory: work, prefix: Self.env(cache))
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("huggingface-cli download org/never-downloaded"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work + "/m"))
        let seed = try CLIRunner.run(["-e", "a = load(\"\(ids[1])@main\"); len(modules(a))"], directory: work, prefix: Self.env(cache))
        #expect(seed.status == 0, "\(seed.stderr)")
        let count = try PeftAdapter(directory: Fixtures.adapter("taskA_seed42")).modules.count
        #expect(seed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(count)")
    }
}
