/// Reading a tensor out of the mapped file and screening it for NaN/inf in the same pass.
///
/// Converting (or, for F32, copying) the mapped bytes and then scanning the copy reads every
/// factor twice; here each 16-value block is converted, stored and folded into the screen while
/// it is in registers. `x * 0` is NaN exactly when `x` is NaN or infinite, so one SIMD
/// accumulator tells whether any value was non-finite; the index is searched only then.
extension SafetensorsFile {
    public func screenedTensor(_ entry: TensorEntry) throws -> (tensor: Tensor, firstNonFinite: Int?) {
        guard entry.dtype == .f32 || entry.dtype == .bf16 || entry.dtype == .f16 else {
            let plain = try tensor(entry)
            return (plain, plain.firstNonFinite())
        }
        let count = entry.shape.reduce(1, *)
        populatePages(entry)
        var clean = true
        let data = withRawBytes(entry) { raw in
            [Float](unsafeUninitializedCapacity: count) { out, initialized in
                clean = Self.convertScreening(raw, dtype: entry.dtype, count: count, into: out)
                initialized = count
            }
        }
        let tensor = Tensor(uncheckedShape: entry.shape, data: data)
        return (tensor, clean ? nil : tensor.firstNonFinite())
    }

    /// Converts `count` F32/BF16/F16 values into `out`; false when one of them is NaN or infinite.
    static func convertScreening(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int,
                                 into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard count > 0, let src = raw.baseAddress, let dst = out.baseAddress else { return true }
        var acc = SIMD16<Float>(repeating: 0)
        let wide = count / 16 * 16
        let target = UnsafeMutableRawPointer(dst)
        switch dtype {
        case .bf16:
            for i in stride(from: 0, to: wide, by: 16) {
                let bits = src.loadUnaligned(fromByteOffset: 2 * i, as: SIMD16<UInt16>.self)
                let v = unsafeBitCast(SIMD16<UInt32>(truncatingIfNeeded: bits) &<< 16, to: SIMD16<Float>.self)
                target.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD16<Float>.self)
                acc += v * 0
            }
            for i in wide..<count { out[i] = HalfPrecision.bf16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        case .f16:
            for i in 0..<count { out[i] = HalfPrecision.f16ToFloat(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            for i in stride(from: 0, to: wide, by: 16) {
                acc += target.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * 0
            }
        default:
            for i in stride(from: 0, to: wide, by: 16) {
                let v = src.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                target.storeBytes(of: v, toByteOffset: 4 * i, as: SIMD16<Float>.self)
                acc += v * 0
            }
            for i in wide..<count { out[i] = src.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        }
        for lane in 0..<16 where acc[lane].isNaN { return false }
        for i in wide..<count where !out[i].isFinite { return false }
        return true
    }
}
