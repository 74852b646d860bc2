internal import CKernels
import Ops

/// The inputs of one module, read a block of rows at a time: what the task-vector merge passes
/// over (threshold selection, the L1 rescale, the merge itself).
///
/// `FactoredRows` densifies each block from the LoRA factors when it is asked for (a small sgemm
/// into a buffer that stays in cache), so no input module is ever held whole and every pass reads
/// cache instead of memory; `StoredRows` serves blocks of modules that were densified whole (DoRA
/// deltas, tests). Both give the same values, so the merge is the same either way.
protocol ModuleRows: AnyObject {
    var inputCount: Int { get }
    var rows: Int { get }
    var cols: Int { get }
    /// The most rows one block holds.
    var blockRows: Int { get }
    /// Rows `range` (at most `blockRows` of them) of input `input`, row-major. Valid until the
    /// next call for the same input.
    func block(_ range: Range<Int>, ofInput input: Int) throws -> UnsafeBufferPointer<Float>
    /// One entry of input `input` (for samples; indices in range).
    func entry(input: Int, row: Int, col: Int) -> Float
}

extension ModuleRows {
    var count: Int { rows * cols }

    /// Calls `body` with every block of input `input`, in row order, and its first row.
    func forEachBlock(ofInput input: Int, _ body: (_ firstRow: Int, _ block: UnsafeBufferPointer<Float>) throws -> Void) throws {
        var start = 0
        while start < rows {
            let end = min(rows, start + blockRows)
            try body(start, try block(start..<end, ofInput: input))
            start = end
        }
    }
}

/// Rows in a block: a multiple of 48 rows (the whole module when smaller). OpenBLAS computes
/// each entry with the kernel of the row panel it falls in (16 or 24 rows here, smaller ones
/// for a remainder), and panels start at multiples of the panel height; blocks that start at
/// multiples of 48 give every row the panel, hence the rounding, that the whole-module sgemm
/// gives it, so the values are bit-identical to `denseFloat()` (tested). 48 rows of a
/// 4096-column module are 768 KiB, in this machine's L3 with room for every input.
private func rowsPerBlock(rows: Int, cols: Int) -> Int {
    let panels = max(1, (1 << 17) / max(1, cols * 48))
    return max(1, min(rows, panels * 48))
}

/// One block buffer per input and the module's geometry: what both kinds of `ModuleRows` own.
final class BlockBuffers {
    let rows: Int
    let cols: Int
    let blockRows: Int
    private let buffers: [UnsafeMutablePointer<Float>]

    init(inputs: Int, rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
        blockRows = rowsPerBlock(rows: rows, cols: cols)
        let capacity = max(1, blockRows * cols)
        buffers = (0..<inputs).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: capacity) }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Input `input`'s buffer, for rows `range` of the module (checked: callers are internal,
    /// a mistake is a seedlora bug, reported as such).
    func buffer(for range: Range<Int>, ofInput input: Int) throws -> UnsafeMutablePointer<Float> {
        guard buffers.indices.contains(input), range.count <= blockRows, range.lowerBound >= 0, range.upperBound <= rows else {
            throw SeedloraError("internal: rows \(range) of input \(input) are outside the module (\(rows) rows, blocks of \(blockRows))")
        }
        return buffers[input]
    }
}

/// Blocks densified from the factors on demand. A block holding a non-finite value (finite factors
/// can overflow) throws `NonFiniteRows`, so the engine can apply the non-finite rules on the
/// whole module instead.
final class FactoredRows: ModuleRows {
    let factors: [LowRank]
    private let storage: BlockBuffers

    init(_ module: FactoredDenseModule) {
        factors = module.factors
        storage = BlockBuffers(inputs: module.factors.count, rows: module.factors.first?.rows ?? 0,
                               cols: module.factors.first?.cols ?? 0)
    }

    var inputCount: Int { factors.count }
    var rows: Int { storage.rows }
    var cols: Int { storage.cols }
    var blockRows: Int { storage.blockRows }

    func block(_ range: Range<Int>, ofInput input: Int) throws -> UnsafeBufferPointer<Float> {
        let out = try storage.buffer(for: range, ofInput: input)
        factors[input].denseRows(range, into: out)
        let values = UnsafeBufferPointer(start: out, count: range.count * cols)
        if seedlora_has_nonfinite(out, values.count) != 0 { throw NonFiniteRows() }
        return values
    }

    func entry(input: Int, row: Int, col: Int) -> Float {
        let f = factors[input], r = f.rank
        var total: Float = 0
        f.b.data.withUnsafeBufferPointer { b in
            f.a.data.withUnsafeBufferPointer { a in
                for k in 0..<r { total += b[row * r + k] * a[k * cols + col] }
            }
        }
        return Float(f.scale) * total
    }
}

/// Blocks of modules that are already dense (copied into a block buffer, so callers see the
/// same kind of pointer either way).
final class StoredRows: ModuleRows {
    let deltas: [Tensor]
    private let storage: BlockBuffers

    init(_ module: DenseModule) {
        deltas = module.deltas
        storage = BlockBuffers(inputs: module.deltas.count, rows: module.deltas.first?.rows ?? 0,
                               cols: module.deltas.first?.cols ?? 0)
    }

    var inputCount: Int { deltas.count }
    var rows: Int { storage.rows }
    var cols: Int { storage.cols }
    var blockRows: Int { storage.blockRows }

    func block(_ range: Range<Int>, ofInput input: Int) throws -> UnsafeBufferPointer<Float> {
        let out = try storage.buffer(for: range, ofInput: input)
        guard deltas[input].count == rows * cols else {
            throw SeedloraError("internal: input \(input) has \(deltas[input].count) entries, not \(rows) x \(cols)")
        }
        deltas[input].data.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            out.update(from: base + range.lowerBound * cols, count: range.count * cols)
        }
        return UnsafeBufferPointer(start: out, count: range.count * cols)
    }

    func entry(input: Int, row: Int, col: Int) -> Float {
        deltas[input].data[row * cols + col]
    }
}
