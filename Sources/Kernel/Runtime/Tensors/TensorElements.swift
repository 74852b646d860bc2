import Ops

/// How tensor elements become Seed values, and the two element types a Seed tensor has:
/// float32 numbers and bool masks (comparisons), both stored as Float.
extension TensorArithmetic {
    /// One element as a Seed value: a bool for a mask; for float32, the float nearest to the
    /// shortest decimal that reads back as the same float32. A float32 holds about 7 digits, so
    /// `tensor([0.1])[0]` is 0.1 (not 0.10000000149011612, digits the tensor never had).
    static func element(_ x: Float, dtype: DType) -> Value {
        if dtype == .bool { return .bool(x != 0) }
        return .float(widen(x))
    }

    /// The float64 of a float32's shortest round-trip text (exact for inf and nan).
    static func widen(_ x: Float) -> Double {
        guard x.isFinite else { return Double(x) }
        return Double(x.description) ?? Double(x)
    }

    /// The same elements, marked as a bool mask (values 0 and 1).
    static func mask(_ t: Tensor) -> Tensor {
        var out = t
        out.dtype = .bool
        return out
    }

    /// A mask of `f` applied to every element.
    static func mask(_ t: Tensor, _ f: (Float) -> Bool) -> Tensor {
        var out = Tensor(uncheckedShape: t.shape, data: t.data.map { f($0) ? 1 : 0 })
        out.dtype = .bool
        return out
    }

    /// The user-facing name of a tensor's element type.
    static func dtypeName(_ t: Tensor) -> String { t.dtype == .bool ? "bool" : "float32" }

    /// `astype`: "float32" (or "float", "f32") and "bool" (non-zero, nan included, is true, as in numpy).
    static func converted(_ t: Tensor, to name: String) throws -> Tensor {
        switch name.lowercased() {
        case "float32", "float", "f32":
            var out = t
            out.dtype = .f32
            return out
        case "bool":
            return t.dtype == .bool ? t : mask(t) { $0 != 0 }
        default:
            throw BuiltinError("unknown dtype \(Printer.quoted(name)); a tensor is \"float32\" or \"bool\"")
        }
    }

    /// `tolist`: nested lists of floats (or bools for a mask); a 0-D tensor gives its number.
    static func toList(_ t: Tensor, limits: ResourceLimits) throws -> Value {
        try limits.checkCollection(count: t.count, "tolist()")
        if t.rank == 0 { return element(t.data.first ?? 0, dtype: t.dtype) }
        var offset = 0
        func build(_ d: Int) -> Value {
            if d == t.rank - 1 {
                let n = t.shape[d]
                let items = (0..<n).map { element(t.data[offset + $0], dtype: t.dtype) }
                offset += n
                return .list(items)
            }
            return .list((0..<t.shape[d]).map { _ in build(d + 1) })
        }
        return build(0)
    }
}
