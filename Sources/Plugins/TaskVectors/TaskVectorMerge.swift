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
/// Cost: magnitude thresholds take 3 streaming passes per input (radix selection), DELLA sorts
/// each row (radix sort), and the merge itself is one pass over the rows. Memory: besides the
/// output (n floats), a few rows of scratch; the inputs are read in place.
struct TaskVectorMerge: Sendable {
    let name: String
    /// One per input (mergekit lets every model have its own density).
    let sparsifications: [Sparsification]
    let rescale: Rescale
    let combination: Combination
    let seed: UInt64

    func merge(_ module: DenseModule) throws -> Tensor {
        let (rows, cols) = try checkedShape(module)
        var scratch = RowScratch()
        var sparsifiers = sparsifiers(module, rows: rows, cols: cols, scratch: &scratch)
        let inputs = module.deltas
        var out = [Float](repeating: 0, count: rows * cols)
        var rowBuffer = [Float](repeating: 0, count: inputs.count * cols)
        var combineScratch = CombineScratch()
        out.withUnsafeMutableBufferPointer { merged in
            rowBuffer.withUnsafeMutableBufferPointer { sparse in
                for r in 0..<rows {
                    let range = (r * cols)..<((r + 1) * cols)
                    for i in inputs.indices {
                        inputs[i].data.withUnsafeBufferPointer { source in
                            _ = sparsifiers[i].fillRow(
                                r, source: UnsafeBufferPointer(rebasing: source[range]),
                                into: UnsafeMutableBufferPointer(rebasing: sparse[(i * cols)..<((i + 1) * cols)]),
                                scratch: &scratch)
                        }
                    }
                    combination.combineRow(UnsafeBufferPointer(sparse), into: UnsafeMutableBufferPointer(rebasing: merged[range]),
                                           scratch: &combineScratch)
                }
            }
        }
        return Tensor(uncheckedShape: module.shape, data: out)
    }

    /// Input `input` of `module` after sparsification and rescaling (before weighting), and how
    /// many entries its mask kept: what `merge` combines, exposed for tests and reports.
    func sparsified(_ module: DenseModule, input: Int) throws -> (values: [Float], kept: Int) {
        let (rows, cols) = try checkedShape(module)
        guard module.deltas.indices.contains(input) else {
            throw SeedloraError("internal: \(name): no input \(input) in module \(module.name)")
        }
        var scratch = RowScratch()
        guard var sparsifier = sparsifiers(module, rows: rows, cols: cols, scratch: &scratch, only: input).first else {
            throw SeedloraError("internal: \(name): no sparsifier for input \(input)")
        }
        var values = [Float](repeating: 0, count: rows * cols)
        var kept = 0
        module.deltas[input].data.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows {
                    let range = (r * cols)..<((r + 1) * cols)
                    kept += sparsifier.fillRow(r, source: UnsafeBufferPointer(rebasing: source[range]),
                                               into: UnsafeMutableBufferPointer(rebasing: out[range]), scratch: &scratch)
                }
            }
        }
        return (values, kept)
    }

    /// Rows and columns shared by every input (the engine guarantees it; checked all the same).
    private func checkedShape(_ module: DenseModule) throws -> (rows: Int, cols: Int) {
        guard let first = module.deltas.first, module.deltas.count == combination.weights.count else {
            throw SeedloraError("internal: \(name) was set up for \(combination.weights.count) inputs but module \(module.name) has \(module.deltas.count)")
        }
        for delta in module.deltas where delta.shape != first.shape {
            throw SeedloraError("internal: \(name): module \(module.name) has inputs of shapes \(first.shape) and \(delta.shape)")
        }
        return (first.rows, first.cols)
    }

    /// One prepared sparsifier per input (or for `only` that input).
    private func sparsifiers(_ module: DenseModule, rows: Int, cols: Int, scratch: inout RowScratch,
                             only: Int? = nil) -> [InputSparsifier] {
        let indices = only.map { [$0] } ?? Array(module.deltas.indices)
        return indices.map { i in
            module.deltas[i].data.withUnsafeBufferPointer { source in
                InputSparsifier(sparsifications[min(i, sparsifications.count - 1)], rescale: rescale, source: source, rows: rows, cols: cols,
                                rng: CounterRNG(seed: seed, module: module.index, input: i), scratch: &scratch)
            }
        }
    }
}
