#if canImport(Glibc)
import Glibc
#endif
import Ops

/// Creating tensors, shapes, element-wise math and reductions. Reductions over all elements
/// return a float; with `axis` they return a tensor of one rank less.
enum TensorBuiltins {
    static var all: [Builtin] {
        var list = [
            Builtin("tensor(data)", .tensors, "A float32 tensor from a number or a nested list of numbers.",
                    example: "tensor([[1, 2], [3, 4]])") { args, _ in .tensor(try args.tensor(0)) },
            Builtin("zeros(shape)", .tensors, "A tensor of zeros; shape is an int or a list of ints.", example: "zeros([2, 3])") { args, interp in
                .tensor(try Tensor.zeros(try checkedShape(args, 0, interp.limits)))
            },
            Builtin("ones(shape)", .tensors, "A tensor of ones.", example: "ones(3)") { args, interp in
                let shape = try checkedShape(args, 0, interp.limits)
                return .tensor(Tensor(uncheckedShape: shape, data: [Float](repeating: 1, count: try Tensor.elementCount(shape))))
            },
            Builtin("randn(shape, seed=0)", .tensors, "Standard normal samples; the same seed gives the same tensor on every machine.",
                    example: "randn([2, 2], seed=1)") { args, interp in
                let shape = try checkedShape(args, 0, interp.limits)
                let seed = try args.int(1)
                let rng = CounterRNG(seed: UInt64(bitPattern: Int64(seed)), module: -1, input: -1)
                let n = try Tensor.elementCount(shape)
                return .tensor(Tensor(uncheckedShape: shape, data: (0..<n).map { Float(rng.normal($0)) }))
            },
            Builtin("arange(start, stop=nil, step=1)", .tensors, "A 1-D tensor of evenly spaced values (numpy's arange).",
                    example: "arange(5)") { args, interp in
                var start = try args.double(0), stop = try args.optionalDouble(1)
                let step = try args.double(2)
                if stop == nil { stop = start; start = 0 }
                guard step != 0 else { throw args.bad(2, "a non-zero step", got: "0") }
                let count = (((stop ?? 0) - start) / step).rounded(.up)
                guard count.isFinite, count <= Double(interp.limits.tensorElements) else {
                    throw BuiltinError("arange would have \(count) elements, more than the limit of \(interp.limits.tensorElements) for one tensor")
                }
                let n = Swift.max(0, Int(count))
                _ = try interp.limits.tensorCount([n])
                return .tensor(Tensor(uncheckedShape: [n], data: (0..<n).map { Float(start + Double($0) * step) }))
            },
            Builtin("eye(n)", .tensors, "The n x n identity matrix.", example: "eye(3)") { args, interp in
                let n = try args.int(0)
                guard n >= 0, n <= 20_000 else { throw args.bad(0, "a size from 0 to 20000") }
                _ = try interp.limits.tensorCount([n, n])
                var t = try Tensor.zeros([n, n])
                for i in 0..<n { t.data[i * n + i] = 1 }
                return .tensor(t)
            },
            Builtin("shape(x)", .tensors, "The shape of a tensor or delta, as a list of ints.", example: "shape(zeros([2, 3]))") { args, _ in
                if case let .delta(d) = args[0] { return .list(d.form.shape.map { .int($0) }) }
                return .list(try args.tensor(0).shape.map { .int($0) })
            },
            Builtin("transpose(x, axes=nil)", .tensors, "Reverses the axes (a matrix transpose), or permutes them by `axes`.",
                    example: "transpose(tensor([[1, 2, 3]]))") { args, _ in
                let axes = try args.isNil(1) ? nil : args.list(1).map { v -> Int in
                    guard case let .int(i) = v else { throw args.bad(1, "list of ints") }
                    return i
                }
                return .tensor(try TensorArithmetic.transpose(try args.tensor(0), axes: axes))
            },
            Builtin("reshape(x, shape)", .tensors, "The same elements in a new shape; one dimension may be -1.",
                    example: "reshape(arange(6), [2, -1])") { args, _ in
                let shape: [Int]
                switch args[1] {
                case let .int(n): shape = [n]
                case let .list(l):
                    shape = try l.items.map { v in
                        guard case let .int(i) = v else { throw args.bad(1, "list of ints") }
                        return i
                    }
                default: throw args.bad(1, "shape (a list of ints)")
                }
                return .tensor(try TensorArithmetic.reshape(try args.tensor(0), shape))
            },
            Builtin("flatten(x)", .tensors, "The elements as a 1-D tensor.", example: "flatten(eye(2))") { args, _ in
                let t = try args.tensor(0)
                var out = Tensor(uncheckedShape: [t.count], data: t.data)
                out.dtype = t.dtype
                return .tensor(out)
            },
            Builtin("matmul(a, b)", .tensors, "Matrix product (the `@` operator).", example: "matmul(eye(2), ones([2, 1]))") { args, interp in
                try TensorArithmetic.matmul(try args.tensor(0), try args.tensor(1), limit: interp.limits.tensorElements)
            },
            Builtin("where(condition, a, b)", .tensors, "Element-wise choice: a where the condition is non-zero, else b (broadcasting).",
                    example: "where(x > 0, x, 0)") { args, interp in
                let c = try args.tensor(0)
                let a = try Arithmetic.asTensor(args[1]), b = try Arithmetic.asTensor(args[2])
                guard let ab = TensorArithmetic.broadcastShape(a.shape, b.shape),
                      let shape = TensorArithmetic.broadcastShape(c.shape, ab) else {
                    throw BuiltinError("shapes \(Printer.shape(c.shape)), \(Printer.shape(a.shape)) and \(Printer.shape(b.shape)) do not broadcast")
                }
                _ = try interp.limits.tensorCount(shape)
                let target = try Tensor.zeros(shape)
                let ce = try TensorArithmetic.zipWith(c, target) { x, _ in x }
                let ae = try TensorArithmetic.zipWith(a, target) { x, _ in x }
                let be = try TensorArithmetic.zipWith(b, target) { x, _ in x }
                var out = be.data
                for i in out.indices where ce.data[i] != 0 { out[i] = ae.data[i] }
                return .tensor(Tensor(uncheckedShape: shape, data: out))
            },
            Builtin("clamp(x, min=nil, max=nil)", .tensors, "Limits every element to [min, max] (torch.clamp, numpy.clip).",
                    example: "clamp(tensor([-2, 0.5, 3]), min=0, max=1)") { args, _ in
                let t = try args.tensor(0)
                let lo = try args.optionalDouble(1).map(Float.init) ?? -.infinity
                let hi = try args.optionalDouble(2).map(Float.init) ?? .infinity
                return .tensor(TensorArithmetic.map(t) { x in x.isNaN ? x : Swift.min(Swift.max(x, lo), hi) })
            },
            Builtin("topk(x, k, largest=true)", .tensors, "The k largest (or smallest) elements of the flattened tensor and their flat indices.",
                    example: "topk(tensor([3, 1, 4, 1, 5]), 2)") { args, _ in
                let t = try args.tensor(0), k = try args.int(1), largest = try args.bool(2)
                guard k >= 0 else { throw args.bad(1, "a non-negative int") }
                let order = t.data.indices.sorted { i, j in
                    let a = t.data[i], b = t.data[j]
                    if a == b || (a.isNaN && b.isNaN) { return i < j }
                    if a.isNaN { return largest } else if b.isNaN { return !largest }
                    return largest ? a > b : a < b
                }.prefix(k)
                return .dict(DictRef([
                    ("values", .tensor(Tensor(uncheckedShape: [order.count], data: order.map { t.data[$0] }))),
                    ("indices", .list(order.map { .int($0) })),
                ]))
            },
            Builtin("quantile(x, q)", .tensors, "The q-quantile(s) of all elements, linear interpolation (numpy's default); q in [0, 1] or a list.",
                    example: "quantile(arange(11), 0.9)") { args, _ in
                let sorted = try args.tensor(0).data.map(Double.init).sorted()
                func one(_ q: Double) throws -> Double {
                    guard q >= 0, q <= 1 else { throw args.bad(1, "q in [0, 1]", got: "\(q)") }
                    return TensorArithmetic.quantile(sorted: sorted, q)
                }
                if case let .list(l) = args[1] {
                    return .tensor(Tensor(uncheckedShape: [l.items.count], data: try l.items.map { v in
                        guard let q = v.asDouble else { throw args.bad(1, "number or list of numbers") }
                        return Float(try one(q))
                    }))
                }
                return .float(try one(try args.double(1)))
            },
            Builtin("any(x)", .tensors, "Whether any element (of a tensor or list) is non-zero / true.", example: "any(tensor([0, 1]))") { args, interp in
                if case let .list(l) = args[0] { return .bool(try l.items.contains { try interp.truthy($0, at: args.callSpan) }) }
                return .bool(try args.tensor(0).data.contains { $0 != 0 })
            },
            Builtin("all(x)", .tensors, "Whether every element is non-zero / true.", example: "all(tensor([1, 2]) > 0)") { args, interp in
                if case let .list(l) = args[0] { return .bool(try l.items.allSatisfy { try interp.truthy($0, at: args.callSpan) }) }
                return .bool(try args.tensor(0).data.allSatisfy { $0 != 0 })
            },
            Builtin("allclose(a, b, rtol=1e-5, atol=1e-8)", .tensors, "Whether |a - b| <= atol + rtol * |b| everywhere (numpy.allclose).",
                    example: "allclose(eye(2) @ eye(2), eye(2))") { args, interp in
                let rtol = Float(try args.double(2)), atol = Float(try args.double(3))
                let close = try TensorArithmetic.zipWith(try args.tensor(0), try args.tensor(1), limit: interp.limits.tensorElements) { a, b in abs(a - b) <= atol + rtol * abs(b) ? 1 : 0 }
                return .bool(close.data.allSatisfy { $0 == 1 })
            },
        ]
        list += elementwise
        list += reductions
        list += shaping
        return list
    }

    static func checkedShape(_ args: Args, _ i: Int, _ limits: ResourceLimits) throws -> [Int] {
        let shape = try args.shape(i)
        let count = try Tensor.elementCount(shape)
        guard count <= limits.tensorElements else {
            throw args.bad(i, "a shape of at most \(limits.tensorElements) elements (the tensor size limit)", got: "\(count) elements")
        }
        _ = try limits.tensorCount(shape)   // the memory budget
        return shape
    }

    /// abs, sign, sqrt, exp, log, ...: numbers give numbers, tensors give tensors.
    static var elementwise: [Builtin] {
        let table: [(String, String, (Double) -> Double)] = [
            ("abs", "Absolute value, element-wise.", { Swift.abs($0) }),
            ("sign", "-1, 0 or 1 by the sign, element-wise.", { $0 > 0 ? 1 : ($0 < 0 ? -1 : ($0.isNaN ? .nan : 0)) }),
            ("sqrt", "Square root, element-wise (nan for negatives).", { $0.squareRoot() }),
            ("exp", "e to the power x, element-wise.", { Glibc.exp($0) }),
            ("log", "Natural logarithm, element-wise (nan for negatives, -inf at 0).", { Glibc.log($0) }),
            ("log10", "Base-10 logarithm, element-wise.", { Glibc.log10($0) }),
            ("floor", "Largest integer not above x, element-wise.", { $0.rounded(.down) }),
            ("ceil", "Smallest integer not below x, element-wise.", { $0.rounded(.up) }),
            ("isnan", "Where x is nan, element-wise (a mask for a tensor).", { $0.isNaN ? 1 : 0 }),
            ("isinf", "Where x is inf or -inf, element-wise (a mask for a tensor).", { $0.isInfinite ? 1 : 0 }),
            ("isfinite", "Where x is neither nan nor infinite, element-wise (a mask for a tensor).", { $0.isFinite ? 1 : 0 }),
        ]
        let predicates: Set<String> = ["isnan", "isinf", "isfinite"]
        return table.map { name, summary, f in
            Builtin("\(name)(x)", .tensors, summary, example: "\(name)(tensor([1, 4, 9]))") { args, _ in
                switch args[0] {
                case let .int(i) where name == "abs":
                    guard i != Int.min else { throw BuiltinError("integer overflow in abs(\(i))") }
                    return .int(Swift.abs(i))
                case let .int(i) where name == "sign": return .int(i.signum())
                case .int, .float, .bool:
                    let r = f(try args.double(0))
                    if predicates.contains(name) { return .bool(r == 1) }
                    return .float(r)
                default:
                    let t = try args.tensor(0)
                    if predicates.contains(name) { return .tensor(TensorArithmetic.mask(t) { f(Double($0)) == 1 }) }
                    return .tensor(TensorArithmetic.map(t) { Float(f(Double($0))) })
                }
            }
        }
    }

    /// sum, mean, std, min, max over all elements or along `axis`; lists of numbers work too.
    static var reductions: [Builtin] {
        let table: [(String, String, ([Double]) -> Double)] = [
            ("sum", "Sum of the elements (along `axis` if given).", TensorArithmetic.sum),
            ("mean", "Arithmetic mean (along `axis` if given).", TensorArithmetic.mean),
            ("std", "Population standard deviation, ddof 0 like numpy (along `axis` if given).", TensorArithmetic.std),
            ("min", "Smallest element (along `axis`); min(a, b, ...) of numbers too.", { $0.min() ?? .nan }),
            ("max", "Largest element (along `axis`); max(a, b, ...) of numbers too.", { $0.max() ?? .nan }),
        ]
        return table.map { name, summary, f in
            Builtin("\(name)(x, *rest, axis=nil, keepdims=false)", .tensors, summary, example: "\(name)(tensor([[1, 2], [3, 4]]), axis=0)") { args, _ in
                let axis = try args.optionalInt(1)
                let keepdims = try args.bool(2)
                if !args.rest.isEmpty || isNumberList(args[0]) {
                    // Plain numbers: keep ints exact for sum/min/max.
                    let items: [Value]
                    if args.rest.isEmpty { items = try args.list(0) } else { items = [args[0]] + args.rest }
                    guard axis == nil else { throw args.bad(1, "nil for a list of numbers") }
                    guard !keepdims else { throw args.bad(2, "false for a list of numbers") }
                    guard !items.isEmpty || name == "sum" else { throw BuiltinError("\(name)() of an empty list") }
                    if items.allSatisfy({ if case .int = $0 { return true }; return false }), name != "mean", name != "std" {
                        let ints = items.compactMap { v -> Int? in if case let .int(i) = v { return i }; return nil }
                        switch name {
                        case "min": return .int(ints.min() ?? 0)
                        case "max": return .int(ints.max() ?? 0)
                        default:
                            var total = 0
                            for i in ints {
                                let (s, o) = total.addingReportingOverflow(i)
                                guard !o else { throw BuiltinError("integer overflow in sum()") }
                                total = s
                            }
                            return .int(total)
                        }
                    }
                    let xs = try items.map { v -> Double in
                        guard let x = v.asDouble else { throw args.bad(0, "numbers", got: "a list with \(v.typeNameWithArticle)") }
                        return x
                    }
                    return .float(f(xs))
                }
                let t = try args.tensor(0)
                if axis == nil && t.count == 0 && (name == "min" || name == "max") {
                    throw BuiltinError("\(name)() of an empty tensor")
                }
                var result = try TensorArithmetic.reduce(t, axis: axis, f)
                if axis == nil, case let .float(x) = result {
                    // The count of a mask is an int (numpy's sum of bools); the smallest or largest
                    // element is a float32 one, shown at float32 precision.
                    if name == "sum", t.dtype == .bool { result = .int(Int(x)) }
                    if name == "min" || name == "max" { result = TensorArithmetic.element(Float(x), dtype: t.dtype) }
                }
                return keepdims ? try keepingDims(result, of: t, axis: axis) : result
            }
        }
    }

    static func isNumberList(_ v: Value) -> Bool {
        switch v {
        case let .list(l): return l.items.allSatisfy { $0.asDouble != nil }
        case .range: return true
        case .int, .float: return true
        default: return false
        }
    }
}

