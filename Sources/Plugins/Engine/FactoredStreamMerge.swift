import Ops

/// A factored merge streamed from load to write, a few modules at a time.
///
/// Each module is read from the mapped input files (converted and screened for NaN/inf in the
/// same pass), merged while its factors are in cache, appended to the export, and its pages
/// released; so resident memory is a few modules whatever the model's size. Each core takes the
/// next module when it is free (`OrderedStream`), and the one that finds the next module in
/// order ready appends it, so appending overlaps merging, and the disk writes (direct I/O, see
/// `SafetensorsStreamWriter`) overlap both. The bytes written are those of the in-memory path
/// (`PeftExport.write(into:)`).
///
/// It applies to module-local strategies (those with a per-module dense equivalent: a method
/// that needs every module at once, like `seedlora stats=adapter`, has none), a PEFT export, no
/// recipe and no base model, on inputs that a plain merge accepts and whose modules all have the
/// same input ranks (so the export rank is known from the first module). Anything else returns
/// nil (before a byte is written, or when a later module's rank exceeds the first's), and the
/// pipeline takes its in-memory path, which also gives every refusal its usual message.
enum FactoredStreamMerge {
    private struct Abandon: Error {}

    static func run(_ request: MergeRequest, entry: StrategyEntry, early: (ConfiguredStrategy, ResolvedParameters)?,
                    cancellation: Cancellation, progress: (@Sendable (Int, Int) -> Void)?) throws -> MergeReport? {
        guard request.format == .peft, request.plan == nil, request.base == nil,
              let (configured, resolved) = early,
              case .factored(let strategy) = configured.withoutLambda.strategy,
              isModuleLocal(strategy),
              let plan = try? Plan(request.inputs) else { return nil }
        // lambda after any rank reduction, as in LambdaFreeMerge: the bits of a sweep point.
        let lambda = configured.withoutLambda.lambda
        var clock = PhaseClock()
        AllocatorTuning.reuseLargeBlocks()
        let directory = try AtomicDirectory(path: request.output, replace: request.replace)
        let (storedAs, dtypeNote) = request.exportDType(storedAs: plan.inputDTypes)
        var export = PeftExport(modules: [], dtype: storedAs, template: plan.indices.first?.config,
                                modelCard: MergePipeline.card(request, info: entry.info, resolved: resolved, notes: []))
        if let first = request.inputs.first { export.relocateBaseModel(from: first, to: request.output) }
        let skeletons = plan.indices.map { PeftAdapter(index: $0, modules: []) }
        let names = plan.names
        var energies: [Double] = [], screens: [DeltaScreen] = []
        let n = plan.indices.count
        var gram = [Double](repeating: 0, count: n * n)
        var rank = 0
        do {
            try directory.writing {
                var stream: PeftExportStream?
                var consumed: [String] = []
                let releaseBatch = max(1, (32 << 20) / max(1, plan.bytesPerModule))
                // Any free core merges the next module; the results are appended in module order
                // by whichever worker finds the next one ready, so writing overlaps merging.
                try OrderedStream.run(count: names.count, workers: DenseMergeEngine.defaultWorkers, cancellation: cancellation,
                                      compute: { i in
                    try mergeModule(i, names[i], plan: plan, skeletons: skeletons, strategy: strategy, lambda: lambda,
                                    request: request, cancellation: cancellation)
                }, consume: { i, merged in
                    if stream == nil {
                        // Every module has the same input ranks (see Plan), so the first module's
                        // export rank is every module's.
                        rank = max(1, merged.module.delta.rank)
                        try Exporter.checkMaxRank(rank, maxRank: request.maxRank, output: request.output)
                        guard let opened = try PeftExportStream(export: export, slots: plan.slots, rank: rank, directory: directory) else {
                            throw Abandon()
                        }
                        stream = opened
                    }
                    guard let stream, try stream.append(merged.module) else { throw Abandon() }
                    if let energy = merged.energy { energies.append(energy) }
                    screens.append(merged.screen)
                    for k in gram.indices { gram[k] += merged.inputGram[k] }
                    // Pages of merged modules are released in batches of about 32 MiB per input.
                    consumed.append(names[i])
                    if consumed.count >= releaseBatch || i + 1 == names.count {
                        for index in plan.indices { index.release(consumed) }
                        consumed.removeAll()
                    }
                    progress?(i + 1, names.count)
                })
                guard let stream else { throw Abandon() }
                try stream.finish(into: directory)
            }
        } catch is Abandon {
            return nil
        }
        try directory.commit()
        clock.mark("load + merge + write (streamed)")
        var report = MergeReport(info: entry.info, parameters: resolved, parameterSets: 1, inputCount: plan.indices.count,
                           moduleCount: names.count, format: .peft, exportedRank: rank, exportedDType: export.dtype,
                           energy: request.rank == nil ? nil : RankReduction.Report(energies: energies),
                           phases: clock.phases, files: ["adapter_model.safetensors", "adapter_config.json", "README.md"])
        report.notes = dtypeNote.map { [$0] } ?? []
        report.isAllZero = MergeWarnings.isAllZero(screens)
        report.warnings = MergeWarnings.inputs(weightsPaths: plan.indices.map(\.weightsPath), shown: request.inputs, gram: gram)
            + MergeWarnings.result(screens: screens)
        return report
    }

    /// Whether `merger` merges each module on its own: those with a per-module dense equivalent
    /// (the protocol's contract: nil means "needs all modules at once"), the element-wise
    /// methods run in a merge space (per module by construction, but with no dense equivalent
    /// since they refuse DoRA), and either under the final `lambda`.
    static func isModuleLocal(_ merger: any FactoredMerger) -> Bool {
        if let scaled = merger as? LambdaScaledFactored { return isModuleLocal(scaled.inner) }
        return merger is SpaceMerge || merger.denseEquivalent() != nil
    }

    /// One merged module, what the warnings need to know about it, and its inputs' inner
    /// products (`MergeWarnings.moduleGram`).
    struct MergedModule {
        let module: PeftExport.Module
        let energy: Double?
        let screen: DeltaScreen
        let inputGram: [Double]
    }

    /// One module: read from every input, merged (and reduced to `--rank`), screened.
    private static func mergeModule(_ position: Int, _ name: String, plan: Plan, skeletons: [PeftAdapter], strategy: any FactoredMerger,
                                    lambda: Double, request: MergeRequest,
                                    cancellation: Cancellation) throws -> MergedModule {
        var deltas: [LowRank] = []
        var kind = ModuleKind.linear
        var screenedFinite = true
        for index in plan.indices {
            let module = try index.load(name)
            if let bad = module.nonFinite {
                guard request.allowNonFinite else {
                    throw SeedloraError(path: index.weightsPath,
                        "module \(name): non-finite weight \(bad); refusing to merge (pass --allow-nonfinite to merge anyway)")
                }
                screenedFinite = false
            }
            deltas.append(module.delta)
            kind = module.kind
        }
        // The load screened every factor (and these inputs have no DoRA magnitudes, see Plan).
        let knownFinite = screenedFinite && deltas.allSatisfy { $0.scale.isFinite }
        let group = ModuleGroup(name: name, kind: kind, deltas: deltas, magnitudes: deltas.map { _ in nil },
                                knownFinite: knownFinite)
        // Its position in the full module list keys its random streams, as in the in-memory path.
        let input = MergeInput(adapters: skeletons, modules: [group], base: nil, positions: [position])
        let merged = try MergeEngine.run(strategy, on: input, cancellation: cancellation)
        guard var module = merged.first else { throw SeedloraError("internal: module \(name) was not merged") }
        // Combinations and SeedLoRA computed the inner products already; others are asked here.
        let inputGram = group.innerProducts.value ?? MergeWarnings.moduleGram(deltas)
        var energy: Double?
        if let k = request.rank {
            let (reduced, report) = try RankReduction.reduce([module], rank: k, cancellation: cancellation)
            guard let first = reduced.first else { throw SeedloraError("internal: module \(name) was not reduced") }
            module = first
            energy = report.energies.first
        }
        let result = scaled(module, lambda)
        return MergedModule(module: result, energy: energy, screen: DeltaScreen(result.delta), inputGram: inputGram)
    }

    private static func scaled(_ module: PeftExport.Module, _ lambda: Double) -> PeftExport.Module {
        PeftExport.Module(name: module.name, kind: module.kind, delta: MergeScale.apply(lambda: lambda, to: module.delta))
    }

    /// The inputs' indexes, checked from their headers to be streamable.
    struct Plan: Sendable {
        let indices: [PeftAdapterIndex]
        let names: [String]
        let slots: [PeftExportStream.Slot]
        /// Bytes of one input's tensors per module, on average.
        let bytesPerModule: Int
        /// How every input stores each module's factors.
        let inputDTypes: [DType]

        /// Nil (or an error) when the in-memory path should take the merge.
        init?(_ paths: [String]) throws {
            guard !paths.isEmpty else { return nil }
            // Hub ids and mlx-lm directories take the in-memory path (it resolves and maps them).
            guard paths.allSatisfy({ FilePaths.isDirectory($0) && !MlxAdapter.isMlxDirectory($0) }) else { return nil }
            indices = try paths.map { try PeftAdapterIndex(directory: $0) }
            guard let first = indices.first else { return nil }
            names = first.moduleNames
            var slots: [PeftExportStream.Slot] = []
            var inputDTypes: [DType] = []
            var inputRanks: [Int]?
            for name in names {
                var layouts: [PeftAdapterIndex.Layout] = []
                for index in indices {
                    guard let layout = index.layout(name), !layout.hasExtras,
                          index.config.rank(for: name) == layout.rank else { return nil }
                    layouts.append(layout)
                }
                guard let reference = layouts.first,
                      layouts.allSatisfy({ ($0.kind, $0.rows, $0.cols) == (reference.kind, reference.rows, reference.cols) })
                else { return nil }
                inputDTypes += layouts.map(\.dtype)
                let ranks = layouts.map(\.rank)
                if let inputRanks, inputRanks != ranks { return nil }
                inputRanks = ranks
                slots.append(.init(name: name, kind: reference.kind, rows: reference.rows, cols: reference.cols))
            }
            for index in indices {
                guard index.moduleNames == names,
                      PeftAdapter(index: index, modules: []).mergeRefusal(withBase: false) == nil else { return nil }
            }
            self.slots = slots
            self.inputDTypes = inputDTypes
            bytesPerModule = names.isEmpty ? 0 : first.tensorBytes / names.count
        }
    }
}
