import Ops

/// numpy habits on tensors: dtype conversion, positions of extremes, joining, spacing,
/// running sums and masks. Reductions take `keepdims` (in `Builtins+Tensors.swift`).
extension TensorBuiltins {
    static var shaping: [Builtin] {
        [
            Builtin("astype(x, dtype)", .tensors, "The tensor as \"float32\" or \"bool\" (non-zero, nan included, is true).",
                    example: "astype(tensor([0, 2]), \"bool\")") { args, _ in
                do {
                    return .tensor(try TensorArithmetic.converted(try args.tensor(0), to: try args.string(1)))
                } catch let error as BuiltinError where error.span == nil {
                    throw BuiltinError(error.message, span: args.spans[1])
                }
            },
            Builtin("tolist(x)", .tensors, "The elements as (nested) lists of floats, or bools for a mask.",
                    example: "tolist(eye(2))") { args, _ in
                try TensorArithmetic.toList(try args.tensor(0), limits: args.limits)
            },
            Builtin("argmax(x, axis=nil)", .tensors, "The flat index of the largest element (the first nan if any), or per position along `axis` (a list of ints).",
                    example: "argmax(tensor([3, 9, 2]))") { args, _ in
                try argExtreme(args, largest: true)
            },
            Builtin("argmin(x, axis=nil)", .tensors, "The flat index of the smallest element (the first nan if any), or per position along `axis`.",
                    example: "argmin(tensor([[3, 1], [0, 5]]), axis=1)") { args, _ in
                try argExtreme(args, largest: false)
            },
            Builtin("concat(tensors, axis=0)", .tensors, "Joins tensors along an existing axis (numpy.concatenate, torch.cat).",
                    example: "concat([ones([1, 2]), zeros([2, 2])])") { args, interp in
                let parts = try tensorList(args, 0)
                return .tensor(try concatenate(parts, axis: try args.int(1), limits: interp.limits))
            },
            Builtin("stack(tensors, axis=0)", .tensors, "Joins tensors of one shape along a new axis (numpy.stack, torch.stack).",
                    example: "stack([tensor([1, 2]), tensor([3, 4])])") { args, interp in
                let parts = try tensorList(args, 0)
                guard let first = parts.first, parts.allSatisfy({ $0.shape == first.shape }) else {
                    throw args.bad(0, "tensors of one shape", got: parts.map { Printer.shape($0.shape) }.joined(separator: ", "))
                }
                var axis = try args.int(1)
                if axis < 0 { axis += first.rank + 1 }
                guard axis >= 0, axis <= first.rank else {
                    throw args.bad(1, "an axis from \(-first.rank - 1) to \(first.rank)")
                }
                let expanded = parts.map { part -> Tensor in
                    var shape = part.shape
                    shape.insert(1, at: axis)
                    var out = Tensor(uncheckedShape: shape, data: part.data)
                    out.dtype = part.dtype
                    return out
                }
                return .tensor(try concatenate(expanded, axis: axis, limits: interp.limits))
            },
            Builtin("linspace(start, stop, num=50, endpoint=true)", .tensors, "num evenly spaced values from start to stop (numpy.linspace).",
                    example: "linspace(0, 1, 5)") { args, interp in
                let start = try args.double(0), stop = try args.double(1), num = try args.int(2)
                let endpoint = try args.bool(3)
                guard num >= 0 else { throw args.bad(2, "a non-negative int") }
                _ = try interp.limits.tensorCount([num])
                let divisions = endpoint ? num - 1 : num
                let step = divisions > 0 ? (stop - start) / Double(divisions) : 0
                var data = (0..<num).map { Float(start + Double($0) * step) }
                if endpoint && num > 1 { data[num - 1] = Float(stop) }
                return .tensor(Tensor(uncheckedShape: [num], data: data))
            },
            Builtin("cumsum(x, axis=nil)", .tensors, "Running sums (in float64) of the flattened tensor, or along `axis`.",
                    example: "cumsum(tensor([1, 2, 3]))") { args, _ in
                let t = try args.tensor(0)
                guard let axis = try args.optionalInt(1) else {
                    var total = 0.0
                    return .tensor(Tensor(uncheckedShape: [t.count], data: t.data.map { total += Double($0); return Float(total) }))
                }
                let a = try normalizedAxis(axis, rank: t.rank, args, 1)
                let outer = t.shape[..<a].reduce(1, *), n = t.shape[a], inner = t.shape[(a + 1)...].reduce(1, *)
                var out = t.data
                for o in 0..<outer {
                    for i in 0..<inner {
                        var total = 0.0
                        for k in 0..<n {
                            let index = (o * n + k) * inner + i
                            total += Double(t.data[index])
                            out[index] = Float(total)
                        }
                    }
                }
                return .tensor(Tensor(uncheckedShape: t.shape, data: out))
            },
            Builtin("logical_and(a, b)", .tensors, "Element-wise and of two masks (or tensors: non-zero is true), as a mask.",
                    example: "logical_and(x > 0, x < 1)") { args, interp in
                .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(try args.tensor(0), try args.tensor(1), limit: interp.limits.tensorElements) { $0 != 0 && $1 != 0 ? 1 : 0 }))
            },
            Builtin("logical_or(a, b)", .tensors, "Element-wise or of two masks, as a mask.", example: "logical_or(x < -1, x > 1)") { args, interp in
                .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(try args.tensor(0), try args.tensor(1), limit: interp.limits.tensorElements) { $0 != 0 || $1 != 0 ? 1 : 0 }))
            },
            Builtin("logical_not(x)", .tensors, "Element-wise not of a mask, as a mask.", example: "logical_not(x > 0)") { args, _ in
                .tensor(TensorArithmetic.mask(try args.tensor(0)) { $0 == 0 })
            },
        ]
    }

    /// A list of tensors (numbers and nested lists are converted).
    static func tensorList(_ args: Args, _ i: Int) throws -> [Tensor] {
        let items = try args.list(i)
        guard !items.isEmpty else { throw args.bad(i, "a non-empty list of tensors", got: "an empty list") }
        return try items.map { item in
            do { return try Arithmetic.asTensor(item) } catch { throw args.bad(i, "a list of tensors", got: "a list with \(item.typeNameWithArticle)") }
        }
    }

    static func normalizedAxis(_ axis: Int, rank: Int, _ args: Args, _ i: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < rank else { throw args.bad(i, "an axis from \(-rank) to \(rank - 1) for a \(rank)-D tensor", got: "\(axis)") }
        return a
    }

    /// Tensors of one rank, equal but along `axis`, joined along it; a mask if all are masks.
    static func concatenate(_ parts: [Tensor], axis: Int, limits: ResourceLimits) throws -> Tensor {
        guard let first = parts.first else { throw BuiltinError("concat needs at least one tensor") }
        guard first.rank > 0 else { throw BuiltinError("0-D tensors cannot be joined; use stack") }
        let a = axis < 0 ? axis + first.rank : axis
        guard a >= 0, a < first.rank else {
            throw BuiltinError("axis \(axis) is out of range for \(first.rank)-D tensors")
        }
        for part in parts {
            var expected = first.shape, got = part.shape
            guard got.count == expected.count else {
                throw BuiltinError("cannot join tensors of shapes \(Printer.shape(first.shape)) and \(Printer.shape(part.shape)) (different ranks)")
            }
            expected[a] = 0
            got[a] = 0
            guard got == expected else {
                throw BuiltinError("cannot join tensors of shapes \(Printer.shape(first.shape)) and \(Printer.shape(part.shape)) along axis \(a) (the other axes must match)")
            }
        }
        var shape = first.shape
        shape[a] = parts.reduce(0) { ResourceLimits.sum($0, $1.shape[a]) }
        let count = try limits.tensorCount(shape)
        let outer = first.shape[..<a].reduce(1, *)
        var data: [Float] = []
        data.reserveCapacity(count)
        for o in 0..<outer {
            for part in parts {
                let chunk = part.shape[a...].reduce(1, *)
                data += part.data[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        var out = Tensor(uncheckedShape: shape, data: data)
        if parts.allSatisfy({ $0.dtype == .bool }) { out.dtype = .bool }
        return out
    }

    /// argmax / argmin: nan wins (as in numpy, so a nan is never hidden behind a finite index).
    static func argExtreme(_ args: Args, largest: Bool) throws -> Value {
        let t = try args.tensor(0)
        func better(_ x: Float, than best: Float) -> Bool {
            if best.isNaN { return false }
            if x.isNaN { return true }
            return largest ? x > best : x < best
        }
        func pick(_ count: Int, _ element: (Int) -> Float) -> Int {
            var best = 0
            for k in 1..<max(count, 1) where better(element(k), than: element(best)) { best = k }
            return best
        }
        guard let axis = try args.optionalInt(1) else {
            guard t.count > 0 else { throw args.bad(0, "a non-empty tensor", got: "an empty tensor") }
            return .int(pick(t.count) { t.data[$0] })
        }
        let a = try normalizedAxis(axis, rank: t.rank, args, 1)
        let outer = t.shape[..<a].reduce(1, *), n = t.shape[a], inner = t.shape[(a + 1)...].reduce(1, *)
        guard n > 0 else { throw args.bad(0, "a tensor with elements along axis \(a)", got: "length 0") }
        var positions: [Int] = []
        positions.reserveCapacity(outer * inner)
        for o in 0..<outer {
            for i in 0..<inner { positions.append(pick(n) { t.data[(o * n + $0) * inner + i] }) }
        }
        var shape = t.shape
        shape.remove(at: a)
        return nested(positions.map { .int($0) }, shape: shape)
    }

    /// Values in row-major order as nested lists of `shape` (a scalar for shape []).
    static func nested(_ values: [Value], shape: [Int]) -> Value {
        guard let first = shape.first else { return values.first ?? .nil }
        let inner = shape.dropFirst().reduce(1, *)
        if shape.count == 1 { return .list(values) }
        return .list((0..<first).map { nested(Array(values[($0 * inner)..<(($0 + 1) * inner)]), shape: Array(shape.dropFirst())) })
    }

    /// `norm(x, axis=k)`: the 2-norm of the vectors along `axis` (numpy.linalg.norm).
    static func vectorNorm(_ t: Tensor, axis: Int, keepdims: Bool) throws -> Value {
        let result = try TensorArithmetic.reduce(t, axis: axis) { xs in xs.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        return keepdims ? try keepingDims(result, of: t, axis: axis) : result
    }

    /// A reduction's result with the reduced axis kept as length 1 (all axes when `axis` is nil).
    static func keepingDims(_ result: Value, of t: Tensor, axis: Int?) throws -> Value {
        switch result {
        case let .tensor(r):
            guard let axis else { return result }
            var shape = t.shape
            shape[axis < 0 ? axis + t.rank : axis] = 1
            return .tensor(Tensor(uncheckedShape: shape, data: r.data))
        default:
            guard let x = result.asDouble else { return result }
            return .tensor(Tensor(uncheckedShape: [Int](repeating: 1, count: t.rank), data: [Float(x)]))
        }
    }
}
