import Dispatch
import Ops

/// What `seedlora merge` asks for: inputs, strategy and parameters, and the output form.
public struct MergeRequest: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// A PEFT LoRA adapter directory (exact for factored methods, `rank` for the best rank-K).
        case peft
        /// A directory with `delta.safetensors`: the dense merged delta of every module.
        case delta
        /// A merged full checkpoint: base weights + delta, sharded and typed like the base.
        case model
        /// An mlx-lm adapter directory (`adapters.safetensors`) that mlx_lm's load_adapters loads.
        case mlx
    }

    public var method = "seedlora"
    public var parameters: [(String, String)] = []
    public var inputs: [String] = []
    public var output = ""
    public var format = Format.peft
    public var rank: Int?
    public var maxRank: Int?
    /// Stored dtype; nil: bf16 when every input is stored as bf16, else f32 (`ExportDType.matching`),
    /// and the base's dtype for model.
    public var dtype: DType?
    public var base: String?
    public var seed: UInt64 = 0
    public var allowNonFinite = false
    public var replace = false
    /// Per-module parameters from a recipe; when set, `parameters` are its overrides.
    public var plan: ParameterPlan?

    public init() {}
}

/// What a merge did, for the summary.
public struct MergeReport: Sendable {
    public let info: StrategyInfo
    public let parameters: ResolvedParameters
    /// How many different parameter sets were used (more than 1 with recipe gradients/filters).
    public let parameterSets: Int
    public let inputCount: Int
    public let moduleCount: Int
    public let format: MergeRequest.Format
    /// The rank of a PEFT export.
    public let exportedRank: Int?
    public let exportedDType: DType?
    /// Energy kept per module by a rank-K export.
    public let energy: RankReduction.Report?
    public let phases: [(String, Double)]
    public let files: [String]
    /// What loading decided (MergeInput.notes).
    public var notes: [String] = []
    /// Signs of a probable mistake (see `MergeWarnings`), for the caller to show.
    public internal(set) var warnings: [String] = []
    /// Whether every module of the result is exactly zero (then "energy kept" means nothing).
    public internal(set) var isAllZero = false
}

/// Runs a merge request end to end: validate, load, merge, write atomically.
public enum MergePipeline {
    public static func run(_ request: MergeRequest, cancellation: Cancellation = Cancellation(),
                           progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> MergeReport {
        var clock = PhaseClock()
        let entry = try StrategyRegistry.entry(named: request.method)
        try check(request, entry: entry)
        // Without a recipe the parameters are checked before any file is read.
        let early = request.plan == nil
            ? try usage { try entry.instantiate(request.parameters, inputCount: request.inputs.count, seed: request.seed) } : nil
        // Module-local factored merges stream from load to write (nil: not applicable here).
        if let streamed = try FactoredStreamMerge.run(request, entry: entry, early: early, cancellation: cancellation,
                                                      progress: progress) {
            return streamed
        }
        let baseCheckpoint = try request.base.map { try Checkpoint(directory: $0) }
        let input = try MergeEngine.loadInputs(request.inputs, options: .init(allowNonFinite: request.allowNonFinite, base: baseCheckpoint))
        clock.mark("load")
        var warnings = MergeWarnings.inputs(input, shown: request.inputs)
        if let base = request.base, MergeWarnings.baseIsUnused(input, format: request.format) {
            warnings.append("--base \(base) has no effect: the inputs are plain LoRA adapters (no DoRA) and --format is \(request.format.rawValue)")
        }
        var screens: [DeltaScreen] = []
        var groups = try configure(request, entry: entry, input: input, early: early)
        if input.hasDoRA { groups = try denseForDoRA(groups, request: request, info: entry.info) }
        guard let first = groups.first else { throw SeedloraError("internal: no strategy was configured") }
        let resolved = first.resolved
        let strategy = first.strategy
        var exportedRank: Int?, energy: RankReduction.Report?, dtype: DType?
        var files: [String] = []
        let card = Self.card(request, info: entry.info, resolved: resolved, parameterSets: groups.count, notes: input.notes)
        var notes = input.notes
        let (storedAs, dtypeNote) = request.exportDType(inputs: input.adapters)
        if request.format != .model, let dtypeNote { notes.append(dtypeNote) }

        try Exporter.export(to: request.output, force: request.replace, .commandLine) { directory in
            switch request.format {
            case .peft, .mlx:
                // The method's result without lambda, then lambda, as every sweep point (see LambdaFreeMerge).
                let merge = try LambdaFreeMerge.compute(groups, input: input, rank: request.rank, seed: request.seed,
                                                        cancellation: cancellation, progress: progress, clock: &clock)
                let modules = merge.scaled(by: groups)
                energy = merge.energy
                if request.format == .mlx {
                    let export = MlxExport(modules: modules, dtype: storedAs, inputs: input.adapters, modelCard: card)
                    try Exporter.checkMaxRank(export.rank, maxRank: request.maxRank, output: request.output)
                    try export.write(into: directory)
                    clock.mark("write")
                    (exportedRank, dtype) = (export.rank, export.dtype)
                    files = [MlxAdapter.weightsName, "adapter_config.json", "README.md"]
                    screens = modules.map { DeltaScreen($0.delta) }
                    break
                }
                let export = try Exporter.writePeft(modules, dtype: storedAs, template: input.adapters.first?.config,
                                                    firstInput: request.inputs.first, maxRank: request.maxRank, card: card, into: directory)
                screens = modules.map { DeltaScreen($0.delta) }
                clock.mark("write")
                exportedRank = export.rank
                dtype = export.dtype
                files = Exporter.peftFiles

            case .delta:
                try Exporter.writeDelta(modules: input.modules.map { ($0.name, $0.shape) }, dtype: storedAs, card: card, into: directory) { append in
                    try streamDense(groups, input: input, cancellation: cancellation, progress: progress) { _, tensor in
                        screens.append(DeltaScreen(dense: tensor))
                        try append(tensor)
                    }
                }
                clock.mark("merge + write")
                dtype = storedAs
                files = Exporter.deltaFiles

            case .model:
                guard let basePath = request.base else { throw SeedloraError(.usage, "--format model needs --base MODEL_DIR") }
                let checkpoint = try baseCheckpoint ?? Checkpoint(directory: basePath)
                let byWeight = Dictionary(uniqueKeysWithValues: input.modules.enumerated().map { ($1.name + ".weight", $0) })
                var factored: [PeftExport.Module]?
                if case .factored = strategy { factored = try runFactored(groups, input: input, cancellation: cancellation) }
                let perModule = factored == nil ? denseStrategies(groups, count: input.modules.count) : []
                let changed = try Exporter.writeModel(base: checkpoint, dtype: request.dtype, card: card, into: directory) { name, shape in
                    guard let index = byWeight[name] else { return nil }
                    try cancellation.check()
                    let group = input.modules[index]
                    guard shape == group.shape else {
                        throw SeedloraError(path: basePath, "\(name) has shape \(shape) in the base model but the adapters' delta for it is \(group.shape); is this the adapters' base model?")
                    }
                    let merged = try factored.map { $0[index].delta.denseFloat() }
                        ?? perModule[index].merge(DenseModule(name: group.name, index: index, deltas: try input.denseDeltas(of: index)))
                    screens.append(DeltaScreen(dense: merged))
                    return merged
                }
                let missing = Set(byWeight.keys).subtracting(changed)
                if let name = missing.sorted().first {
                    throw SeedloraError(path: basePath, "the base model has no tensor \(name), which the adapters adapt (\(missing.count) missing); is this the adapters' base model?")
                }
                clock.mark("merge + write")
                dtype = request.dtype
                files = checkpoint.shards + ["README.md"]
            }
        }
        clock.mark("commit")
        warnings += MergeWarnings.result(screens: screens)
        var report = MergeReport(info: entry.info, parameters: resolved, parameterSets: groups.count, inputCount: input.inputCount,
                           moduleCount: input.modules.count, format: request.format, exportedRank: exportedRank,
                           exportedDType: dtype, energy: energy, phases: clock.phases, files: files, notes: notes)
        report.warnings = warnings
        report.isAllZero = MergeWarnings.isAllZero(screens)
        return report
    }

    /// A strategy refuses its parameters (a weight sum of 0, a wrong input count) in the words of
    /// a bad input; on the command line that is a usage error, whatever the method (exit code 2).
    static func usage<R>(_ body: () throws -> R) throws -> R {
        do { return try body() } catch let error as SeedloraError where error.kind == .badInput && error.path == nil {
            throw SeedloraError(.usage, error.message)
        }
    }

    /// The model card of a merge made by `request` (one shared rendering: see `ModelCard`).
    static func card(_ request: MergeRequest, info: StrategyInfo, resolved: ResolvedParameters, parameterSets: Int = 1,
                     notes: [String]) -> String {
        var fields = ModelCard(info: info, resolved: resolved, seed: request.seed, inputs: request.inputs)
        fields.parameterSets = parameterSets
        fields.base = request.base
        fields.notes = notes
        return fields.render(format: request.format, rank: request.rank)
    }

    /// Refuses impossible requests before any file is read.
    static func check(_ request: MergeRequest, entry: StrategyEntry) throws {
        guard !request.inputs.isEmpty else { throw SeedloraError(.usage, "no input adapters given") }
        try Exporter.refuseExisting(request.output, force: request.replace, .commandLine)
        if request.rank != nil && request.format != .peft && request.format != .mlx {
            throw SeedloraError(.usage, "--rank applies to --format peft or mlx (a rank-K adapter); --format \(request.format.rawValue) writes dense tensors")
        }
        if request.format == .model && request.base == nil {
            throw SeedloraError(.usage, "--format model needs --base MODEL_DIR (the base checkpoint the adapters were trained on)")
        }
        if entry.form(for: request.parameters) == .dense && (request.format == .peft || request.format == .mlx) && request.rank == nil {
            throw SeedloraError(.usage, "\(entry.info.name) computes a full-rank delta; say how to write it: --rank K (best rank-K PEFT adapter), --format delta (dense delta safetensors), or --base MODEL_DIR --format model (merged checkpoint)")
        }
    }

    /// A strategy and the modules it merges (all of them, unless a recipe varies parameters).
    struct Group {
        let strategy: ConfiguredStrategy
        let resolved: ResolvedParameters
        let indices: [Int]
    }

    /// One strategy per distinct parameter set.
    static func configure(_ request: MergeRequest, entry: StrategyEntry, input: MergeInput,
                          early: (ConfiguredStrategy, ResolvedParameters)?) throws -> [Group] {
        let all = Array(input.modules.indices)
        if let (strategy, resolved) = early { return [Group(strategy: strategy, resolved: resolved, indices: all)] }
        guard let plan = request.plan else { return [] }
        let depths = ParameterPlan.depths(input.modules.map(\.name))
        var order: [String] = []
        var byKey: [String: (raw: [(String, String)], indices: [Int])] = [:]
        for (i, module) in input.modules.enumerated() {
            let raw = try plan.raw(module: module.name, depth: depths[i], specs: entry.info.parameters)
            let key = raw.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1F}")
            if byKey[key] == nil { order.append(key); byKey[key] = (raw, []) }
            byKey[key]?.indices.append(i)
        }
        let groups = try order.compactMap { key -> Group? in
            guard let (raw, indices) = byKey[key] else { return nil }
            let (strategy, resolved) = try entry.instantiate(raw, inputCount: input.inputCount, seed: request.seed)
            return Group(strategy: strategy, resolved: resolved, indices: indices)
        }
        if groups.count > 1, groups.contains(where: { $0.resolved.choice("stats") == "adapter" }) {
            throw SeedloraError(.usage, "stats=adapter takes statistics over all modules, so its parameters cannot vary per module")
        }
        return groups
    }

    /// DoRA deltas are dense: factored methods run on them through their dense equivalents, and
    /// the result needs a dense output form.
    static func denseForDoRA(_ groups: [Group], request: MergeRequest, info: StrategyInfo) throws -> [Group] {
        if (request.format == .peft || request.format == .mlx) && request.rank == nil {
            throw SeedloraError(.usage, "DoRA deltas are full-rank, so the merge is too; say how to write it: --rank K, --format delta, or --format model")
        }
        return try groups.map { group in
            switch group.strategy {
            case .dense: return group
            case .factored(let factored):
                guard let dense = factored.denseEquivalent() else {
                    throw SeedloraError(.usage, "\(info.name) with these parameters needs every module at once and cannot merge DoRA adapters (try stats=module)")
                }
                return Group(strategy: .denseMerger(dense), resolved: group.resolved, indices: group.indices)
            case .denseMerger: return group
            }
        }
    }

    /// Runs factored groups and returns the modules in input order.
    static func runFactored(_ groups: [Group], input: MergeInput, cancellation: Cancellation) throws -> [PeftExport.Module] {
        var modules = [PeftExport.Module?](repeating: nil, count: input.modules.count)
        for group in groups {
            guard case .factored(let strategy) = group.strategy else { continue }
            let merged = try MergeEngine.run(strategy, on: input.subset(group.indices), cancellation: cancellation)
            for (i, module) in zip(group.indices, merged) { modules[i] = module }
        }
        return try modules.map { module in
            guard let module else { throw SeedloraError("internal: a module was not merged") }
            return module
        }
    }

    /// The dense strategy of every module.
    static func denseStrategies(_ groups: [Group], count: Int) -> [any DenseModuleMerger] {
        var table = [(any DenseModuleMerger)?](repeating: nil, count: count)
        for group in groups {
            let merger: any DenseModuleMerger
            switch group.strategy {
            case .dense(let strategy): merger = strategy
            case .denseMerger(let strategy): merger = strategy
            case .factored: continue
            }
            for i in group.indices { table[i] = NonFiniteMerge.DenseGuard(merger) }
        }
        return table.compactMap { $0 }
    }

    /// Calls `body` with each module's dense merged delta, in module order, streaming.
    static func streamDense(_ groups: [Group], input: MergeInput, cancellation: Cancellation,
                            progress: (@Sendable (Int, Int) -> Void)?,
                            _ body: (Int, Tensor) throws -> Void) throws {
        if case .factored? = groups.first?.strategy {
            let merged = try runFactored(groups, input: input, cancellation: cancellation)
            for (i, module) in merged.enumerated() {
                try cancellation.check()
                try body(i, module.delta.denseFloat())
                progress?(i + 1, merged.count)
            }
        } else {
            let perModule = denseStrategies(groups, count: input.modules.count)
            try DenseMergeEngine.stream({ perModule[$0] }, input: input, cancellation: cancellation, progress: progress,
                                        transform: { _, merged in merged }, consume: body)
        }
    }
}

/// Wall-clock phases of a merge.
struct PhaseClock {
    private var last = DispatchTime.now().uptimeNanoseconds
    private(set) var phases: [(String, Double)] = []

    mutating func mark(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        phases.append((name, Double(now - last) * 1e-9))
        last = now
    }
}
