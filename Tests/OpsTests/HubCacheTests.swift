import Foundation
import Ops
import Testing
import TestSupport

/// Hub ids resolved offline from a cache tree laid out as huggingface_hub writes it.
@Suite struct HubCacheTests {
    /// A cache with `org/tiny-lora` at two revisions: main = seed42 (also tag v1), and seed11.
    static func makeCache() throws -> (root: String, main: String, other: String, builder: HubCacheBuilder) {
        let root = try Fixtures.temporaryDirectory("hub-cache")
        let builder = HubCacheBuilder(root: root)
        let main = HubCacheBuilder.commit(1), other = HubCacheBuilder.commit(2)
        try builder.addSnapshot("org/tiny-lora", commit: main, from: Fixtures.adapter("taskA_seed42"))
        try builder.addSnapshot("org/tiny-lora", commit: other, from: Fixtures.adapter("taskA_seed11"))
        try builder.setRef("org/tiny-lora", "main", to: main)
        try builder.setRef("org/tiny-lora", "v1", to: main)
        return (root, main, other, builder)
    }

    @Test func idResolvesToRefsMainAndLoadsLikeTheLocalDirectory() throws {
        let (root, main, _, _) = try Self.makeCache()
        defer { FilePaths.removeTree(root) }
        let reference = try HubCache.lookup(id: "org/tiny-lora", revision: nil, cache: root)
        #expect(reference.commit == main)
        #expect(reference.revision == "main")
        #expect(reference.snapshot == root + "/models--org--tiny-lora/snapshots/" + main)
        let cached = try PeftAdapter(directory: reference.snapshot)
        let local = try PeftAdapter(directory: Fixtures.adapter("taskA_seed42"))
        #expect(cached.modules.map(\.name) == local.modules.map(\.name))
        #expect(cached.modules.map { $0.delta.b.data } == local.modules.map { $0.delta.b.data })
        #expect(HubCache.reference(ofSnapshot: reference.snapshot)?.id == "org/tiny-lora")
        #expect(HubCache.reference(ofSnapshot: reference.snapshot)?.commit == main)
    }

    @Test func otherCommitTagAndShortHashResolve() throws {
        let (root, main, other, _) = try Self.makeCache()
        defer { FilePaths.removeTree(root) }
        let byCommit = try HubCache.lookup(id: "org/tiny-lora", revision: other, cache: root)
        #expect(byCommit.commit == other)
        let adapter = try PeftAdapter(directory: byCommit.snapshot)
        let seed11 = try PeftAdapter(directory: Fixtures.adapter("taskA_seed11"))
        #expect(adapter.modules.map { $0.delta.a.data } == seed11.modules.map { $0.delta.a.data })
        #expect(try HubCache.lookup(id: "org/tiny-lora", revision: "v1", cache: root).commit == main)
        #expect(try HubCache.lookup(id: "org/tiny-lora", revision: String(other.prefix(10)), cache: root).commit == other)
    }

    @Test func parsesOnlyHubIdShapes() {
        #expect(HubCache.parseId("org/name")?.id == "org/name")
        #expect(HubCache.parseId("org/name")?.revision == nil)
        #expect(HubCache.parseId("org/name@v1.0")?.revision == "v1.0")
        #expect(HubCache.parseId("org/name@refs/pr/1")?.revision == "refs/pr/1")
        for path in ["/abs/path", "./org/name", "a/b/c", "name", "org/", "../x", "org/na--me", "org/name@", "org/.hidden"] {
            #expect(HubCache.parseId(path) == nil, "\(path) is not a hub id")
        }
    }

    @Test func cacheRootFollowsHuggingfaceHubPrecedence() {
        func root(_ env: [String: String]) -> String { HubCache.root(environment: { env[$0] }) }
        #expect(root(["HOME": "/h"]) == "/h/.cache/huggingface/hub")
        #expect(root(["HOME": "/h", "XDG_CACHE_HOME": "/x"]) == "/x/huggingface/hub")
        #expect(root(["HOME": "/h", "HF_HOME": "/hf", "XDG_CACHE_HOME": "/x"]) == "/hf/hub")
        #expect(root(["HOME": "/h", "HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"]) == "/legacy")
        #expect(root(["HOME": "/h", "HF_HOME": "/hf", "HF_HUB_CACHE": "/c", "HUGGINGFACE_HUB_CACHE": "/legacy"]) == "/c")
        #expect(root(["HOME": "/h", "HF_HUB_CACHE": "~/c"]) == "/h/c")
    }

    @Test func aLocalDirectoryOfTheSameNameWins() throws {
        let (root, _, _, _) = try Self.makeCache()
        defer { FilePaths.removeTree(root) }
        // `local` is where the caller found a local path of that name: it exists, so no lookup.
        #expect(try HubCache.resolve("org/tiny-lora", local: Fixtures.adapter("taskA_seed42"), cache: root) == nil)
        #expect(try HubCache.resolve("org/tiny-lora", local: root + "/nothing-here", cache: root)?.snapshot != nil)
    }

    @Test func notCachedSaysSoAndNamesTheDownloadCommand() throws {
        let (root, _, _, _) = try Self.makeCache()
        defer { FilePaths.removeTree(root) }
        let missing = #expect(throws: SeedloraError.self) { try HubCache.lookup(id: "org/absent", revision: nil, cache: root) }
        let text = missing?.description ?? ""
        #expect(text.contains("not in the Hugging Face cache") || text.contains("nor in the Hugging Face cache"))
        #expect(text.contains("huggingface-cli download org/absent"))
        #expect(text.contains("no network"))
        let revision = #expect(throws: SeedloraError.self) { try HubCache.lookup(id: "org/tiny-lora", revision: "v2", cache: root) }
        #expect(revision?.description.contains("huggingface-cli download org/tiny-lora --revision v2") == true)
        #expect(revision?.description.contains("refs main, v1") == true)
    }

    @Test func corruptedCacheEntriesAreClearErrors() throws {
        let (root, _, other, builder) = try Self.makeCache()
        defer { FilePaths.removeTree(root) }
        try builder.setRef("org/tiny-lora", "main", to: "not-a-commit\n")
        let garbage = #expect(throws: SeedloraError.self) { try HubCache.lookup(id: "org/tiny-lora", revision: nil, cache: root) }
        #expect(garbage?.path == builder.repository("org/tiny-lora") + "/refs/main")
        #expect(garbage?.message.contains("corrupted Hugging Face cache") == true)
        #expect(garbage?.message.contains("not-a-commit") == true)

        let absent = HubCacheBuilder.commit(9)
        try builder.setRef("org/tiny-lora", "main", to: absent)
        let dangling = #expect(throws: SeedloraError.self) { try HubCache.lookup(id: "org/tiny-lora", revision: nil, cache: root) }
        #expect(dangling?.message.contains("points to commit \(absent), whose snapshot directory is missing") == true)

        // An interrupted download: a snapshot symlink whose blob is gone.
        let snapshot = builder.repository("org/tiny-lora") + "/snapshots/" + other
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: snapshot + "/adapter_model.safetensors")
        try FileManager.default.removeItem(atPath: snapshot + "/" + target)
        let blob = #expect(throws: SeedloraError.self) { try HubCache.lookup(id: "org/tiny-lora", revision: other, cache: root) }
        #expect(blob?.path == snapshot + "/adapter_model.safetensors")
        #expect(blob?.message.contains("symbolic link to a blob that does not exist") == true)
    }
}
