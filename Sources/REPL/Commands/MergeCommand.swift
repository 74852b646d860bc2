import ArgumentParser
import Foundation
import Kernel
import Ops
import Plugins

/// `seedlora merge`: merge adapters with a strategy and write a PEFT adapter, a dense delta file
/// or a merged checkpoint.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge PEFT LoRA adapters; write a PEFT adapter, dense deltas, or a merged model.",
        // One line per paragraph: the argument parser wraps it to the terminal once.
        discussion: """
            --format peft (default) writes a PEFT adapter directory that PEFT and vLLM load: one safetensors file, r == lora_alpha (scale 1), the same rank for every module. Factored methods (seedlora, linear, task_arithmetic, model_stock, slerp, nuslerp, karcher) are exported exactly; --rank K writes the best rank-K approximation and reports how much of the Frobenius energy it keeps. Dense methods (ties, dare_*, ...) need --rank K.

            --format delta writes delta.safetensors with one `<module>.weight` tensor per module. --format model --base DIR writes base + delta, sharded and typed like the base. --format mlx writes an mlx-lm adapter (adapters.safetensors, fine_tune_type lora, rank = the exported rank, scale 1) that mlx_lm's load_adapters / --adapter-path load.

            Strategy parameters: --param name=value, repeatable; per-input values as a comma list in input order, e.g. --param weights=1,1,2. See `seedlora strategies`.

            Exit codes: 0 success, 1 bad input (files, adapters, I/O), 2 usage (unknown method or parameter, bad option).
            """
    )

    @Option(name: .long, help: "Merge method (default seedlora; see `seedlora strategies`).", completion: CompletionKinds.method)
    var method: String?

    @Argument(help: "Adapter directories (PEFT or mlx-lm) or hub ids org/name[@revision] from the Hugging Face cache, in order.",
              completion: CompletionKinds.adapter)
    var adapters: [String] = []

    @Option(name: .long, help: "A mergekit YAML recipe (merge_method, models, parameters, base_model, dtype).",
            completion: .file(extensions: ["yml", "yaml"]))
    var config: String?

    @Option(name: .long, help: "Output directory (created; must not exist unless --force).", completion: .directory)
    var out: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A strategy parameter, name=value (repeatable).", valueName: "name=value"),
            completion: CompletionKinds.parameter)
    var params: [String] = []

    @Option(name: .long, help: "Output form: peft (default), delta, model or mlx (an mlx-lm adapter).",
            completion: .list(MergeRequest.Format.allCases.map(\.rawValue)))
    var format: MergeRequest.Format = .peft

    // `.unconditional`: a negative value is read as the value (and refused with the reason), not
    // as an unknown option.
    @Option(name: .long, parsing: .unconditional, help: "Write the best rank-K approximation as a PEFT adapter.")
    var rank: Int?

    @Option(name: .long, parsing: .unconditional, help: "Refuse a PEFT export whose rank exceeds R (e.g. the server's max_lora_rank).")
    var maxRank: Int?

    @Option(name: .long, help: "The base model directory (or a cached hub id org/name[@revision]), for --format model.",
            completion: .directory)
    var base: String?

    @Option(name: .long, help: "Stored dtype (default: bf16 when every input is stored as bf16, else f32; the base's dtype for --format model).")
    var dtype: ExportDType?

    @Option(name: .long, help: "Seed of the random masks (dare_*, della*) and of randomized SVD.")
    var seed: UInt64 = 0

    @Flag(name: .long, help: "Merge even if an input has NaN or infinite weights.")
    var allowNonfinite = false

    @Flag(name: .long, help: "Replace the output directory if it exists.")
    var force = false

    @Flag(name: .long, help: "Print nothing on success.")
    var quiet = false

    @Option(name: .long, help: ArgumentHelp("Merge at every value: name=start:stop:step (stop included) or name=v1,v2,...; repeat for a grid. Writes OUT/<name>=<value>/ per point and OUT/sweep.csv.", valueName: "name=values"))
    var sweep: [String] = []

    @Option(name: .long, help: ArgumentHelp("A .seed file defining strategies (`strategy name(deltas, weights, ...) { ... }`); repeatable.", valueName: "file"))
    var plugin: [String] = []

    func validate() throws {
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1, got \(rank)") }
        if let maxRank, maxRank < 1 { throw ValidationError("--max-rank must be at least 1, got \(maxRank)") }
        if out.isEmpty { throw ValidationError("--out is an empty path; give the output directory") }
        do { _ = try Assignment.parseAll(params, option: "--param") } catch let error as SeedloraError {
            throw ValidationError(error.message)
        }
        if !sweep.isEmpty && !plugin.isEmpty {
            throw ValidationError("--sweep runs the built-in strategies; it does not combine with --plugin")
        }
        if config == nil && adapters.isEmpty {
            throw ValidationError("give the adapter directories to merge (or --config recipe.yml)")
        }
        if config != nil && !adapters.isEmpty {
            throw ValidationError("--config lists the adapters itself; do not also give them on the command line")
        }
    }

    func run() throws {
        let start = Terminal.now()
        let request = try makeRequest()
        if !plugin.isEmpty, try runSeedStrategy(request, start: start) { return }
        if !sweep.isEmpty { return try runSweep(request) }
        let progress = quiet ? nil : Terminal.progressReporter(label: "modules")
        let report = try MergePipeline.run(request, progress: progress)
        Terminal.endProgress()
        if !quiet {
            summarize(report, seconds: Terminal.now() - start)
            for warning in report.warnings { Terminal.printError("seedlora: warning: \(warning)") }
        }
    }

    /// The request the options describe (with a recipe's models, method, base and dtype).
    private func makeRequest() throws -> MergeRequest {
        var request = MergeRequest()
        request.method = method ?? "seedlora"
        request.parameters = try Assignment.parseAll(params, option: "--param").map(\.pair)
        request.inputs = adapters
        var recipeBase: String?
        if let config {
            let recipe = try Recipe(path: config)
            request.method = method ?? recipe.method
            request.inputs = recipe.models.map(\.adapter)
            request.plan = ParameterPlan(recipe: recipe, overrides: request.parameters)
            recipeBase = recipe.baseModel
            if dtype == nil { request.dtype = recipe.dtype }
        }
        request.output = out
        request.format = format
        request.rank = rank
        request.maxRank = maxRank
        if let dtype { request.dtype = dtype.dtype }
        request.base = base ?? (request.format == .model ? recipeBase : nil)
        request.seed = seed
        request.allowNonFinite = allowNonfinite
        request.replace = force
        return request
    }

    private func summarize(_ report: MergeReport, seconds: Double) {
        let info = report.info
        let settings = report.parameterSets > 1
            ? ["parameters vary per module: \(report.parameterSets) sets from the recipe"]
            : info.parameters.map { "\($0.name)=\(report.parameters.values[$0.name].map(String.init(describing:)) ?? "")" }
        var lines = ["seedlora: merged \(report.inputCount) adapter\(report.inputCount == 1 ? "" : "s") with \(info.name)"
            + (settings.isEmpty ? "" : " (\(settings.joined(separator: ", ")))")]
        let modules = "\(report.moduleCount) module\(report.moduleCount == 1 ? "" : "s")"
        switch report.format {
        case .peft:
            let form = rank == nil ? "exact" : "best rank-\(rank ?? 0) approximation"
            let r = report.exportedRank ?? 0
            lines.append("  \(modules), \(form), exported rank \(r) (r = lora_alpha = \(r)), \(report.exportedDType?.rawValue ?? "")")
        case .delta:
            lines.append("  \(modules), dense deltas (delta.safetensors, \(report.exportedDType?.rawValue ?? ""))")
        case .mlx:
            let r = report.exportedRank ?? 0
            lines.append("  \(modules), \(rank == nil ? "exact" : "best rank-\(r) approximation"), mlx-lm adapter (rank \(r), scale 1), \(report.exportedDType?.rawValue ?? "")")
        case .model:
            lines.append("  \(modules) merged into \(base ?? "the base") (\(report.files.count - 1) shard\(report.files.count - 1 == 1 ? "" : "s"))")
        }
        lines += report.notes.map { "  " + $0 }
        if report.isAllZero {
            lines.append("  Frobenius energy kept: n/a (the merged delta is zero in every module)")
        } else if let energy = report.energy {
            lines.append("  Frobenius energy kept: min \(Terminal.percent(energy.minimum)), median \(Terminal.percent(energy.median)) over modules")
        }
        let phases = report.phases.map { "\($0.0) \(String(format: "%.2f", $0.1))" }.joined(separator: ", ")
        let size = report.files.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: out + "/" + name)[.size] as? Int) ?? 0)
        }
        let peak = Terminal.peakMemory().map { ", peak memory \(Terminal.bytes($0))" } ?? ""
        lines.append("  wrote \(out) (\(Terminal.bytes(size))) in \(String(format: "%.2f", seconds)) s (\(phases))\(peak)")
        Terminal.printError(lines.joined(separator: "\n"))
    }

    /// Loads the --plugin files; when --method names a strategy they define, merges with it
    /// (per module, on dense deltas) through the shared exporter and returns true. Otherwise the
    /// built-in path runs.
    private func runSeedStrategy(_ request: MergeRequest, start: Double) throws -> Bool {
        let session = ScriptRunner.makeSession(quiet: quiet)
        Interrupts.install(session.cancellation)
        for file in plugin {
            let diagnostics = session.runFile(file)
            if !diagnostics.isEmpty { ScriptRunner.finish(diagnostics, closing: session) }
        }
        guard let method, session.seedStrategyNames.contains(method) else { return false }
        let (report, diagnostics) = try session.mergeWithSeedStrategy(request)
        ScriptRunner.finish(diagnostics, closing: session)
        if !quiet, let report {
            let count = report.inputCount
            Terminal.printError("seedlora: merged \(count) adapter\(count == 1 ? "" : "s") with \(method) (\(plugin.joined(separator: ", "))); wrote \(out) in \(String(format: "%.2f", Terminal.now() - start)) s")
            for warning in report.warnings { Terminal.printError("seedlora: warning: \(warning)") }
        }
        return true
    }
}
