import Foundation
import Ops
import Testing
import TestSupport

/// `seedlora merge` with mlx-lm inputs: mlx-only, mixed with PEFT, and `--format mlx`.
@Suite struct MlxMergeCommandTests {
    static func mlx(_ name: String) -> String { Fixtures.root + "/Tests/Fixtures/mlx/" + name }
    static let seeds = ["taskA_seed11", "taskA_seed42", "taskA_seed202"].map(mlx)

    /// Dense delta tensors of a `--format delta` output, by name.
    static func deltas(_ dir: String) throws -> [String: Tensor] {
        let file = try SafetensorsFile(path: dir + "/delta.safetensors")
        return try Dictionary(uniqueKeysWithValues: file.entries.map { ($0.name, try file.tensor($0)) })
    }

    @Test func formatMlxWritesWhatTheDeltaFormatHas() throws {
        let work = try Fixtures.temporaryDirectory("mlx-merge")
        defer { FilePaths.removeTree(work) }
        let mlxOut = try CLIRunner.run(["merge", "--method", "seedlora"] + Self.seeds + ["--format", "mlx", "--out", work + "/mlx"])
        #expect(mlxOut.status == 0, "\(mlxOut.stderr)")
        let rank = try PeftAdapter(directory: work + "/mlx").modules.first?.rank ?? 0
        #expect(mlxOut.stderr.contains("mlx-lm adapter (rank \(rank), scale 1)"), "\(mlxOut.stderr)")
        let delta = try CLIRunner.run(["merge", "--method", "seedlora"] + Self.seeds + ["--format", "delta", "--out", work + "/delta", "--quiet"])
        #expect(delta.status == 0, "\(delta.stderr)")
        let merged = try Self.deltas(work + "/delta")
        let back = try PeftAdapter(directory: work + "/mlx")
        #expect(back.isMlxLm && back.modules.count == merged.count)
        var worst = 0.0
        for module in back.modules {
            let expected = try #require(merged[module.name + ".weight"])
            let got = module.delta.denseFloat()
            var diff = 0.0, norm = 0.0
            for (a, b) in zip(got.data, expected.data) { diff += Double(a - b) * Double(a - b); norm += Double(b) * Double(b) }
            worst = max(worst, (diff / norm).squareRoot())
        }
        #expect(worst <= 1e-6, "relative error \(worst)")
        let dense = try CLIRunner.run(["merge", "--method", "ties"] + Self.seeds + ["--format", "mlx", "--out", work + "/ties"])
        #expect(dense.status != 0 && dense.stderr.contains("--rank K"), "\(dense.stderr)")
        let ranked = try CLIRunner.run(["merge", "--method", "ties"] + Self.seeds + ["--format", "mlx", "--rank", "4", "--out", work + "/ties", "--quiet"])
        #expect(ranked.status == 0, "\(ranked.stderr)")
        #expect(try PeftAdapter(directory: work + "/ties").modules.allSatisfy { $0.rank == 4 })
    }

    @Test func mixedPeftAndMlxInputsMergeAndSayWhatMatched() throws {
        let work = try Fixtures.temporaryDirectory("mlx-mixed")
        defer { FilePaths.removeTree(work) }
        let peft = Fixtures.adapter("taskA_seed42")
        let mixed = try CLIRunner.run(["merge", "--method", "linear", peft, Self.seeds[0], "--format", "delta", "--out", work + "/mixed"])
        #expect(mixed.status == 0, "\(mixed.stderr)")
        #expect(mixed.stderr.contains("mlx-lm module names matched to PEFT's"), "\(mixed.stderr)")
        #expect(mixed.stderr.contains("14 modules by identical name"), "\(mixed.stderr)")
        #expect(try Fixtures.readText(work + "/mixed/README.md").contains("14 modules by identical name"))

        // Same merge, the mlx-lm adapter's modules renamed under another container: matched by
        // the layer-relative name, and the merged deltas are the same numbers.
        let renamed = work + "/renamed"
        try FileManager.default.createDirectory(atPath: renamed, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.seeds[0] + "/adapter_config.json", toPath: renamed + "/adapter_config.json")
        let source = try SafetensorsFile(path: Self.seeds[0] + "/adapters.safetensors")
        try SafetensorsWriter.write(try source.entries.map { entry in
            .init(name: entry.name.replacingOccurrences(of: "model.layers.", with: "backbone.blocks."), tensor: try source.tensor(entry), dtype: entry.dtype)
        }, to: renamed + "/adapters.safetensors")
        let byLayer = try CLIRunner.run(["merge", "--method", "linear", peft, renamed, "--format", "delta", "--out", work + "/by-layer"])
        #expect(byLayer.status == 0, "\(byLayer.stderr)")
        #expect(byLayer.stderr.contains("14 by layer-relative name (e.g. backbone.blocks.0."), "\(byLayer.stderr)")
        let a = try Self.deltas(work + "/mixed"), b = try Self.deltas(work + "/by-layer")
        #expect(a.keys.sorted() == b.keys.sorted())
        #expect(a.keys.allSatisfy { a[$0]?.data == b[$0]?.data })

        // A PEFT export of the mixed merge.
        let peftOut = try CLIRunner.run(["merge", "--method", "linear", peft, Self.seeds[0], "--out", work + "/peft", "--quiet"])
        #expect(peftOut.status == 0, "\(peftOut.stderr)")
        #expect(try !PeftAdapter(directory: work + "/peft").isMlxLm)
    }

    @Test func doraNeedsTheBase() throws {
        let work = try Fixtures.temporaryDirectory("mlx-dora")
        defer { FilePaths.removeTree(work) }
        let refused = try CLIRunner.run(["merge", Self.mlx("taskA_dora_seed42"), Self.seeds[1], "--format", "delta", "--out", work + "/x"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("DoRA") && refused.stderr.contains("--base"), "\(refused.stderr)")
        let based = try CLIRunner.run(["merge", Self.mlx("taskA_dora_seed42"), Self.seeds[1], "--format", "delta",
                                       "--base", Fixtures.root + "/examples/base", "--out", work + "/y", "--quiet"])
        #expect(based.status == 0, "\(based.stderr)")
    }
}
