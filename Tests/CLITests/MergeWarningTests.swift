import Foundation
import Ops
import Testing
import TestSupport

/// Merges that are probably a mistake warn, on stderr in the CLI and as Seed warnings; --quiet
/// silences them; the bundled same-task seeds merge without any warning.
@Suite struct MergeWarningTests {
    let seeds = Fixtures.seedPaths
    static let seeds = Fixtures.seedPaths
    let taskB = Fixtures.adapter("taskB_seed42")
    static let taskB = Fixtures.adapter("taskB_seed42")
    let base = Fixtures.root + "/examples/base"
    static let base = Fixtures.root + "/examples/base"

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let arguments: [String]
        let expected: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "all-zero result", arguments: ["--method", "ties", "--param", "density=0", "--rank", "4"] + seeds,
             expected: "the merged adapter is all zero"),
        // Streamed (factored) path: the result screen (DeltaScreen) finds every module zero.
        Case(label: "all-zero streamed result", arguments: ["--method", "task_arithmetic", "--param", "weights=0,0,0"] + seeds,
             expected: "the merged adapter is all zero"),
        Case(label: "single input", arguments: [seeds[0]], expected: "only one input adapter (\(seeds[0]))"),
        Case(label: "same file twice", arguments: [seeds[0], seeds[1], seeds[0]],
             expected: "inputs 0 and 2 are the same adapter (\(seeds[0]))"),
        Case(label: "same directory through another path", arguments: [seeds[0], seeds[1], seeds[0] + "/../taskA_seed11"],
             expected: "inputs 0 and 2 are the same adapter"),
        Case(label: "different tasks", arguments: [seeds[0], taskB],
             expected: "have an overall cosine of 0.0036, below 0.02: they probably come from different tasks"),
        Case(label: "--base without use", arguments: ["--base", base] + seeds,
             expected: "--base \(base) has no effect: the inputs are plain LoRA adapters (no DoRA) and --format is peft"),
    ]

    @Test("each warning, and --quiet", arguments: cases)
    func warns(_ test: Case) throws {
        let root = try Fixtures.temporaryDirectory("warnings")
        defer { FilePaths.removeTree(root) }
        let loud = try CLIRunner.run(["merge"] + test.arguments + ["--out", root + "/loud"])
        #expect(loud.status == 0, "\(loud.stderr)")
        let warnings = loud.stderr.split(separator: "\n").filter { $0.hasPrefix("seedlora: warning: ") }
        #expect(warnings.count == 1 && warnings.allSatisfy { $0.contains(test.expected) }, "\(loud.stderr)")
        if test.label == "all-zero result" {
            // Energy kept is meaningless for a zero merge: not "100 %".
            #expect(loud.stderr.contains("energy kept: n/a") && !loud.stderr.contains("100.00 %"), "\(loud.stderr)")
        }
        let quiet = try CLIRunner.run(["merge"] + test.arguments + ["--out", root + "/quiet", "--quiet"])
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    @Test func nonFiniteResult() throws {
        let root = try Fixtures.temporaryDirectory("warnings")
        defer { FilePaths.removeTree(root) }
        let bad = root + "/bad"
        try FileManager.default.copyItem(atPath: Fixtures.seedPaths[1], toPath: bad)
        var file = try SafetensorsSurgery(path: bad + "/adapter_model.safetensors")
        let key = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"
        let offset = Int(file.entry(key)?["data_offsets"]?.arrayValue?.first?.numberValue ?? 0)
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { for k in 0..<4 { file.data[offset + k] = $0[k] } }
        try file.write(to: bad + "/adapter_model.safetensors")
        let out = try CLIRunner.run(["merge", "--allow-nonfinite", seeds[0], bad, seeds[2], "--out", root + "/out"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("seedlora: warning: the merged adapter is not finite in 1 of 14 modules"), "\(out.stderr)")
        let seed = try CLIRunner.run(["-e", "m = merge([load(\"\(seeds[0])\"), load(\"\(bad)\")], allow_nonfinite=true)"])
        #expect(seed.stderr.contains("seedlora: warning: the merged adapter is not finite in 1 of 14 modules"), "\(seed.stderr)")
    }

    @Test("no warning for the same-task seeds", arguments: [
        [String](), ["--method", "linear"], ["--method", "ties", "--rank", "8"], ["--method", "karcher"], ["--format", "delta"],
    ])
    func quietOnSeeds(_ options: [String]) throws {
        let root = try Fixtures.temporaryDirectory("warnings")
        defer { FilePaths.removeTree(root) }
        let out = try CLIRunner.run(["merge"] + options + Self.seeds + ["--out", root + "/out"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(!out.stderr.contains("seedlora: warning"), "\(out.stderr)")
    }

    /// The same warnings from Seed's merge(), on stderr; `run --quiet` silences them.
    @Test func seedWarnings() throws {
        let load = { (path: String) in "load(\"\(path)\")" }
        let programs: [(String, String)] = [
            ("m = merge([\(load(seeds[0]))])", "only one input adapter"),
            ("a = \(load(seeds[0]))\nm = merge([a, \(load(seeds[1])), a])", "inputs 0 and 2 are the same adapter"),
            ("m = merge([\(load(seeds[0])), \(load(taskB))], strategy=\"linear\")", "overall cosine of 0.0036"),
            ("m = merge([\(load(seeds[0])), \(load(seeds[1]))], strategy=\"ties\", density=0)", "the merged adapter is all zero"),
            ("m = merge([\(load(seeds[0])), \(load(seeds[1]))], base=\"\(base)\")", "base=\"\(base)\" has no effect"),
        ]
        let root = try Fixtures.temporaryDirectory("warnings")
        defer { FilePaths.removeTree(root) }
        for (program, expected) in programs {
            let out = try CLIRunner.run(["-e", program])
            let warnings = out.stderr.split(separator: "\n").filter { $0.hasPrefix("seedlora: warning: ") }
            #expect(out.status == 0 && warnings.count == 1 && warnings.allSatisfy { $0.contains(expected) }, "\(program): \(out.stderr)")
            try Data(program.utf8).write(to: URL(fileURLWithPath: root + "/p.seed"))
            let quiet = try CLIRunner.run(["run", "--quiet", root + "/p.seed"])
            #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(program): \(quiet.stderr)")
        }
        let clean = try CLIRunner.run(["-e", "m = merge([\(seeds.map(load).joined(separator: ", "))])\nn = merge([\(seeds.map(load).joined(separator: ", "))], strategy=\"ties\")"])
        #expect(clean.status == 0 && clean.stderr.isEmpty, "\(clean.stderr)")
    }
}
