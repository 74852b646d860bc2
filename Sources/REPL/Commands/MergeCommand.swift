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
        discussion: """
            --format peft (default) writes a PEFT adapter directory that PEFT and vLLM load: one
            safetensors file, r == lora_alpha (scale 1), the same rank for every module. Factored
            methods (seedlora, linear, task_arithmetic, model_stock, slerp, nuslerp, karcher) are
            exported exactly; --rank K writes the best rank-K approximation and reports how much
            of the Frobenius energy it keeps. Dense methods (ties, dare_*, ...) need --rank K.
            --format delta writes delta.safetensors with one `<module>.weight` tensor per module.
            --format model --base DIR writes base + delta, sharded and typed like the base.

            Strategy parameters: --param name=value, repeatable; per-input values as a comma list
            in input order, e.g. --param weights=1,1,2. See `seedlora strategies`.
            """
    )

    @Option(name: .long, help: "Merge method (default seedlora; see `seedlora strategies`).")
    var method: String?

    @Argument(help: "PEFT adapter directories to merge, in order.")
    var adapters: [String] = []

    @Option(name: .long, help: "A mergekit YAML recipe (merge_method, models, parameters, base_model, dtype).")
    var config: String?

    @Option(name: .long, help: "Output directory (created; must not exist unless --force).")
    var out: String

    @Option(name: .customLong("param"), help: ArgumentHelp("A strategy parameter, name=value (repeatable).", valueName: "name=value"))
    var params: [String] = []

    @Option(name: .long, help: "Output form (see above).")
    var format: MergeRequest.Format = .peft

    @Option(name: .long, help: "Write the best rank-K approximation as a PEFT adapter.")
    var rank: Int?

    @Option(name: .long, help: "Refuse a PEFT export whose rank exceeds R (e.g. the server's max_lora_rank).")
    var maxRank: Int?

    @Option(name: .long, help: "The base model directory, for --format model.")
    var base: String?

    @Option(name: .long, help: "Stored dtype (default f32; the base's dtype for --format model).")
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
        if let rank, rank < 1 { throw ValidationError("--rank must be at least 1") }
        if let maxRank, maxRank < 1 { throw ValidationError("--max-rank must be at least 1") }
        do { _ = try Assignment.parseAll(params, option: "--param") } catch let error as SeedloraError {
            throw ValidationError(error.message)
        }
        if config == nil && adapters.isEmpty {
            throw ValidationError("give the adapter directories to merge (or --config recipe.yml)")
        }
        if !sweep.isEmpty && !plugin.isEmpty {
            throw ValidationError("--sweep runs the built-in strategies; it does not combine with --plugin")
        }
        if config != nil && !adapters.isEmpty {
            throw ValidationError("--config lists the adapters itself; do not also give them on the command line")
        }
    }

    func run() throws {
        if !plugin.isEmpty, try runSeedStrategy() { return }
        let start = Terminal.now()
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
        if !sweep.isEmpty { return try runSweep(request) }
        let progress = quiet ? nil : Terminal.progressReporter(label: "modules")
        let report = try MergePipeline.run(request, progress: progress)
        Terminal.endProgress()
        if !quiet { summarize(report, seconds: Terminal.now() - start) }
    }

    private func summarize(_ report: MergeReport, seconds: Double) {
        let info = report.info
        let settings = report.parameterSets > 1
            ? ["parameters vary per module: \(report.parameterSets) sets from the recipe"]
            : info.parameters.map { "\($0.name)=\(report.parameters.values[$0.name].map(String.init(describing:)) ?? "")" }
        var lines = ["seedlora: merged \(report.inputCount) adapters with \(info.name)"
            + (settings.isEmpty ? "" : " (\(settings.joined(separator: ", ")))")]
        switch report.format {
        case .peft:
            let form = rank == nil ? "exact" : "best rank-\(rank ?? 0) approximation"
            let r = report.exportedRank ?? 0
            lines.append("  \(report.moduleCount) modules, \(form), exported rank \(r) (r = lora_alpha = \(r)), \(report.exportedDType?.rawValue ?? "")")
        case .delta:
            lines.append("  \(report.moduleCount) modules, dense deltas (delta.safetensors, \(report.exportedDType?.rawValue ?? ""))")
        case .model:
            lines.append("  \(report.moduleCount) modules merged into \(base ?? "the base") (\(report.files.count) shard(s))")
        }
        if let energy = report.energy {
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
    /// (per module, on dense deltas) and returns true. Otherwise the built-in path runs.
    private func runSeedStrategy() throws -> Bool {
        let session = ScriptRunner.makeSession()
        Interrupts.install(session.cancellation)
        for file in plugin {
            let diagnostics = session.runFile(file)
            if !diagnostics.isEmpty { ScriptRunner.finish(diagnostics, closing: session) }
        }
        guard let method, session.seedStrategyNames.contains(method) else { return false }
        guard format != .model else {
            throw ValidationError("--format model is not available for strategies written in Seed; use --format delta or --rank K")
        }
        if FileManager.default.fileExists(atPath: out) && !force {
            throw SeedloraError(path: out, "output already exists; choose another --out or pass --force to replace it")
        }
        let parameters = try Assignment.parseAll(params, option: "--param").map(\.pair)
        let diagnostics = session.mergeWithSeedStrategy(method, inputs: adapters, parameters: parameters, output: out,
                                                        format: format.rawValue, rank: rank, dtype: dtype?.rawValue)
        ScriptRunner.finish(diagnostics, closing: session)
        if !quiet { Terminal.printError("seedlora: merged \(adapters.count) adapters with \(method) (\(plugin.joined(separator: ", "))); wrote \(out)") }
        return true
    }
}
