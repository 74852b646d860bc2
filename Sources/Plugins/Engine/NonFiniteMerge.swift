import Ops

/// Merges of inputs with non-finite weights (allowed with `--allow-nonfinite` / `allow_nonfinite=true`):
/// every module such a weight touches comes out NaN, never a finite number computed around it.
/// Strategies skip, clamp or compare values (a NaN compares false), so without this guard a NaN
/// input could silently turn into zeros or drop out of a sign election.
public enum NonFiniteMerge {
    /// Whether any factor, scale or DoRA magnitude of module `group` is non-finite.
    public static func isAffected(_ group: ModuleGroup) -> Bool {
        if group.knownFinite { return false }
        return group.deltas.contains(where: \.hasNonFinite) || group.magnitudes.contains { $0?.hasNonFinite == true }
    }

    /// The indices of the modules whose inputs hold a non-finite value.
    public static func affected(_ input: MergeInput) -> [Int] {
        input.modules.indices.filter { isAffected(input.modules[$0]) }
    }

    /// A rank-`rank` delta of `shape` whose every element is NaN.
    public static func nanDelta(shape: [Int], rank: Int) -> LowRank {
        let rows = shape.first ?? 0, cols = shape.count > 1 ? shape[1] : 0, r = max(1, rank)
        return LowRank(uncheckedB: Tensor(uncheckedShape: [rows, r], data: [Float](repeating: .nan, count: rows * r)),
                       a: Tensor(uncheckedShape: [r, cols], data: [Float](repeating: .nan, count: r * cols)), scale: 1)
    }

    /// Runs a factored strategy; the affected modules of the result carry NaN. A strategy that
    /// fails on the non-finite values (e.g. an SVD) gives NaN for every module, since its
    /// statistics may span modules.
    static func run(_ strategy: any FactoredMerger, on input: MergeInput,
                    cancellation: Cancellation) throws -> [LowRank] {
        let affected = Set(affected(input))
        guard !affected.isEmpty else { return try strategy.merge(input, cancellation: cancellation) }
        let merged: [LowRank]
        do { merged = try strategy.merge(input, cancellation: cancellation) } catch let error as SeedloraError where error.kind == .numerical {
            return input.modules.map { nanDelta(shape: $0.shape, rank: $0.deltas.first?.rank ?? 1) }
        }
        return merged.enumerated().map { i, delta in
            affected.contains(i) && !delta.hasNonFinite ? nanDelta(shape: delta.shape, rank: delta.rank) : delta
        }
    }

    /// A dense strategy whose result is NaN wherever an input of the module is non-finite.
    public struct DenseGuard: DenseModuleMerger {
        let inner: any DenseModuleMerger
        public init(_ inner: any DenseModuleMerger) { self.inner = inner }

        public func merge(_ module: DenseModule) throws -> Tensor {
            guard module.deltas.contains(where: { $0.firstNonFinite() != nil }) else { return try inner.merge(module) }
            let nan = Tensor(uncheckedShape: module.shape, data: [Float](repeating: .nan, count: module.count))
            guard let merged = try? inner.merge(module), merged.shape == module.shape else { return nan }
            return merged.firstNonFinite() != nil ? merged : nan
        }

        /// Modules with a non-finite factor or scale go the whole-module way above (nil here).
        public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? {
            guard !module.factors.contains(where: \.hasNonFinite) else { return nil }
            return try inner.mergeRowBlocks(module)
        }
    }
}
