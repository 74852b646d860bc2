internal import CKernels

/// Bulk conversions between stored bytes and Float32 (little-endian storage, as safetensors is).
public enum DTypeConversion {
    /// Converts `count` elements of `dtype` to Float32.
    public static func toFloat(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int, name: String) throws -> [Float] {
        if dtype == .f8e4m3 || dtype == .f8e5m2 {
            throw SeedloraError("tensor '\(name)': dtype \(dtype.rawValue) cannot be converted to float32 (supported: F64, F32, F16, BF16, integers)")
        }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            switch dtype {
            case .f32:
                if count > 0, let src = raw.baseAddress, let dst = out.baseAddress {
                    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * 4)
                }
            case .bf16:
                for i in 0..<count { out[i] = HalfPrecision.bf16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .f16:
                for i in 0..<count { out[i] = HalfPrecision.f16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .f64:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            case .i64:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
            case .u64:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) }
            case .i32:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)) }
            case .u32:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            case .i16:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)) }
            case .u16:
                for i in 0..<count { out[i] = Float(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .i8:
                for i in 0..<count { out[i] = Float(raw.load(fromByteOffset: i, as: Int8.self)) }
            case .u8, .bool:
                for i in 0..<count { out[i] = Float(raw.load(fromByteOffset: i, as: UInt8.self)) }
            case .f8e4m3, .f8e5m2:
                break  // refused above
            }
            initialized = count
        }
    }

    /// Writes the bf16 bits of `values` into `out` (at least `2 * values.count` bytes).
    static func encodeBF16(_ values: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= 2 * values.count, "encodeBF16: destination too small")
        guard let source = values.baseAddress, let destination = out.baseAddress else { return }
        seedlora_encode_bf16(source, values.count, destination.assumingMemoryBound(to: UInt16.self))
    }

    /// Encodes Float32 values as `dtype` bytes, appending to `out`.
    public static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: DType, into out: inout [UInt8]) throws {
        let start = out.count
        out.reserveCapacity(start + values.count * dtype.size)
        switch dtype {
        case .f32:
            out.append(contentsOf: UnsafeRawBufferPointer(values))
        case .bf16:
            // In C, vectorised: the element loop took 1 s of a W70B export to bf16. Native byte
            // order is little-endian on every platform seedlora builds for (x86-64, arm64).
            out.append(contentsOf: repeatElement(0, count: values.count * 2))
            out.withUnsafeMutableBytes { encodeBF16(values, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
        case .f16:
            out.append(contentsOf: repeatElement(0, count: values.count * 2))
            // A finite value beyond f16's range (65504, rounding included) would be stored as inf:
            // refused, never written silently.
            var overflow: Int?
            out.withUnsafeMutableBytes { bytes in
                for i in 0..<values.count {
                    let bits = HalfPrecision.floatToF16(values[i])
                    if bits & 0x7FFF == 0x7C00, values[i].isFinite, overflow == nil { overflow = i }
                    bytes.storeBytes(of: bits.littleEndian, toByteOffset: start + 2 * i, as: UInt16.self)
                }
            }
            if let i = overflow {
                throw SeedloraError("value \(values[i]) at index \(i) is outside float16's range (largest 65504); store as bf16 or f32 instead")
            }
        case .f64:
            out.append(contentsOf: repeatElement(0, count: values.count * 8))
            out.withUnsafeMutableBytes { bytes in
                for i in 0..<values.count {
                    bytes.storeBytes(of: Double(values[i]), toByteOffset: start + 8 * i, as: Double.self)
                }
            }
        default:
            throw SeedloraError("cannot write tensors as \(dtype.rawValue); use F32, F16, BF16 or F64")
        }
    }
}
