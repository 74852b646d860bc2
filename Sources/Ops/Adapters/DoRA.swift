/// The true delta of a DoRA module (Liu et al. 2024, as PEFT applies it).
public enum DoRA {
    /// `m * (W + sBA) / ||W + sBA||_row - W`: the LoRA update is added to the base weight, each
    /// output row is renormalised to its learned magnitude, and the base is subtracted again.
    /// Full rank in general, so it is always dense.
    public static func delta(weight: Tensor, lora: LowRank, magnitude: Tensor, module: String) throws -> Tensor {
        guard weight.shape == lora.shape else {
            throw SeedloraError("module \(module): base weight has shape \(weight.shape) but the DoRA adapter's delta is \(lora.shape)")
        }
        guard magnitude.count == lora.rows else {
            throw SeedloraError("module \(module): lora_magnitude_vector has \(magnitude.count) entries for \(lora.rows) output rows")
        }
        let rows = lora.rows, cols = lora.cols
        var out = lora.denseFloat()
        out.data.withUnsafeMutableBufferPointer { v in
            weight.data.withUnsafeBufferPointer { w in
                for r in 0..<rows {
                    var norm = 0.0
                    for c in 0..<cols {
                        let x = Double(w[r * cols + c]) + Double(v[r * cols + c])
                        norm += x * x
                    }
                    let factor = Double(magnitude.data[r]) / max(norm.squareRoot(), 1e-12)
                    for c in 0..<cols {
                        let base = Double(w[r * cols + c])
                        v[r * cols + c] = Float(factor * (base + Double(v[r * cols + c])) - base)
                    }
                }
            }
        }
        return out
    }
}
