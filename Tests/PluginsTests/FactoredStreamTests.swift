import Foundation
import Ops
import Plugins
import Testing
import TestSupport

/// The streamed factored merge (modules read, merged and written a window at a time) writes
/// exactly the bytes of the in-memory path: load everything, merge, `PeftExport.write`.
struct FactoredStreamTests {
    static let cases: [(String, [(String, String)], Int?)] = [
        ("seedlora", [], nil),
        ("seedlora", [("weights", "1,2,0.5")], 4),
        ("linear", [("weights", "1,1,2")], nil),
        ("ties", [("density", "0.5"), ("space", "core")], nil),
        ("dare_ties", [("density", "0.5"), ("space", "core")], nil),   // random masks keyed by module position
    ]

    @Test(arguments: 0..<cases.count)
    func streamedExportEqualsInMemoryExport(_ index: Int) throws {
        let (method, parameters, rank) = Self.cases[index]
        let dir = try Fixtures.temporaryDirectory("seedlora-stream")
        defer { FilePaths.removeTree(dir) }
        var request = MergeRequest()
        request.method = method
        request.inputs = Fixtures.seedPaths
        request.parameters = parameters
        request.rank = rank
        request.seed = 7
        request.output = dir + "/streamed"
        let report = try MergePipeline.run(request)
        #expect(report.phases.contains { $0.0.contains("streamed") }, "the merge did not stream")

        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let (configured, _) = try StrategyRegistry.entry(named: method).instantiate(parameters, inputCount: 3, seed: 7)
        var modules = try MergeEngine.run(configured, on: input)
        if let rank { modules = try RankReduction.reduce(modules, rank: rank).0 }
        let export = PeftExport(modules: modules, dtype: .f32, template: input.adapters.first?.config, modelCard: "")
        try export.write(to: dir + "/memory", replace: false)

        let streamed = try Data(contentsOf: URL(fileURLWithPath: dir + "/streamed/adapter_model.safetensors"))
        let memory = try Data(contentsOf: URL(fileURLWithPath: dir + "/memory/adapter_model.safetensors"))
        #expect(streamed.count > 1000)
        #expect(streamed == memory, "\(method) \(parameters): streamed export differs from the in-memory one")
    }

    /// A NaN in one input is refused by the streamed merge with the file and module named, and
    /// nothing is left at the output path.
    @Test func nonFiniteInputIsRefusedNamingTheModule() throws {
        let dir = try Fixtures.temporaryDirectory("seedlora-stream-nan")
        defer { FilePaths.removeTree(dir) }
        let source = Fixtures.seedPaths[1]
        let copy = dir + "/bad"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in ["adapter_config.json", "adapter_model.safetensors"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: copy + "/" + name)
        }
        let file = try SafetensorsFile(path: copy + "/adapter_model.safetensors")
        guard let entry = file.entries.first(where: { $0.name.hasSuffix("lora_A.weight") && $0.dtype == .f32 }) else {
            Issue.record("no F32 lora_A tensor in the fixture")
            return
        }
        let header = try Data(contentsOf: URL(fileURLWithPath: copy + "/adapter_model.safetensors")).prefix(8)
        let dataStart = 8 + Int(header.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: copy + "/adapter_model.safetensors"))
        try handle.seek(toOffset: UInt64(dataStart + entry.begin + 4 * 17))
        try handle.write(contentsOf: withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) })
        try handle.close()

        var request = MergeRequest()
        request.method = "seedlora"
        request.inputs = [Fixtures.seedPaths[0], copy, Fixtures.seedPaths[2]]
        request.output = dir + "/out"
        let module = String(entry.name.dropFirst(PeftAdapter.keyPrefix.count).dropLast(".lora_A.weight".count))
        #expect {
            _ = try MergePipeline.run(request)
        } throws: { error in
            let text = "\(error)"
            return text.contains(module) && text.contains("bad/adapter_model.safetensors") && text.contains("non-finite")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }
}
