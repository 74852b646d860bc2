import Ops

/// The generalized task-arithmetic merge that TIES, DARE, Model Breadcrumbs and DELLA are
/// presets of (mergekit's `GeneralizedTaskArithmeticMerge`; PEFT's `merge_utils` functions).
/// Per module, with inputs `d_i` (dense deltas) and weights `w_i`:
///
///     x_i = rescale(mask_i . d_i)              see `Sparsification`, `Rescale`
///     out = combine(w_i, x_i)                  see `Combination` (lambda: `MergeScale`)
///
/// Random masks are reproducible: input i of the module at sorted position `module.index` draws
/// from `CounterRNG(seed: seed, module: module.index, input: i)` (Philox4x32-10), and entry `j`
/// (flat row-major index) is kept with probability `p_j` exactly when `uniform(j) < p_j`. The
/// result is therefore bit-identical across runs, thread counts and module scheduling.
///
/// Cost: the inputs are read a block of rows at a time (`ModuleRows`): from the LoRA factors,
/// each block is densified when a pass needs it and stays in cache. Magnitude thresholds take 2
/// passes per input (`BlockRankSelection`), DELLA sorts each row (radix sort), and the merge
/// itself is one pass over the blocks. Memory: besides the output (n floats), a block per input
/// and a few rows of scratch.
struct TaskVectorMerge: Sendable {
    let name: String
    /// One per input (mergekit lets every model have its own density).
    let sparsifications: [Sparsification]
    let rescale: Rescale
    let combination: Combination
    let seed: UInt64

    func merge(_ module: DenseModule) throws -> Tensor {
        let (rows, cols) = try checkedShape(module.deltas.map(\.shape), module: module.name)
        return try merge(StoredRows(module), index: module.index, shape: [rows, cols])
    }

    /// The same merge from blocks of rows densified from the factors as they are needed.
    func merge(rowBlocks module: FactoredDenseModule) throws -> Tensor {
        let (rows, cols) = try checkedShape(module.factors.map(\.shape), module: module.name)
        let source = FactoredRows(module)
        if let merged = try OnePassTrim(merge: self).run(source, index: module.index, shape: [rows, cols]) { return merged }
        return try merge(source, index: module.index, shape: [rows, cols])
    }

    /// Prepares every input's sparsifier (threshold passes, L1 factors), then one pass over the
    /// blocks: each row of every input is sparsified into `sparse` and the rows are combined
    /// into the output, which is the only module-sized allocation.
    private func merge(_ module: ModuleRows, index: Int, shape: [Int]) throws -> Tensor {
        var scratch = RowScratch()
        var sparsifiers = try sparsifiers(module, index: index, scratch: &scratch)
        let rows = module.rows, cols = module.cols, inputs = module.inputCount
        var rowBuffer = [Float](repeating: 0, count: inputs * cols)
        var combineScratch = CombineScratch()
        var blocks = [UnsafeBufferPointer<Float>](repeating: UnsafeBufferPointer(start: nil, count: 0), count: inputs)
        let out = try [Float](unsafeUninitializedCapacity: rows * cols) { merged, initialized in
            try rowBuffer.withUnsafeMutableBufferPointer { sparse in
                var start = 0
                while start < rows {
                    let end = min(rows, start + module.blockRows)
                    for i in 0..<inputs { blocks[i] = try module.block(start..<end, ofInput: i) }
                    for r in start..<end {
                        let local = ((r - start) * cols)..<((r - start + 1) * cols)
                        for i in 0..<inputs {
                            _ = sparsifiers[i].fillRow(
                                r, source: UnsafeBufferPointer(rebasing: blocks[i][local]),
                                into: UnsafeMutableBufferPointer(rebasing: sparse[(i * cols)..<((i + 1) * cols)]),
                                scratch: &scratch)
                        }
                        combination.combineRow(UnsafeBufferPointer(sparse),
                                               into: UnsafeMutableBufferPointer(rebasing: merged[(r * cols)..<((r + 1) * cols)]),
                                               scratch: &combineScratch)
                    }
                    start = end
                    initialized = start * cols
                }
            }
        }
        return Tensor(uncheckedShape: shape, data: out)
    }

    /// Input `input` of `module` after sparsification and rescaling (before weighting), and how
    /// many entries its mask kept: what `merge` combines, exposed for tests and reports.
    func sparsified(_ module: DenseModule, input: Int) throws -> (values: [Float], kept: Int) {
        let (rows, cols) = try checkedShape(module.deltas.map(\.shape), module: module.name)
        guard module.deltas.indices.contains(input) else {
            throw SeedloraError("internal: \(name): no input \(input) in module \(module.name)")
        }
        let source = StoredRows(module)
        var scratch = RowScratch()
        guard var sparsifier = try sparsifiers(source, index: module.index, scratch: &scratch, only: input).first else {
            throw SeedloraError("internal: \(name): no sparsifier for input \(input)")
        }
        var values = [Float](repeating: 0, count: rows * cols)
        var kept = 0
        try values.withUnsafeMutableBufferPointer { out in
            try source.forEachBlock(ofInput: input) { firstRow, block in
                for r in 0..<(block.count / max(1, cols)) {
                    let row = firstRow + r
                    kept += sparsifier.fillRow(row, source: UnsafeBufferPointer(rebasing: block[(r * cols)..<((r + 1) * cols)]),
                                               into: UnsafeMutableBufferPointer(rebasing: out[(row * cols)..<((row + 1) * cols)]),
                                               scratch: &scratch)
                }
            }
        }
        return (values, kept)
    }

    /// Rows and columns shared by every input (the engine guarantees it; checked all the same).
    private func checkedShape(_ shapes: [[Int]], module: String) throws -> (rows: Int, cols: Int) {
        guard let first = shapes.first, first.count == 2, shapes.count == combination.weights.count else {
            throw SeedloraError("internal: \(name) was set up for \(combination.weights.count) inputs but module \(module) has \(shapes.count)")
        }
        for shape in shapes where shape != first {
            throw SeedloraError("internal: \(name): module \(module) has inputs of shapes \(first) and \(shape)")
        }
        return (first[0], first[1])
    }

    /// One prepared sparsifier per input (or for `only` that input).
    private func sparsifiers(_ module: ModuleRows, index: Int, scratch: inout RowScratch,
                             only: Int? = nil) throws -> [InputSparsifier] {
        let indices = only.map { [$0] } ?? Array(0..<module.inputCount)
        return try indices.map { i in
            try InputSparsifier(sparsifications[min(i, sparsifications.count - 1)], rescale: rescale, input: i, module: module,
                                rng: CounterRNG(seed: seed, module: index, input: i), scratch: &scratch)
        }
    }
}
