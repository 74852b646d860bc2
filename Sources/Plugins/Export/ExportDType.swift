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

extension ExportDType {
    /// What a merge is stored in when no dtype is asked for: bf16 when every module of every
    /// input stores its factors as bf16, f32 otherwise (f32, f16, f64 or mixed inputs).
    ///
    /// Why: bf16 inputs carry 8 bits of mantissa, a server with a bf16 model (vLLM) casts an
    /// adapter to bf16 anyway, and mergekit stores what its recipe's `dtype` names, usually bf16;
    /// an f32 copy doubles the bytes to read and write (a 70B-shaped merge: 2.5 GB instead of
    /// 1.27 GB) for digits the inputs never had. The rounding it costs is measured in
    /// docs/merging.md ("Stored dtype"). f16 inputs still give f32: f16's range (6e-5 to 65504
    /// for normal numbers) is narrower than a merge's rescaled or re-orthogonalised factors may
    /// need, and bf16 has f32's range. `--dtype f32` (or a recipe's `dtype`) keeps the merged
    /// factors unrounded.
    public static func matching(storedAs dtypes: some Sequence<DType>) -> ExportDType {
        var sawAny = false
        for dtype in dtypes {
            guard dtype == .bf16 else { return .f32 }
            sawAny = true
        }
        return sawAny ? .bf16 : .f32
    }

    /// The note a merge summary shows when the inputs chose bf16 (nil for f32).
    var defaultNote: String? {
        self == .bf16 ? "stored as bf16 like the inputs; --dtype f32 keeps the merged factors unrounded" : nil
    }
}

extension MergeRequest {
    /// The dtype asked for, or the one the inputs imply (`ExportDType.matching`), with the note
    /// to show when the inputs chose it.
    public func exportDType(inputs: [PeftAdapter]) -> (dtype: DType, note: String?) {
        exportDType(storedAs: inputs.lazy.flatMap { $0.modules.lazy.map(\.dtype) })
    }

    public func exportDType(storedAs inputDTypes: some Sequence<DType>) -> (dtype: DType, note: String?) {
        if let dtype { return (dtype, nil) }
        let chosen = ExportDType.matching(storedAs: inputDTypes)
        return (chosen.dtype, chosen.defaultNote)
    }
}
