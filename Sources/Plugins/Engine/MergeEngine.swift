import Ops

/// Loads input adapters, checks that they can be merged together, and runs a strategy.
public enum MergeEngine {
    public struct Options: Sendable {
        public var allowNonFinite = false
        /// The base model: DoRA inputs are merged on their true deltas when it is given.
        public var base: Checkpoint?
        public init(allowNonFinite: Bool = false, base: Checkpoint? = nil) {
            self.allowNonFinite = allowNonFinite
            self.base = base
        }
    }

    /// Loads and validates `paths`; every refusal names the adapter (and module) at fault.
    public static func loadInputs(_ paths: [String], options: Options = .init()) throws -> MergeInput {
        guard !paths.isEmpty else { throw SeedloraError("no input adapters given") }
        let adapters = try paths.map { try PeftAdapter(directory: $0) }
        return try prepare(adapters, options: options)
    }

    public static func prepare(_ given: [PeftAdapter], options: Options = .init()) throws -> MergeInput {
        // mlx-lm inputs merged with PEFT ones take PEFT's module names.
        let aligned = try MlxNameMapping.align(given)
        let adapters = aligned.adapters
        for adapter in adapters {
            if let reason = adapter.mergeRefusal(withBase: options.base != nil) {
                throw SeedloraError(path: adapter.path, "cannot be merged: it \(reason)")
            }
            if !options.allowNonFinite, let bad = adapter.modules.first(where: { $0.nonFinite != nil }) {
                throw SeedloraError(path: adapter.weightsPath,
                    "module \(bad.name): non-finite weight \(bad.nonFinite ?? ""); refusing to merge (pass --allow-nonfinite to merge anyway)")
            }
        }
        var input = MergeInput(adapters: adapters, modules: try groupModules(adapters), base: options.base)
        input.notes = aligned.note.map { [$0] } ?? []
        return input
    }

    /// Groups same-named modules; a module missing from one input, or of another shape or kind,
    /// is an error naming the module and both adapters.
    static func groupModules(_ adapters: [PeftAdapter]) throws -> [ModuleGroup] {
        guard let first = adapters.first else { return [] }
        let names = first.modules.map(\.name)
        for other in adapters.dropFirst() {
            let otherNames = Set(other.modules.map(\.name))
            if let missing = names.first(where: { !otherNames.contains($0) }) {
                throw SeedloraError(path: other.path, "has no module \(missing), which \(first.path) adapts (merged adapters must adapt the same modules)")
            }
            if let extra = other.modules.first(where: { !Set(names).contains($0.name) }) {
                throw SeedloraError(path: first.path, "has no module \(extra.name), which \(other.path) adapts (merged adapters must adapt the same modules)")
            }
        }
        return try first.modules.map { reference in
            var deltas: [LowRank] = []
            var magnitudes: [Tensor?] = []
            for adapter in adapters {
                guard let module = adapter.module(reference.name) else {
                    throw SeedloraError(path: adapter.path, "has no module \(reference.name)")
                }
                guard module.delta.shape == reference.delta.shape else {
                    throw SeedloraError("module \(reference.name) has shape \(reference.delta.shape) in \(first.path) but \(module.delta.shape) in \(adapter.path)")
                }
                guard module.kind == reference.kind else {
                    throw SeedloraError("module \(reference.name) is \(reference.kind.rawValue) in \(first.path) but \(module.kind.rawValue) in \(adapter.path)")
                }
                deltas.append(module.delta)
                magnitudes.append(module.magnitude)
            }
            return ModuleGroup(name: reference.name, kind: reference.kind, deltas: deltas, magnitudes: magnitudes)
        }
    }

    /// Runs a factored strategy; a dense one needs an output form (see `DenseMergeEngine`).
    public static func run(_ configured: ConfiguredStrategy, on input: MergeInput,
                           cancellation: Cancellation = Cancellation()) throws -> [PeftExport.Module] {
        switch configured {
        case let .factored(strategy):
            return try run(strategy, on: input, cancellation: cancellation)
        case .denseMerger:
            throw SeedloraError(.usage, "this merge runs on dense deltas (DoRA inputs); write it with --rank K, --format delta or --format model")
        case let .dense(strategy):
            throw SeedloraError(.usage, "\(type(of: strategy).info.name) computes a full-rank delta; choose how to write it: --rank K (best rank-K PEFT adapter), --format delta (dense delta safetensors), or --base MODEL_DIR --format model (merged checkpoint)")
        }
    }

    /// Runs `strategy` and returns the merged modules in the input's order.
    public static func run(_ strategy: any FactoredMerger, on input: MergeInput,
                           cancellation: Cancellation = Cancellation()) throws -> [PeftExport.Module] {
        let merged = try NonFiniteMerge.run(strategy, on: input, cancellation: cancellation)
        guard merged.count == input.modules.count else {
            throw SeedloraError("internal: strategy returned \(merged.count) modules for \(input.modules.count)")
        }
        return zip(input.modules, merged).map { PeftExport.Module(name: $0.name, kind: $0.kind, delta: $1) }
    }
}

/// Best rank-k re-factorisation of merged modules, with the energy each keeps.
public enum RankReduction {
    public struct Report: Sendable {
        public let energies: [Double]
        public var minimum: Double { energies.min() ?? 1 }
        public var median: Double {
            let sorted = energies.sorted()
            guard !sorted.isEmpty else { return 1 }
            let mid = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        }
    }

    public static func reduce(_ modules: [PeftExport.Module], rank k: Int,
                              cancellation: Cancellation = Cancellation()) throws -> ([PeftExport.Module], Report) {
        let results = try ConcurrentMap.run(modules, cancellation: cancellation) { module -> (PeftExport.Module, Double) in
            if module.delta.hasNonFinite {
                return (PeftExport.Module(name: module.name, kind: module.kind, delta: NonFiniteMerge.nanDelta(shape: module.delta.shape, rank: k)), .nan)
            }
            let svd = try LowRankSVD(module.delta)
            return (PeftExport.Module(name: module.name, kind: module.kind, delta: svd.truncated(rank: k)),
                    svd.energyKept(rank: k))
        }
        return (results.map(\.0), Report(energies: results.map(\.1)))
    }
}
