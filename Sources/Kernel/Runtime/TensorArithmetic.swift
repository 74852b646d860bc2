import Ops

/// Tensor arithmetic for the language: numpy broadcasting, reductions along an axis, basic
/// indexing. Data stay Float32 (the dtype of adapters); reductions accumulate in Float64.
enum TensorArithmetic {
    /// A tensor from a number or a (nested, rectangular) list of numbers.
    static func fromValue(_ value: Value) throws -> Tensor {
        var shape: [Int] = []
        var data: [Float] = []
        // Only bools (or masks) make a mask, as in numpy: tensor([true, false]).
        var allBool = true
        func walk(_ v: Value, depth: Int) throws {
            guard depth < 32 else { throw BuiltinError("lists nested more than 32 deep (does a list contain itself?)") }
            switch v {
            case .int, .float, .bool:
                guard depth == shape.count else { throw BuiltinError("ragged nested list: every row must have the same length") }
                data.append(Float(v.asDouble ?? 0))
                if case .bool = v {} else { allBool = false }
            case let .list(l):
                if depth == shape.count {
                    guard data.isEmpty else { throw BuiltinError("ragged nested list: every row must have the same length") }
                    shape.append(l.items.count)
                } else if depth > shape.count || shape[depth] != l.items.count {
                    throw BuiltinError("ragged nested list: every row must have the same length")
                }
                for item in l.items { try walk(item, depth: depth + 1) }
            case let .range(a, b, s):
                guard Ranges.count(a, b, s) <= 100_000_000 else { throw BuiltinError("range too large for a tensor") }
                try walk(.list(Ranges.elements(a, b, s)), depth: depth)
            case let .tensor(t):
                guard depth == shape.count || (depth < shape.count && Array(shape[depth...]) == t.shape) else {
                    throw BuiltinError("ragged nested list: every row must have the same length")
                }
                if depth == shape.count { shape += t.shape }
                data += t.data
                if t.dtype != .bool { allBool = false }
            default:
                throw BuiltinError("expected numbers, got \(v.typeNameWithArticle)")
            }
        }
        try walk(value, depth: 0)
        var out = try Tensor(shape: shape, data: data)
        if allBool && !data.isEmpty { out.dtype = .bool }
        return out
    }

    /// Row `i` of a tensor: a number (or bool) for 1-D, a tensor of one rank less otherwise.
    static func row(_ t: Tensor, _ i: Int) -> Value {
        if t.rank <= 1 { return element(t.data[i], dtype: t.dtype) }
        let inner = Array(t.shape.dropFirst())
        let size = inner.reduce(1, *)
        var out = Tensor(uncheckedShape: inner, data: Array(t.data[(i * size)..<((i + 1) * size)]))
        out.dtype = t.dtype
        return .tensor(out)
    }

    static func scalar(_ x: Double) -> Tensor { Tensor(uncheckedShape: [], data: [Float(x)]) }

    static func map(_ t: Tensor, _ f: (Float) -> Float) -> Tensor {
        Tensor(uncheckedShape: t.shape, data: t.data.map(f))
    }

    /// The broadcast shape of two shapes (numpy rules), or nil when they do not broadcast.
    static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else { return nil }
        }
        return out
    }

    /// Element-wise `f(a, b)` with broadcasting.
    /// `limit` bounds the broadcast result (a [n, 1] + [1, n] sum has n * n elements).
    static func zipWith(_ a: Tensor, _ b: Tensor, limit: Int = ResourceLimits.standard.tensorElements,
                        _ f: (Float, Float) -> Float) throws -> Tensor {
        if a.shape == b.shape {
            var out = [Float](repeating: 0, count: a.count)
            for i in 0..<a.count { out[i] = f(a.data[i], b.data[i]) }
            return Tensor(uncheckedShape: a.shape, data: out)
        }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            throw BuiltinError("shapes \(Printer.shape(a.shape)) and \(Printer.shape(b.shape)) do not broadcast")
        }
        let count: Int
        do { count = try Tensor.elementCount(shape, limit: limit) } catch let error as SeedloraError { throw BuiltinError(error.description) }
        let sa = strides(a.shape, padTo: shape.count), sb = strides(b.shape, padTo: shape.count)
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        var ia = 0, ib = 0
        for k in 0..<count {
            out[k] = f(a.data[ia], b.data[ib])
            // Odometer increment over the output index, moving both input offsets.
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                ia += sa[d]; ib += sb[d]
                if index[d] < shape[d] { break }
                ia -= sa[d] * shape[d]; ib -= sb[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return Tensor(uncheckedShape: shape, data: out)
    }

    /// Row-major strides of `shape` left-padded to `rank`, with 0 where a dimension is 1
    /// (so that broadcasting repeats it).
    static func strides(_ shape: [Int], padTo rank: Int) -> [Int] {
        var result = [Int](repeating: 0, count: rank)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let r = rank - shape.count + i
            result[r] = shape[i] == 1 ? 0 : step
            step *= shape[i]
        }
        return result
    }

    static func matmul(_ a: Tensor, _ b: Tensor, limit: Int = ResourceLimits.standard.tensorElements) throws -> Value {
        switch (a.rank, b.rank) {
        case (1, 1):
            guard a.count == b.count else { throw BuiltinError("matmul: vectors of length \(a.count) and \(b.count)") }
            var s = 0.0
            for i in 0..<a.count { s += Double(a.data[i]) * Double(b.data[i]) }
            return .float(s)
        case (2, 2), (1, 2), (2, 1):
            let m = a.rank == 2 ? a.shape[0] : 1, k = a.shape.last ?? 0
            let kb = b.shape[0], n = b.rank == 2 ? b.shape[1] : 1
            // BLAS takes 32-bit dimensions.
            guard [m, k, n].allSatisfy({ $0 <= Int(Int32.max) }), (try? Tensor.elementCount([m, n])).map({ $0 <= limit }) ?? false else {
                throw BuiltinError("matmul: shapes \(Printer.shape(a.shape)) and \(Printer.shape(b.shape)) are too large")
            }
            guard k == kb else {
                throw BuiltinError("matmul: shapes \(Printer.shape(a.shape)) and \(Printer.shape(b.shape)) do not align (\(k) != \(kb))")
            }
            let data = LinearAlgebra.multiply(a.data, b.data, m: m, k: k, n: n, alpha: 1)
            let shape = a.rank == 1 ? [n] : (b.rank == 1 ? [m] : [m, n])
            return .tensor(Tensor(uncheckedShape: shape, data: data))
        default:
            throw BuiltinError("matmul needs 1-D or 2-D tensors, got \(a.rank)-D and \(b.rank)-D")
        }
    }

    /// Reverses the axes (or permutes them by `axes`).
    static func transpose(_ t: Tensor, axes: [Int]? = nil) throws -> Tensor {
        let rank = t.rank
        let perm = axes ?? Array((0..<rank).reversed())
        guard perm.count == rank, Set(perm) == Set(0..<rank) else {
            throw BuiltinError("axes \(perm) are not a permutation of 0..<\(rank)")
        }
        if rank == 2 && perm == [1, 0] {
            var out = t.transposed()
            out.dtype = t.dtype
            return out
        }
        let shape = perm.map { t.shape[$0] }
        let inStrides = strides(t.shape, padTo: rank).enumerated().map { i, s in t.shape[i] == 1 ? 0 : s }
        var out = [Float](repeating: 0, count: t.count)
        var index = [Int](repeating: 0, count: rank)
        for k in 0..<t.count {
            var offset = 0
            for d in 0..<rank { offset += index[d] * inStrides[perm[d]] }
            out[k] = t.data[offset]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        var result = Tensor(uncheckedShape: shape, data: out)
        result.dtype = t.dtype
        return result
    }

    static func reshape(_ t: Tensor, _ shape: [Int]) throws -> Tensor {
        var dims = shape
        if let free = dims.firstIndex(of: -1) {
            guard dims.filter({ $0 == -1 }).count == 1 else { throw BuiltinError("only one dimension can be -1") }
            let known = (try? Tensor.elementCount(dims.filter { $0 != -1 })) ?? 0
            guard known > 0, t.count % known == 0 else {
                throw BuiltinError("cannot reshape \(t.count) elements into \(Printer.shape(shape))")
            }
            dims[free] = t.count / known
        }
        guard dims.allSatisfy({ $0 >= 0 }), (try? Tensor.elementCount(dims)) == t.count else {
            throw BuiltinError("cannot reshape \(t.count) elements into \(Printer.shape(shape))")
        }
        var out = Tensor(uncheckedShape: dims, data: t.data)
        out.dtype = t.dtype
        return out
    }

    /// Folds along `axis` (all elements when nil) with a Float64 accumulator function.
    static func reduce(_ t: Tensor, axis: Int?, _ f: ([Double]) -> Double) throws -> Value {
        guard let axis else { return .float(f(t.data.map(Double.init))) }
        let a = axis < 0 ? axis + t.rank : axis
        guard a >= 0, a < t.rank else { throw BuiltinError("axis \(axis) is out of range for a \(t.rank)-D tensor") }
        let outer = t.shape[..<a].reduce(1, *), n = t.shape[a], inner = t.shape[(a + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: outer * inner)
        var column = [Double](repeating: 0, count: n)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<n { column[k] = Double(t.data[(o * n + k) * inner + i]) }
                out[o * inner + i] = Float(f(column))
            }
        }
        var shape = t.shape
        shape.remove(at: a)
        return .tensor(Tensor(uncheckedShape: shape, data: out))
    }

    static func sum(_ xs: [Double]) -> Double { xs.reduce(0, +) }
    static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : sum(xs) / Double(xs.count) }
    /// Population standard deviation (ddof = 0, numpy's default).
    static func std(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
    }

    /// Linear-interpolated quantile of sorted data (numpy's default method).
    static func quantile(sorted xs: [Double], _ q: Double) -> Double {
        guard !xs.isEmpty else { return .nan }
        let position = q * Double(xs.count - 1)
        let lo = Int(position.rounded(.down)), hi = min(lo + 1, xs.count - 1)
        let frac = position - Double(lo)
        return xs[lo] + (xs[hi] - xs[lo]) * frac
    }
}
