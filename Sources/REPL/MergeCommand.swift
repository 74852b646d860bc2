import ArgumentParser
import Foundation
import Ops
import Plugins

/// `seedlora merge`: merge adapters with a strategy and export a PEFT adapter directory.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge PEFT LoRA adapters and write the result as a PEFT adapter directory.",
        discussion: """
            The export loads in PEFT (PeftModel.from_pretrained) and vLLM: one safetensors file,
            r == lora_alpha (scale 1), the same rank for every module. By default it is exact
            (for seedlora: rank = sum of the input ranks + 1); --rank K writes the best rank-K
            approximation and reports how much of the Frobenius energy it keeps.

            Strategy parameters: --param name=value, repeatable; per-input values as a comma list
            in input order, e.g. --param weights=1,1,2. See `seedlora strategies`.
            """
    )

    @Option(name: .long, help: "Merge method (see `seedlora strategies`).")
    var method: String = "seedlora"

    @Argument(help: "PEFT adapter directories to merge, in order.")
    var adapters: [String]

    @Option(name: .long, help: "Output directory (created; must not exist unless --force).")
    var out: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A strategy parameter, name=value (repeatable).", valueName: "name=value"))
    var params: [String] = []

    @Option(name: .long, help: "Write the best rank-K approximation instead of the exact merge.")
    var rank: Int?

    @Option(name: .long, help: "Refuse an export whose rank exceeds R (e.g. the server's max_lora_rank).")
    var maxRank: Int?

    @Option(name: .long, help: "Stored dtype: f32 (default), bf16 or f16.")
    var dtype: String = "f32"

    @Flag(name: .long, help: "Merge even if an input has NaN or infinite weights.")
    var allowNonfinite = false

    @Flag(name: .long, help: "Replace the output directory if it exists.")
    var force = false

    @Flag(name: .long, help: "Print nothing on success.")
    var quiet = false

    func validate() throws {
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1") }
        if let maxRank, maxRank < 1 { throw ValidationError("--max-rank must be at least 1") }
        guard let type = DType(userName: dtype), [.f32, .bf16, .f16].contains(type) else {
            throw ValidationError("--dtype must be f32, bf16 or f16, got '\(dtype)'")
        }
        for param in params where !param.contains("=") {
            throw ValidationError("--param takes name=value, got '\(param)'")
        }
    }

    func run() throws {
        let start = Terminal.now()
        let entry = try StrategyRegistry.entry(named: method)
        if FilePaths.exists(out) && !force {
            throw SeedloraError(path: out, "output already exists; choose another --out or pass --force to replace it")
        }
        let raw = params.map { param -> (String, String) in
            let parts = param.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(parts[0]).trimmingCharacters(in: .whitespaces), parts.count > 1 ? String(parts[1]) : "")
        }
        let (strategy, resolved) = try entry.instantiate(raw, inputCount: adapters.count)
        var phases = PhaseTimer()
        let input = try MergeEngine.loadInputs(adapters, options: .init(allowNonFinite: allowNonfinite))
        phases.mark("load")
        var merged = try MergeEngine.run(strategy, on: input)
        phases.mark("merge")
        var report: RankReduction.Report?
        if let rank {
            (merged, report) = try RankReduction.reduce(merged, rank: rank)
            phases.mark("rank-\(rank) SVD")
        }
        let exportType = DType(userName: dtype) ?? .f32
        var export = PeftExport(modules: merged, dtype: exportType, template: input.adapters.first?.config,
                                modelCard: modelCard(entry: entry, resolved: resolved, rank: rank))
        if let first = adapters.first { export.relocateBaseModel(from: first, to: out) }
        if let maxRank, export.rank > maxRank {
            throw SeedloraError(path: out,
                "the export needs rank \(export.rank) but --max-rank is \(maxRank); pass --rank \(maxRank) to write the best rank-\(maxRank) approximation")
        }
        try export.write(to: out, replace: force)
        phases.mark("write")
        if !quiet {
            summarize(entry: entry, resolved: resolved, input: input, export: export, report: report,
                      seconds: Terminal.now() - start, phases: phases)
        }
    }

    private func summarize(entry: StrategyEntry, resolved: ResolvedParameters, input: MergeInput,
                           export: PeftExport, report: RankReduction.Report?, seconds: Double, phases: PhaseTimer) {
        let settings = entry.info.parameters.map { "\($0.name)=\(resolved.values[$0.name].map(String.init(describing:)) ?? "")" }
        var lines = ["seedlora: merged \(input.inputCount) adapters with \(entry.info.name) (\(settings.joined(separator: ", ")))"]
        let form = rank == nil ? "exact" : "best rank-\(rank ?? 0) approximation"
        lines.append("  \(input.modules.count) modules, \(form), exported rank \(export.rank) (r = lora_alpha = \(export.rank)), \(export.dtype.rawValue)")
        if let report {
            lines.append("  Frobenius energy kept: min \(Terminal.percent(report.minimum)), median \(Terminal.percent(report.median)) over modules")
        }
        let weights = out + "/adapter_model.safetensors"
        let size = (try? FileManager.default.attributesOfItem(atPath: weights)[.size] as? Int) ?? 0
        lines.append("  wrote \(out) (adapter_model.safetensors \(Terminal.bytes(size))) in \(String(format: "%.2f", seconds)) s (\(phases.summary))")
        Terminal.printError(lines.joined(separator: "\n"))
    }

    private func modelCard(entry: StrategyEntry, resolved: ResolvedParameters, rank: Int?) -> String {
        let params = entry.info.parameters.map { "- `\($0.name)`: \(resolved.values[$0.name].map(String.init(describing:)) ?? "")" }
        return """
            # Merged LoRA adapter

            Written by seedlora \(SeedloraVersion.string) with `seedlora merge --method \(entry.info.name)`.

            - method: \(entry.info.name): \(entry.info.summary)
            - form: \(rank.map { "best rank-\($0) approximation" } ?? entry.info.form)
            - inputs, in order:
            \(adapters.map { "  - `\($0)`" }.joined(separator: "\n"))

            Parameters:
            \(params.joined(separator: "\n"))

            """
    }
}
