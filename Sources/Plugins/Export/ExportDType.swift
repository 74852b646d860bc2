import Ops

/// The element types an export may be stored in (`merge --dtype`, a recipe's `dtype`).
/// Wider or integer types are refused: adapters and deltas are f32 at most.
public enum ExportDType: String, Sendable, CaseIterable {
    case f32, bf16, f16

    /// Accepts the long spellings too (`float32`, `bfloat16`, `fp16`, `half`).
    public init?(userName: String) {
        switch DType(userName: userName) {
        case .f32?: self = .f32
        case .bf16?: self = .bf16
        case .f16?: self = .f16
        default: return nil
        }
    }

    public var dtype: DType {
        switch self {
        case .f32: return .f32
        case .bf16: return .bf16
        case .f16: return .f16
        }
    }
}
