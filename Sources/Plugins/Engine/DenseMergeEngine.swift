import Ops

/// Streams a dense merge module by module with bounded memory.
///
/// Every core merges a module and `transform`s the result (e.g. a rank-K SVD), taking the next
/// module as soon as it is free (`OrderedStream`); `consume` receives the results serially, in
/// module order (e.g. to append them to a file), with at most cores + 1 of them waiting. A strategy that can work on
/// blocks of rows (`mergeRowBlocks`) densifies cache-sized blocks of the inputs as it needs them,
/// so peak memory is about (2 cores + 1) x the largest module (merged modules and their transforms);
/// otherwise each worker densifies its module of every input whole (sgemm), about
/// cores x (inputs + 2) x the largest module more. The cancellation flag is checked before every module.
public enum DenseMergeEngine {
    public static func stream<R>(_ strategy: any DenseModuleMerger, input: MergeInput,
                                 cancellation: Cancellation = Cancellation(),
                                 workers: Int = DenseMergeEngine.defaultWorkers,
                                 progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                                 transform: @Sendable (_ module: ModuleGroup, _ merged: Tensor) throws -> R,
                                 consume: (_ index: Int, _ result: R) throws -> Void) throws {
        try stream({ _ in strategy }, input: input, cancellation: cancellation, workers: workers, progress: progress,
                   transform: transform, consume: consume)
    }

    /// The same with a strategy per module (parameters that vary per module, from a recipe).
    public static func stream<R>(_ strategyFor: @Sendable (_ moduleIndex: Int) -> any DenseModuleMerger,
                                 input: MergeInput,
                                 cancellation: Cancellation = Cancellation(),
                                 workers: Int = DenseMergeEngine.defaultWorkers,
                                 progress: ((_ done: Int, _ total: Int) -> Void)? = nil,
                                 transform: @Sendable (_ module: ModuleGroup, _ merged: Tensor) throws -> R,
                                 consume: (_ index: Int, _ result: R) throws -> Void) throws {
        AllocatorTuning.reuseLargeBlocks()
        let modules = input.modules
        var done = 0
        try OrderedStream.run(count: modules.count, workers: workers, cancellation: cancellation, compute: { index -> R in
            try cancellation.check()
            let group = modules[index]
            let strategy = strategyFor(index)
            let merged: Tensor
            if let blockwise = try rowBlockMerge(strategy, group: group, index: index) {
                merged = blockwise
            } else {
                merged = try strategy.merge(DenseModule(name: group.name, index: index, deltas: try input.denseDeltas(of: index)))
            }
            guard merged.shape == group.shape else {
                throw SeedloraError("internal: \(type(of: strategy)) returned shape \(merged.shape) for \(group.name) \(group.shape)")
            }
            return try transform(group, merged)
        }, consume: { index, result in
            try consume(index, result)
            done += 1
            progress?(done, modules.count)
        })
    }

    /// The module merged from blocks of rows densified on demand, when the strategy can and the
    /// inputs are plain LoRA factors (a DoRA delta needs the base weight, so it is densified
    /// whole); nil otherwise, and when a block held a non-finite value (the whole-module path
    /// then applies the non-finite rules).
    static func rowBlockMerge(_ strategy: any DenseModuleMerger, group: ModuleGroup, index: Int) throws -> Tensor? {
        guard !group.hasDoRA else { return nil }
        do {
            return try strategy.mergeRowBlocks(FactoredDenseModule(name: group.name, index: index, factors: group.deltas))
        } catch is NonFiniteRows {
            return nil
        }
    }

    /// One worker per core.
    public static var defaultWorkers: Int { WorkerThreads.cores }
}
