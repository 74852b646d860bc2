import Ops

/// numpy's tensor indexing: ints, slices, lists of ints (fancy indexing) and bool masks, for
/// reading (`d[d > 0]`, `d[[0, 2]]`, `t[:, 1:3]`) and for writing (`d[d < 0] = 0`, `t[1, 2] = 5`).
extension Interpreter {
    /// Per axis an int (drops the axis), a slice, a list of ints or a 1-D mask (keep the axis and
    /// select those positions); missing trailing indices take everything. A mask as the only
    /// index selects, over as many leading axes as it has, where it is true: the result is 1-D
    /// (plus the axes it did not cover), as in numpy. Returns a number (or bool) when every axis
    /// is indexed by an int.
    func tensorIndex(_ t: Tensor, _ indices: [IndexValue], at span: Span) throws -> Value {
        if indices.count == 1, case let .single(.tensor(m), s) = indices[0], m.dtype == .bool, m.rank >= 1 {
            return .tensor(try maskSelect(t, m, at: s))
        }
        guard indices.count <= t.rank else {
            throw fail("too many indices for a \(t.rank)-D tensor: got \(indices.count)", at: span)
        }
        var selections: [[Int]] = []
        var keep: [Bool] = []
        var arrayAxes = 0
        for (d, dim) in t.shape.enumerated() {
            guard d < indices.count else {
                selections.append(Array(0..<dim))
                keep.append(true)
                continue
            }
            switch indices[d] {
            case let .single(v, s):
                if let positions = try arrayPositions(v, count: dim, axis: d, at: s) {
                    arrayAxes += 1
                    guard arrayAxes == 1 else {
                        throw fail("only one axis may be indexed by a list or mask (numpy pairs several index lists element by element; index one axis at a time)", at: s)
                    }
                    selections.append(positions)
                    keep.append(true)
                } else {
                    selections.append([try position(v, count: dim, what: "tensor axis \(d)", at: s)])
                    keep.append(false)
                }
            case let .slice(a, b, c, _):
                selections.append(Interpreter.sliceIndices(a, b, c, count: dim))
                keep.append(true)
            }
        }
        let strides = TensorArithmetic.strides(t.shape, padTo: t.rank).enumerated().map { i, s in t.shape[i] == 1 ? 0 : s }
        // Index lists may repeat positions, so the result can be larger than the tensor.
        let count: Int
        do { count = try limits.tensorCount(selections.map(\.count)) } catch let error as BuiltinError { throw fail(error.message, at: span) }
        try reserveMemory(elements: count, at: span)
        var out: [Float] = []
        out.reserveCapacity(count)
        func walk(_ d: Int, _ offset: Int) {
            if d == t.rank { out.append(t.data[offset]); return }
            for i in selections[d] { walk(d + 1, offset + i * strides[d]) }
        }
        walk(0, 0)
        let shape = zip(selections, keep).filter { $0.1 }.map { $0.0.count }
        if shape.isEmpty, let x = out.first { return TensorArithmetic.element(x, dtype: t.dtype) }
        var result = Tensor(uncheckedShape: shape, data: out)
        result.dtype = t.dtype
        return .tensor(result)
    }

    /// The positions a list of ints, a list of bools or a 1-D mask selects along an axis of
    /// `count` elements; nil when `value` is not one of those (an int, or an error to report).
    func arrayPositions(_ value: Value, count: Int, axis: Int, at span: Span) throws -> [Int]? {
        switch value {
        case let .list(l):
            if !l.items.isEmpty, l.items.allSatisfy({ if case .bool = $0 { return true }; return false }) {
                guard l.items.count == count else {
                    throw fail("a mask of \(l.items.count) bools cannot index tensor axis \(axis) of length \(count)", at: span)
                }
                return l.items.indices.filter { if case .bool(true) = l.items[$0] { return true }; return false }
            }
            return try l.items.map { try position($0, count: count, what: "tensor axis \(axis)", at: span) }
        case let .range(a, b, step):
            guard Ranges.count(a, b, step) <= limits.collectionCount else {
                throw fail("a range of \(Ranges.count(a, b, step)) indices is too long to index a tensor", at: span)
            }
            return try Ranges.elements(a, b, step).map { try position($0, count: count, what: "tensor axis \(axis)", at: span) }
        case let .tensor(m):
            guard m.dtype == .bool else {
                throw fail("a float32 tensor cannot be an index; index with a list of ints, or with a mask (a comparison such as t > 0, or astype(\"bool\"))", at: span)
            }
            guard m.rank == 1, m.count == count else {
                throw fail("a mask of shape \(Printer.shape(m.shape)) cannot index tensor axis \(axis) of length \(count)", at: span)
            }
            return m.data.indices.filter { m.data[$0] != 0 }
        default:
            return nil
        }
    }

    /// `t[mask]`: the elements (or sub-tensors) of `t` where the mask is true, in order.
    func maskSelect(_ t: Tensor, _ m: Tensor, at span: Span) throws -> Tensor {
        guard m.rank <= t.rank, Array(t.shape.prefix(m.rank)) == m.shape else {
            throw fail("a mask of shape \(Printer.shape(m.shape)) cannot index a tensor of shape \(Printer.shape(t.shape)) (its shape must match the tensor's first axes)", at: span)
        }
        let inner = t.shape[m.rank...].reduce(1, *)
        let chosen = m.data.indices.filter { m.data[$0] != 0 }
        try reserveMemory(elements: chosen.count * inner, at: span)
        var out: [Float] = []
        out.reserveCapacity(chosen.count * inner)
        for i in chosen { out += t.data[(i * inner)..<((i + 1) * inner)] }
        var result = Tensor(uncheckedShape: [chosen.count] + Array(t.shape[m.rank...]), data: out)
        result.dtype = t.dtype
        return result
    }

    /// `t[...] = x`: one int per axis stores one element; a mask as the only index stores `x`
    /// (a number) wherever the mask is true.
    func setTensorIndex(_ tensor: Tensor, _ indices: [IndexValue], _ value: Value, at span: Span) throws -> Value {
        var t = tensor
        guard let x = value.asDouble else {
            throw fail("can only store a number into tensor elements, got \(value.typeNameWithArticle)", at: span)
        }
        if indices.count == 1, case let .single(.tensor(m), s) = indices[0], m.dtype == .bool {
            guard m.shape == t.shape else {
                throw fail("a mask of shape \(Printer.shape(m.shape)) cannot select in a tensor of shape \(Printer.shape(t.shape)) (assignment needs the same shape)", at: s)
            }
            for i in t.data.indices where m.data[i] != 0 { t.data[i] = Float(x) }
            return .tensor(t)
        }
        guard indices.count == t.rank else {
            throw fail("tensor assignment needs one int index per axis (\(t.rank)), or one mask of the tensor's shape", at: span)
        }
        var offset = 0
        for (d, index) in indices.enumerated() {
            guard case let .single(v, s) = index else { throw fail("tensor assignment takes ints, not slices", at: index.span) }
            offset = offset * t.shape[d] + (try position(v, count: t.shape[d], what: "tensor axis \(d)", at: s))
        }
        t.data[offset] = t.dtype == .bool ? (x != 0 ? 1 : 0) : Float(x)
        return .tensor(t)
    }
}
