/// Slicing and stacking of row-major Float64 matrices (the small factors of subspace merges).
extension LinearAlgebra.Matrix {
    /// Columns `range` (all rows).
    public func columns(_ range: Range<Int>) -> LinearAlgebra.Matrix {
        let width = range.count
        var out = LinearAlgebra.Matrix(zeros: rows, width)
        for i in 0..<rows {
            for (j, c) in range.enumerated() { out.data[i * width + j] = data[i * cols + c] }
        }
        return out
    }

    /// Rows `range` (all columns).
    public func rows(_ range: Range<Int>) -> LinearAlgebra.Matrix {
        LinearAlgebra.Matrix(rows: range.count, cols: cols, data: Array(data[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// Column j multiplied by `factors[j]`.
    public func scalingColumns(by factors: [Double]) -> LinearAlgebra.Matrix {
        var out = self
        for i in 0..<rows { for j in 0..<cols { out.data[i * cols + j] *= factors[j] } }
        return out
    }

    /// Every entry multiplied by `factor`.
    public func scaled(by factor: Double) -> LinearAlgebra.Matrix {
        LinearAlgebra.Matrix(rows: rows, cols: cols, data: data.map { $0 * factor })
    }

    /// `[m_1 | m_2 | ..]`: matrices with the same row count side by side.
    public static func hstack(_ blocks: [LinearAlgebra.Matrix]) -> LinearAlgebra.Matrix {
        let rows = blocks.first?.rows ?? 0
        precondition(blocks.allSatisfy { $0.rows == rows }, "hstack: row counts differ")
        let width = blocks.reduce(0) { $0 + $1.cols }
        var out = LinearAlgebra.Matrix(zeros: rows, width)
        var offset = 0
        for block in blocks {
            for i in 0..<rows {
                for j in 0..<block.cols { out.data[i * width + offset + j] = block.data[i * block.cols + j] }
            }
            offset += block.cols
        }
        return out
    }

    /// `[f_1 A_1; f_2 A_2; ..]` in Float64 from Float32 matrices with the same column count, in
    /// one pass: the numbers of `vstack(parts.map { Matrix($0).scaled(by: f) })` without its
    /// three copies.
    public static func vstack(_ parts: [Tensor], scaledBy factors: [Double]) -> LinearAlgebra.Matrix {
        let cols = parts.first?.cols ?? 0
        precondition(parts.allSatisfy { $0.cols == cols } && factors.count == parts.count, "vstack: shapes differ")
        let rows = parts.reduce(0) { $0 + $1.rows }
        let data = [Double](unsafeUninitializedCapacity: rows * cols) { dst, initialized in
            var at = 0
            for (part, factor) in zip(parts, factors) {
                part.data.withUnsafeBufferPointer { src in
                    for x in src {
                        dst[at] = Double(x) * factor
                        at += 1
                    }
                }
            }
            initialized = at
        }
        return LinearAlgebra.Matrix(rows: rows, cols: cols, data: data)
    }

    /// `[m_1; m_2; ..]`: matrices with the same column count on top of each other.
    public static func vstack(_ blocks: [LinearAlgebra.Matrix]) -> LinearAlgebra.Matrix {
        let cols = blocks.first?.cols ?? 0
        precondition(blocks.allSatisfy { $0.cols == cols }, "vstack: column counts differ")
        return LinearAlgebra.Matrix(rows: blocks.reduce(0) { $0 + $1.rows }, cols: cols, data: blocks.flatMap(\.data))
    }
}
