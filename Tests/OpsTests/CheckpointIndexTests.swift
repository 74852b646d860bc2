import Foundation
import Ops
import Testing
import TestSupport

/// A base model's shard index comes from the internet too: its shard names become output file
/// names, so none may leave the directory.
struct CheckpointIndexTests {
    @Test(arguments: ["../model.safetensors", "/etc/passwd", "..", ".", ""])
    func shardNamesThatLeaveTheDirectoryAreRefused(_ shard: String) throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-index")
        defer { FilePaths.removeTree(dir) }
        let index = JSON.object([("weight_map", .object([("model.embed_tokens.weight", .string(shard))]))]).serialized()
        try Data(index.utf8).write(to: URL(fileURLWithPath: dir + "/model.safetensors.index.json"))
        let error = #expect(throws: SeedloraError.self) { try Checkpoint(directory: dir) }
        #expect(error?.message.contains("weight_map values must be shard file names in this directory") == true)
    }
}
