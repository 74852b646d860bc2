import Foundation
import Ops
import Testing
import TestSupport

/// Every kind of bad input gives a specific message naming the file (and module), exit code 1,
/// and leaves no output directory (nor a temporary one) behind.
struct BadInputTests {
    /// A case: how to break a copy of the three seed adapters, and what the error must say.
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        /// Breaks adapters under `root` (copies of seed11, seed42, seed202 as a, b, c).
        let breakIt: @Sendable (_ root: String) throws -> Void
        /// Substrings the error message must contain; "FILE" is replaced by the broken file's path.
        let expected: [String]
        var inputs: [String] = ["a", "b", "c"]
        var testDescription: String { label }
    }

    static let weightsB = "b/adapter_model.safetensors"
    static let keyA = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"
    static let keyB = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"

    static func surgery(_ root: String, _ body: (inout SafetensorsSurgery) -> Void, rawHeader: String? = nil,
                        declaredLength: UInt64? = nil) throws {
        let path = root + "/" + weightsB
        var file = try SafetensorsSurgery(path: path)
        body(&file)
        try file.write(to: path, rawHeader: rawHeader, declaredLength: declaredLength)
    }

    static func writeText(_ root: String, _ file: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + "/" + file))
    }

    static let cases: [Case] = [
        Case(label: "missing directory", breakIt: { _ in }, expected: ["nope", "does not exist"], inputs: ["a", "nope"]),
        Case(label: "missing adapter_config.json", breakIt: { try FileManager.default.removeItem(atPath: $0 + "/b/adapter_config.json") },
             expected: ["/b", "no adapter_config.json"]),
        Case(label: "invalid adapter_config.json", breakIt: { try writeText($0, "b/adapter_config.json", "{\"r\": 8,") },
             expected: ["b/adapter_config.json", "not valid JSON"]),
        Case(label: "config without peft_type", breakIt: { try writeText($0, "b/adapter_config.json", "{\"r\": 8}") },
             expected: ["b/adapter_config.json", "missing 'peft_type'"]),
        Case(label: "safetensors shorter than 8 bytes", breakIt: { try writeText($0, weightsB, "abc") },
             expected: [weightsB, "file is 3 bytes"]),
        Case(label: "header length past the end", breakIt: { try surgery($0, { _ in }, declaredLength: 1_000_000) },
             expected: [weightsB, "header length 1000000 runs past the end of the file"]),
        Case(label: "header over 100 MB", breakIt: { try surgery($0, { _ in }, declaredLength: 200_000_000) },
             expected: [weightsB, "exceeds the limit of 100000000 bytes"]),
        Case(label: "header not JSON", breakIt: { try surgery($0, { _ in }, rawHeader: "not json") }, expected: [weightsB, "header is not valid JSON"]),
        Case(label: "unknown dtype", breakIt: { try surgery($0) { $0.set(keyA, "dtype", to: .string("F99")) } },
             expected: [weightsB, "unknown dtype 'F99'"]),
        Case(label: "overlapping offsets", breakIt: { try surgery($0) { file in
                // Point q_proj.lora_B at the bytes of q_proj.lora_A (and give it A's shape, so sizes agree).
                let a = file.entry(keyA)?["data_offsets"] ?? .null
                file.set(keyB, "data_offsets", to: a)
                file.set(keyB, "shape", to: file.entry(keyA)?["shape"] ?? .null)
             } }, expected: [weightsB, "overlaps"]),
        Case(label: "gap between tensors", breakIt: { try surgery($0) { $0.remove(keyA) } },
             expected: [weightsB, "gap of"]),
        Case(label: "trailing bytes", breakIt: { try surgery($0) { $0.data += [0, 0, 0, 0] } },
             expected: [weightsB, "4 trailing bytes after the last tensor"]),
        Case(label: "byte size differs from shape x dtype", breakIt: { try surgery($0) { $0.set(keyA, "shape", to: .array([.number(8), .number(63)])) } },
             expected: [weightsB, "needs 2016 bytes but data_offsets span 2048"]),
        Case(label: "lora_A without lora_B", breakIt: { try surgery($0) { file in
                // Rename B so the bytes stay accounted for but the factor is gone.
                if let i = file.header.firstIndex(where: { $0.0 == keyB }) { file.header[i].0 = "base_model.model.extra.weight" }
             } }, expected: [weightsB, "module model.layers.0.self_attn.q_proj: has lora_A.weight but no lora_B.weight"]),
        Case(label: "module shape differs between seeds", breakIt: { root in
                // Same bytes read as another shape: A 4 x 128 and B 128 x 4, so the delta is 128 x 128, not 64 x 64.
                try surgery(root) { file in
                    file.set(keyA, "shape", to: .array([.number(4), .number(128)]))
                    file.set(keyB, "shape", to: .array([.number(128), .number(4)]))
                }
                try writeText(root, "b/adapter_config.json",
                              #"{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "rank_pattern": {"layers.0.self_attn.q_proj": 4}}"#)
             }, expected: ["module model.layers.0.self_attn.q_proj has shape [64, 64] in", "/a but [128, 128] in", "/b"]),
        Case(label: "NaN in a weight", breakIt: { try surgery($0) { file in
                let begin = file.entry(keyB)?["data_offsets"]?.arrayValue?[0].indexValue ?? 0
                let nan = Float.nan.bitPattern.littleEndian
                withUnsafeBytes(of: nan) { for k in 0..<4 { file.data[begin + 20 + k] = $0[k] } }
             } }, expected: [weightsB, "module model.layers.0.self_attn.q_proj", "non-finite", "--allow-nonfinite"]),
        Case(label: "module missing in one adapter", breakIt: { root in
                // A valid file without q_proj's factors.
                let path = root + "/" + weightsB
                let file = try SafetensorsFile(path: path)
                let kept = try file.entries.filter { $0.name != keyA && $0.name != keyB }
                    .map { SafetensorsWriter.Item(name: $0.name, tensor: try file.tensor($0), dtype: .f32) }
                try SafetensorsWriter.write(kept, to: path)
             }, expected: ["/b", "has no module model.layers.0.self_attn.q_proj", "/a"]),
        Case(label: "rank differs from the config", breakIt: { try writeText($0, "b/adapter_config.json", #"{"peft_type": "LORA", "r": 4, "lora_alpha": 16}"#) },
             expected: [weightsB, "factors have rank 8 but adapter_config.json gives r = 4"]),
        Case(label: "rank_pattern value too large", breakIt: {
                try writeText($0, "b/adapter_config.json", #"{"peft_type": "LORA", "r": 8, "rank_pattern": {".*": 1e300}}"#)
             }, expected: ["b/adapter_config.json", "'rank_pattern' entry '.*' must be an integer from 1 to 1000000000"]),
        Case(label: "rank_pattern that backtracks exponentially", breakIt: {
                try writeText($0, "b/adapter_config.json", #"{"peft_type": "LORA", "r": 8, "rank_pattern": {"(a*)*b": 4}}"#)
             }, expected: ["b/adapter_config.json", "'rank_pattern' entry '(a*)*b' repeats a group", "exponential time"]),
        Case(label: "not a LoRA adapter", breakIt: { try writeText($0, "b/adapter_config.json", #"{"peft_type": "IA3"}"#) },
             expected: ["b/adapter_config.json", "peft_type is \"IA3\""]),
        Case(label: "DoRA adapter", breakIt: { root in
                try FileManager.default.removeItem(atPath: root + "/b")
                try FileManager.default.copyItem(atPath: Fixtures.adapter("taskA_dora_seed42"), toPath: root + "/b")
             }, expected: ["/b", "DoRA", "base weights"]),
        Case(label: "adapter_model.bin that is not a torch archive", breakIt: { root in
                try FileManager.default.moveItem(atPath: root + "/" + weightsB, toPath: root + "/b/adapter_model.bin")
             }, expected: ["b/adapter_model.bin", "not a torch.save archive"]),
        Case(label: "no weights file", breakIt: { try FileManager.default.removeItem(atPath: $0 + "/" + weightsB) },
             expected: ["/b", "no adapter_model.safetensors (nor adapter_model.bin)"]),
        Case(label: "legacy torch.save format", breakIt: { try replaceWeights($0, with: Fixtures.torch("legacy.bin")) },
             expected: ["b/adapter_model.bin", "legacy torch.save format"]),
    ] + TorchCheckpointRefusals.malicious.map { file, refused in
        Case(label: "hostile pickle \(file)", breakIt: { try replaceWeights($0, with: Fixtures.torch("malicious/\(file).bin")) },
             expected: ["b/adapter_model.bin", "data.pkl: pickle byte", refused])
    }

    /// Replaces b's safetensors weights with a torch.save archive.
    static func replaceWeights(_ root: String, with archive: String) throws {
        try FileManager.default.removeItem(atPath: root + "/" + weightsB)
        try FileManager.default.copyItem(atPath: archive, toPath: root + "/b/adapter_model.bin")
    }

    @Test(arguments: cases)
    func badInputIsReportedClearly(_ testCase: Case) throws {
        let root = try Fixtures.temporaryDirectory("seedlora-bad")
        defer { FilePaths.removeTree(root) }
        for (name, seed) in zip(["a", "b", "c"], Fixtures.seeds) {
            try FileManager.default.copyItem(atPath: Fixtures.adapter(seed), toPath: root + "/" + name)
        }
        try testCase.breakIt(root)
        let outParent = root + "/out"
        try FileManager.default.createDirectory(atPath: outParent, withIntermediateDirectories: false)
        let result = try CLIRunner.run(["merge", "--method", "seedlora"] + testCase.inputs.map { root + "/" + $0 }
            + ["--out", outParent + "/merged"])
        #expect(result.status == 1, "exit code for \(testCase.label): \(result.stderr)")
        for text in testCase.expected {
            #expect(result.stderr.contains(text), "\(testCase.label): expected '\(text)' in: \(result.stderr)")
        }
        #expect(result.stderr.hasPrefix("seedlora: error: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outParent).isEmpty, "nothing left behind")
    }

    @Test func allowNonfiniteMergesAnyway() throws {
        let root = try Fixtures.temporaryDirectory("seedlora-nan")
        defer { FilePaths.removeTree(root) }
        for (name, seed) in zip(["a", "b", "c"], Fixtures.seeds) {
            try FileManager.default.copyItem(atPath: Fixtures.adapter(seed), toPath: root + "/" + name)
        }
        try Self.surgery(root) { file in
            let begin = file.entry(Self.keyA)?["data_offsets"]?.arrayValue?[0].indexValue ?? 0
            withUnsafeBytes(of: Float.infinity.bitPattern.littleEndian) { for k in 0..<4 { file.data[begin + k] = $0[k] } }
        }
        let result = try CLIRunner.run(["merge", root + "/a", root + "/b", root + "/c", "--out", root + "/m",
                                        "--allow-nonfinite", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
    }
}
