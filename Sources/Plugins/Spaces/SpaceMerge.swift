import Ops

/// An element-wise merge method (`TaskVectorMerge`, SCE) run in the core or KnOTS space: the
/// method itself is unchanged, it only sees small matrices instead of the dense deltas.
///
/// Per module: build the space in Float64 (`CoreSpace`, `KnotsSpace`), hand the method the inputs'
/// core matrices (or KnOTS factors) rounded to Float32 as a `DenseModule`, and lift its result
/// back to an exact LoRA. Random masks come from the method's own counter-based streams, keyed by
/// the module's position and the input, over the entries of the small matrices; every module is
/// independent, so the bits do not depend on how many threads run.
struct SpaceMerge: FactoredMerger {
    let method: any DenseModuleMerger
    let name: String
    let space: MergeSpace

    func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        let items = Array(zip(input.positions, input.modules))
        return try ConcurrentMap.run(items, cancellation: cancellation) { position, group in
            try merge(group, position: position)
        }
    }

    /// One module: the method on the space's matrices, lifted back.
    func merge(_ group: ModuleGroup, position: Int) throws -> LowRank {
        if group.hasDoRA {
            throw SeedloraError(.usage, "\(name) space=\(space.rawValue): module \(group.name) is DoRA, whose delta is not a LoRA; use space=full")
        }
        if let nan = NonFiniteFactors.result(for: group) { return nan }
        switch space {
        case .full:
            throw SeedloraError("internal: \(name): space=full is merged on dense deltas")
        case .core:
            let core = try CoreSpace(group.deltas)
            return core.lift(try run(on: core.cores, group: group, position: position))
        case .knots:
            let knots = try KnotsSpace(group.deltas)
            return knots.lift(try run(on: knots.factors, group: group, position: position))
        }
    }

    /// DoRA deltas are dense, not LoRAs: there is no core space to run in.
    func denseEquivalent() -> (any DenseModuleMerger)? {
        RefusingMerger(message: "\(name) space=\(space.rawValue) runs on LoRA factors, and DoRA deltas are not LoRAs; use space=full")
    }

    /// The matrices the method sees for one module (for tests and reports).
    func spaceModule(_ group: ModuleGroup, position: Int) throws -> DenseModule {
        let matrices = space == .knots ? try KnotsSpace(group.deltas).factors : try CoreSpace(group.deltas).cores
        return DenseModule(name: group.name, index: position, deltas: matrices.map { $0.toTensor() })
    }

    private func run(on matrices: [LinearAlgebra.Matrix], group: ModuleGroup, position: Int) throws -> LinearAlgebra.Matrix {
        let module = DenseModule(name: group.name, index: position, deltas: matrices.map { $0.toTensor() })
        let merged = try method.merge(module)
        guard merged.shape == module.shape else {
            throw SeedloraError("internal: \(name) returned shape \(merged.shape) for \(group.name)'s \(space.rawValue) matrices \(module.shape)")
        }
        return LinearAlgebra.Matrix(merged)
    }
}

/// A dense merger that refuses every module with a usage error (a method that cannot run on
/// dense deltas, reached with DoRA inputs).
struct RefusingMerger: DenseModuleMerger {
    let message: String

    func merge(_ module: DenseModule) throws -> Tensor {
        throw SeedloraError(.usage, "module \(module.name): \(message)")
    }
}
