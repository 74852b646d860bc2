import Ops

/// The modules of a PEFT export before the final `lambda` multiplier: the method's result, and
/// its best rank-K approximation when `--rank K` is asked for.
///
/// `lambda` is applied after the rank reduction (`MergeScale.apply` on the factors), because the
/// best rank-K approximation of `lambda * D` is `lambda` times that of `D`. So a single merge and
/// every point of a lambda sweep run the same code: this lambda-free result (once per sweep),
/// then the multiplier; their exported bits are equal.
struct LambdaFreeMerge {
    /// Modules in input order, without `lambda`.
    let modules: [PeftExport.Module]
    /// Energy kept per module by a rank-K export.
    let energy: RankReduction.Report?

    /// Merges `groups` with their strategies stripped of `lambda` (see `ConfiguredStrategy.withoutLambda`).
    static func compute(_ groups: [MergePipeline.Group], input: MergeInput, rank: Int?, seed: UInt64,
                        cancellation: Cancellation, progress: (@Sendable (Int, Int) -> Void)?,
                        clock: inout PhaseClock) throws -> LambdaFreeMerge {
        let unscaled = groups.map {
            MergePipeline.Group(strategy: $0.strategy.withoutLambda.strategy, resolved: $0.resolved, indices: $0.indices)
        }
        guard let first = unscaled.first else { throw SeedloraError("internal: no strategy was configured") }
        switch first.strategy {
        case .factored:
            var modules = try MergePipeline.runFactored(unscaled, input: input, cancellation: cancellation)
            clock.mark("merge")
            var energy: RankReduction.Report?
            if let k = rank {
                (modules, energy) = try RankReduction.reduce(modules, rank: k, cancellation: cancellation)
                clock.mark("rank-\(k) SVD")
            }
            return LambdaFreeMerge(modules: modules, energy: energy)
        case .dense, .denseMerger:
            let k = rank ?? 0
            var results: [(PeftExport.Module, Double)] = []
            let perModule = MergePipeline.denseStrategies(unscaled, count: input.modules.count)
            try DenseMergeEngine.stream({ perModule[$0] }, input: input, cancellation: cancellation, progress: progress,
                transform: { group, merged in
                    let index = input.modules.firstIndex { $0.name == group.name } ?? 0
                    // The exporter's rank-K step: a non-finite module stays NaN instead of reaching LAPACK.
                    return try Exporter.rankK(merged, name: group.name, kind: group.kind, index: index, rank: k, seed: seed,
                                              start: Exporter.rangeStart(of: group))
                },
                consume: { _, result in results.append(result) })
            clock.mark("merge + rank-\(k) SVD")
            return LambdaFreeMerge(modules: results.map(\.0), energy: RankReduction.Report(energies: results.map(\.1)))
        }
    }

    /// The modules times `lambda` (one value for all modules).
    func scaled(by lambda: Double) -> [PeftExport.Module] {
        modules.map { PeftExport.Module(name: $0.name, kind: $0.kind, delta: MergeScale.apply(lambda: lambda, to: $0.delta)) }
    }

    /// The modules times each group's own `lambda` (a recipe may vary it per module).
    func scaled(by groups: [MergePipeline.Group]) -> [PeftExport.Module] {
        var result = modules
        for group in groups {
            let lambda = group.strategy.withoutLambda.lambda
            for i in group.indices where i < result.count {
                let m = result[i]
                result[i] = PeftExport.Module(name: m.name, kind: m.kind, delta: MergeScale.apply(lambda: lambda, to: m.delta))
            }
        }
        return result
    }
}
