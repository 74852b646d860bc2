import Foundation
import Ops
import Testing
import TestSupport

/// One exporter: `seedlora merge`, Seed's `export()` and `merge --plugin` write the same bytes for
/// the same merge (model card included), and all refuse an existing directory unless forced.
@Suite struct ExporterTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let cli: [String]
        /// Seed: the merge call's arguments after the inputs, and the export's after the directory.
        let merge: String
        let export: String
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "linear, exact PEFT", cli: ["--method", "linear"], merge: "strategy=\"linear\"", export: ""),
        Case(label: "seedlora, rank 4", cli: ["--rank", "4"], merge: "", export: ", rank=4"),
        Case(label: "ties (dense), rank 6, bf16", cli: ["--method", "ties", "--rank", "6", "--dtype", "bf16"],
             merge: "strategy=\"ties\"", export: ", rank=6, dtype=\"bf16\""),
        Case(label: "dare_ties with a seed, rank 4", cli: ["--method", "dare_ties", "--seed", "7", "--rank", "4", "--param", "density=0.7"],
             merge: "strategy=\"dare_ties\", seed=7, density=0.7", export: ", rank=4"),
        Case(label: "task_arithmetic, delta", cli: ["--method", "task_arithmetic", "--format", "delta", "--param", "weights=1,0.5,2"],
             merge: "strategy=\"task_arithmetic\", weights=[1, 0.5, 2]", export: ", format=\"delta\""),
        Case(label: "ties, delta f16", cli: ["--method", "ties", "--format", "delta", "--dtype", "f16"],
             merge: "strategy=\"ties\"", export: ", format=\"delta\", dtype=\"f16\""),
    ]

    static func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    static func runSeed(_ program: String, in root: String) throws -> CLIRunner.Output {
        let path = root + "/program-\(UInt32.random(in: 0...UInt32.max)).seed"
        try Data(program.utf8).write(to: URL(fileURLWithPath: path))
        return try CLIRunner.run(["run", "--no-store", path])
    }

    @Test("CLI and Seed exports are byte-identical", arguments: cases)
    func identical(_ test: Case) throws {
        let root = try Fixtures.temporaryDirectory("exporter")
        defer { FilePaths.removeTree(root) }
        let cli = try CLIRunner.run(["merge"] + test.cli + Fixtures.seedPaths + ["--out", root + "/cli", "--quiet"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let inputs = Fixtures.seedPaths.map { "load(\"\($0)\")" }.joined(separator: ", ")
        let merge = test.merge.isEmpty ? "" : ", " + test.merge
        let seed = try Self.runSeed("export(merge([\(inputs)]\(merge)), \"\(root)/seed\"\(test.export))\n", in: root)
        #expect(seed.status == 0, "\(seed.stderr)")
        let a = try Self.files(root + "/cli"), b = try Self.files(root + "/seed")
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a["README.md"] != nil)
        for (name, bytes) in a {
            #expect(bytes == b[name], "\(name) differs:\n\(String(decoding: bytes, as: UTF8.self).prefix(2000))\n---\n\(String(decoding: b[name] ?? Data(), as: UTF8.self).prefix(2000))")
        }
        // The card lists every parameter of the method.
        let card = String(decoding: a["README.md"] ?? Data(), as: UTF8.self)
        #expect(card.contains("Parameters:") && card.contains("- method: "), "\(card)")
    }

    static let plugin = """
        strategy average(deltas, weights, scale: float = 1.0, flip: bool = false) {
          total = deltas[0] * weights[0]
          for i in range(1, len(deltas)) { total = total + deltas[i] * weights[i] }
          s = scale / len(deltas)
          if flip { s = -s }
          return total * s
        }

        """

    @Test func pluginExportsLikeSeed() throws {
        let root = try Fixtures.temporaryDirectory("exporter")
        defer { FilePaths.removeTree(root) }
        let file = root + "/average.seed"
        try Data(Self.plugin.utf8).write(to: URL(fileURLWithPath: file))
        let cli = try CLIRunner.run(["merge", "--plugin", file, "--method", "average", "--param", "scale=0.5", "--rank", "4"]
                                    + Fixtures.seedPaths + ["--out", root + "/cli", "--quiet"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let inputs = Fixtures.seedPaths.map { "load(\"\($0)\")" }.joined(separator: ", ")
        let seed = try Self.runSeed("import \"\(file)\"\nexport(merge([\(inputs)], strategy=\"average\", scale=0.5), \"\(root)/seed\", rank=4)\n", in: root)
        #expect(seed.status == 0, "\(seed.stderr)")
        let a = try Self.files(root + "/cli"), b = try Self.files(root + "/seed")
        #expect(a.keys.sorted() == b.keys.sorted())
        for (name, bytes) in a { #expect(bytes == b[name], "\(name) differs") }
        let card = String(decoding: a["README.md"] ?? Data(), as: UTF8.self)
        #expect(card.contains("- `scale`: 0.5") && card.contains("- `flip`: false") && card.contains("- `weights`: 1,1,1"), "\(card)")
    }

    /// An existing directory is refused by all three paths, and replaced when forced.
    @Test func refusalsAndForce() throws {
        let root = try Fixtures.temporaryDirectory("exporter")
        defer { FilePaths.removeTree(root) }
        let out = root + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: out + "/mine.txt"))
        let kept = { (try? String(contentsOfFile: out + "/mine.txt", encoding: .utf8)) == "keep" }

        let cli = try CLIRunner.run(["merge"] + Fixtures.seedPaths + ["--out", out])
        #expect(cli.status == 1 && cli.stderr.contains("seedlora: error: \(out): output already exists; choose another --out or pass --force"), "\(cli.stderr)")
        #expect(kept())
        let pluginFile = root + "/average.seed"
        try Data(Self.plugin.utf8).write(to: URL(fileURLWithPath: pluginFile))
        let plugin = try CLIRunner.run(["merge", "--plugin", pluginFile, "--method", "average", "--rank", "4"] + Fixtures.seedPaths + ["--out", out])
        #expect(plugin.status == 1 && plugin.stderr.contains("output already exists; choose another --out or pass --force"), "\(plugin.stderr)")
        #expect(kept())
        let inputs = Fixtures.seedPaths.map { "load(\"\($0)\")" }.joined(separator: ", ")
        let seed = try Self.runSeed("m = merge([\(inputs)])\nexport(m, \"\(out)\")\n", in: root)
        #expect(seed.status == 1 && seed.stderr.contains("output already exists; choose another directory or pass force=true"), "\(seed.stderr)")
        #expect(seed.stderr.contains("^"), "the error points at the directory argument")
        #expect(kept())

        let forcedSeed = try Self.runSeed("m = merge([\(inputs)])\nexport(m, \"\(out)\", force=true)\n", in: root)
        #expect(forcedSeed.status == 0, "\(forcedSeed.stderr)")
        #expect(!kept() && FilePaths.exists(out + "/adapter_model.safetensors"))
        let forcedCLI = try CLIRunner.run(["merge", "--force", "--format", "delta"] + Fixtures.seedPaths + ["--out", out, "--quiet"])
        #expect(forcedCLI.status == 0 && FilePaths.exists(out + "/delta.safetensors") && !FilePaths.exists(out + "/adapter_model.safetensors"))
        let forcedPlugin = try CLIRunner.run(["merge", "--plugin", pluginFile, "--method", "average", "--rank", "4", "--force"]
                                             + Fixtures.seedPaths + ["--out", out, "--quiet"])
        #expect(forcedPlugin.status == 0 && FilePaths.exists(out + "/adapter_model.safetensors"), "\(forcedPlugin.stderr)")
        // Nothing half-written: no temporary directory is left next to the output.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

/// `seedlora merge --plugin`: parameters are checked against the strategy's declared types before
/// anything runs; a bad value is a usage error (exit code 2).
@Suite struct PluginParameterTests {
    @Test("a bad --param is exit 2", arguments: [
        (["--param", "scale=abc"], "--param scale=abc: strategy average declares scale as float; expected a float"),
        (["--param", "flip=maybe"], "--param flip=maybe: strategy average declares flip as bool; expected a bool"),
        (["--param", "sclae=2"], "strategy average has no parameter 'sclae'; did you mean 'scale'?"),
        (["--param", "weights=1,2"], "--param weights=1,2: expected 3 numbers separated by commas, one per input"),
    ])
    func badParameter(_ options: [String], _ message: String) throws {
        let root = try Fixtures.temporaryDirectory("plugin-params")
        defer { FilePaths.removeTree(root) }
        let file = root + "/average.seed"
        try Data(ExporterTests.plugin.utf8).write(to: URL(fileURLWithPath: file))
        let out = try CLIRunner.run(["merge", "--plugin", file, "--method", "average", "--rank", "4"] + options
                                    + Fixtures.seedPaths + ["--out", root + "/out"])
        #expect(out.status == 2, "\(out.stderr)")
        #expect(out.stderr == "seedlora: error: \(message)\n" || out.stderr.hasPrefix("seedlora: error: \(message)"), "\(out.stderr)")
        #expect(!FilePaths.exists(root + "/out"))
    }
}

/// DoRA inputs in Seed: merge(base=) or load(path, base=) gives the CLI's --base merge, byte for byte.
@Suite struct SeedDoRATests {
    @Test func doraWithBaseMatchesTheCLI() throws {
        let root = try Fixtures.temporaryDirectory("seed-dora")
        defer { FilePaths.removeTree(root) }
        let base = Fixtures.root + "/examples/base"
        let inputs = ["taskA_seed11", "taskA_dora_seed42", "taskA_seed202"].map(Fixtures.adapter)
        let cli = try CLIRunner.run(["merge", "--method", "linear", "--format", "delta", "--base", base] + inputs + ["--out", root + "/cli", "--quiet"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let loads = inputs.map { "load(\"\($0)\")" }
        let viaMerge = "export(merge([\(loads.joined(separator: ", "))], strategy=\"linear\", base=\"\(base)\"), \"\(root)/merge\", format=\"delta\")"
        let viaLoad = "export(merge([\(loads[0]), load(\"\(inputs[1])\", base=\"\(base)\"), \(loads[2])], strategy=\"linear\"), \"\(root)/load\", format=\"delta\")"
        let refused = "merge([\(loads.joined(separator: ", "))], strategy=\"linear\")"
        for program in [viaMerge, viaLoad] {
            let out = try ExporterTests.runSeed(program + "\n", in: root)
            #expect(out.status == 0, "\(out.stderr)")
        }
        let want = try Data(contentsOf: URL(fileURLWithPath: root + "/cli/delta.safetensors"))
        for dir in ["merge", "load"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/\(dir)/delta.safetensors")) == want, "\(dir)")
        }
        let out = try ExporterTests.runSeed(refused + "\n", in: root)
        #expect(out.status == 1 && out.stderr.contains("pass base=\"MODEL_DIR\"") && !out.stderr.contains("--base"), "\(out.stderr)")
    }
}
