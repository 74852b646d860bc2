import Ops

/// Reads the same row of every input side by side, so a method can see each entry's values
/// across inputs without copying whole modules: row `r` of input `i`, column `c`, is at
/// `i * cols + c` of the buffer handed to the body.
struct RowGather {
    let inputs: [Tensor]
    let rows: Int
    let cols: Int

    /// `inputs` must share one shape (the merge engine checks it).
    init(_ inputs: [Tensor]) {
        self.inputs = inputs
        rows = inputs.first?.rows ?? 0
        cols = inputs.first?.cols ?? 0
    }

    /// Calls `body(r, row)` for r = 0 ..< rows, in order; `row` holds `inputs.count * cols` values.
    func forEachRow(_ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        var buffer = [Float](repeating: 0, count: inputs.count * cols)
        buffer.withUnsafeMutableBufferPointer { gathered in
            for r in 0..<rows {
                let range = (r * cols)..<((r + 1) * cols)
                for (i, input) in inputs.enumerated() {
                    input.data.withUnsafeBufferPointer { source in
                        _ = UnsafeMutableBufferPointer(rebasing: gathered[(i * cols)..<((i + 1) * cols)])
                            .update(fromContentsOf: source[range])
                    }
                }
                body(r, UnsafeBufferPointer(gathered))
            }
        }
    }
}
