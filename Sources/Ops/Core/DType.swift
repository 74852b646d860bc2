/// Element types of safetensors files.
///
/// Reading converts every float type to Float32 exactly (bf16 and f16 are subsets of f32; f64 is
/// rounded to nearest). Writing bf16/f16 rounds to nearest, ties to even, as torch does.
public enum DType: String, CaseIterable, Sendable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"
    case u16 = "U16", u32 = "U32", u64 = "U64"
    case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64, .u64: return 8
        case .f32, .i32, .u32: return 4
        case .f16, .bf16, .i16, .u16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// The float types we convert to and from.
    public var isFloat: Bool { self == .f64 || self == .f32 || self == .f16 || self == .bf16 }

    /// Parses a user-facing name such as `f32`, `bf16`, `float16`.
    public init?(userName: String) {
        switch userName.lowercased() {
        case "f32", "float32", "fp32": self = .f32
        case "f16", "float16", "fp16", "half": self = .f16
        case "bf16", "bfloat16": self = .bf16
        case "f64", "float64", "fp64", "double": self = .f64
        default: return nil
        }
    }
}

/// Scalar conversions between Float32 and the 16-bit formats.
public enum HalfPrecision {
    /// bf16 → f32 is exact: the bf16 bits are the top half of an f32.
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// f32 → bf16, round to nearest, ties to even; NaN stays a (quiet) NaN with its sign.
    @inline(__always)
    public static func floatToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    @inline(__always)
    public static func f16ToFloat(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// f32 → f16 with IEEE round to nearest even (Swift's conversion); overflow gives ±inf.
    @inline(__always)
    public static func floatToF16(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }
}
