import Ops
import Plugins

/// Statistics, histograms, cosine similarity, singular values and norms. For factored deltas
/// the moments, norms, inner products and singular values come from the factors exactly
/// (`FactorGram`, `LowRankSVD`); nothing out x in is formed.
enum AnalysisBuiltins {
    static var all: [Builtin] { [
        Builtin("stat(x, allow_nonfinite=false)", .analysis,
                "Statistics: a table per module (mean, std, norm, ...) for an adapter; a dict for a delta or tensor. A non-finite input is an error, or NaN statistics with allow_nonfinite=true.",
                example: "print(stat(a))") { args, interp in
            let allow = try args.bool(1)
            switch args[0] {
            case let .adapter(a):
                var rows: [[Value]] = []
                for module in a.modules {
                    try interp.cancellation.check()
                    let bad = try NonFinite.check(module.form, module: module.name, of: a.label, allow: allow, args: args)
                    let m = bad ? Moments(count: Double(module.form.shape.reduce(1, *)), sum: .nan, sumOfSquares: .nan) : Analysis.moments(module.form)
                    var rank: Value = .nil
                    if case let .factored(l) = module.form { rank = .int(l.rank) }
                    rows.append([.string(module.name), Analysis.shapeValue(module.form.shape), rank,
                                 .float(bad ? .nan : m.mean), .float(bad ? .nan : m.std), .float(bad ? .nan : m.frobenius)])
                }
                return .table(Table(columns: ["module", "shape", "rank", "mean", "std", "norm"], rows: rows))
            default:
                let t = try args.tensor(0)
                if try NonFinite.check(t, what: NonFinite.describe(args[0]), allow: allow, args: args) {
                    return .dict(DictRef([("count", .int(t.count)), ("mean", .float(.nan)), ("std", .float(.nan)),
                                          ("norm", .float(.nan)), ("min", .float(.nan)), ("max", .float(.nan))]))
                }
                let xs = t.data.map(Double.init)
                return .dict(DictRef([
                    ("count", .int(t.count)), ("mean", .float(TensorArithmetic.mean(xs))), ("std", .float(TensorArithmetic.std(xs))),
                    ("norm", .float(xs.reduce(0) { $0 + $1 * $1 }.squareRoot())),
                    ("min", .float(xs.min() ?? .nan)), ("max", .float(xs.max() ?? .nan)),
                ]))
            }
        },
        Builtin("hist(x, bins=10, lo=nil, hi=nil, allow_nonfinite=false)", .analysis,
                "A histogram table (lo, hi, count) of the elements of a tensor, delta or whole adapter. A non-finite element is an error, or counted in a last row (lo = hi = NaN) with allow_nonfinite=true.",
                example: "print(hist(randn(1000, seed=1), bins=5))") { args, interp in
            let bins = try args.int(1)
            guard bins >= 1, bins <= 10_000 else { throw args.bad(1, "bins from 1 to 10000") }
            let allow = try args.bool(4)
            var tensors: [Tensor] = []
            if case let .adapter(a) = args[0] {
                for m in a.modules {
                    try interp.cancellation.check()
                    _ = try NonFinite.check(m.form, module: m.name, of: a.label, allow: allow, args: args)
                    tensors.append(m.form.dense)
                }
            } else {
                tensors = [try args.tensor(0)]
                _ = try NonFinite.check(tensors[0], what: NonFinite.describe(args[0]), allow: allow, args: args)
            }
            var lo = try args.optionalDouble(2) ?? .infinity, hi = try args.optionalDouble(3) ?? -.infinity
            if args.isNil(2) || args.isNil(3) {
                for t in tensors { for x in t.data where x.isFinite {
                    if args.isNil(2) { lo = min(lo, Double(x)) }
                    if args.isNil(3) { hi = max(hi, Double(x)) }
                } }
            }
            if !lo.isFinite || !hi.isFinite { lo = 0; hi = 1 }
            if hi <= lo { hi = lo + 1 }
            var counts = [Int](repeating: 0, count: bins)
            var nonFinite = 0
            let width = (hi - lo) / Double(bins)
            for t in tensors { for x in t.data {
                let v = Double(x)
                guard v.isFinite else { nonFinite += 1; continue }
                guard v >= lo, v <= hi else { continue }
                counts[min(bins - 1, Int((v - lo) / width))] += 1
            } }
            var rows: [[Value]] = (0..<bins).map { i in [.float(lo + Double(i) * width), .float(lo + Double(i + 1) * width), .int(counts[i])] }
            // Allowed non-finite elements are counted apart, never dropped silently.
            if nonFinite > 0 { rows.append([.float(.nan), .float(.nan), .int(nonFinite)]) }
            return .table(Table(columns: ["lo", "hi", "count"], rows: rows))
        },
        Builtin("cosine(x, y=nil, by=\"adapter\", allow_nonfinite=false)", .analysis,
                "Cosine similarity of flattened deltas: a matrix for a list, a float for two; by=\"module\" gives a table (module, i, j, cosine). A non-finite input is an error, or NaN cosines with allow_nonfinite=true.",
                example: "cosine([a, b])") { args, interp in
            let allow = try args.bool(3)
            let by = try args.string(2)
            guard by == "adapter" || by == "module" else { throw args.bad(2, "\"adapter\" or \"module\"", got: "\"\(by)\"") }
            var items: [Value]
            let pair = !args.isNil(1)
            if pair { items = [args[0], args[1]] } else { items = try args.list(0) }
            guard items.count >= 1 else { throw args.bad(0, "a non-empty list") }
            if items.allSatisfy({ if case .adapter = $0 { return true }; return false }) {
                let adapters = items.compactMap { v -> AdapterValue? in if case let .adapter(a) = v { return a }; return nil }
                for a in adapters { for m in a.modules {
                    _ = try NonFinite.check(m.form, module: m.name, of: a.label, allow: allow, args: args)
                } }
                let perModule = try Analysis.innerProducts(adapters, cancellation: interp.cancellation)
                if by == "module" {
                    var rows: [[Value]] = []
                    for (name, g) in perModule {
                        for i in 0..<adapters.count { for j in (i + 1)..<adapters.count {
                            rows.append([.string(name), .int(i), .int(j), .float(Analysis.cosine(g, i, j, adapters.count))])
                        } }
                    }
                    return .table(Table(columns: ["module", "i", "j", "cosine"], rows: rows))
                }
                var total = [Double](repeating: 0, count: adapters.count * adapters.count)
                for (_, g) in perModule { for k in total.indices { total[k] += g[k] } }
                return Analysis.cosineResult(total, adapters.count, pair: pair)
            }
            guard by == "adapter" else { throw args.bad(2, "\"adapter\" for tensors and deltas", got: "\"module\"") }
            let forms: [DeltaForm] = try items.enumerated().map { i, v in
                switch v {
                case let .delta(d): return d.form
                case let .tensor(t): return .dense(t)
                default:
                    if pair { throw args.bad(i, "tensor, delta or adapter") }
                    throw args.bad(0, "list of tensors, deltas or adapters", got: "a list with \(v.typeNameWithArticle)")
                }
            }
            for (i, form) in forms.enumerated() {
                _ = try NonFinite.check(form.dense, what: NonFinite.describe(items[i]), allow: allow, args: args, argument: pair ? i : 0)
            }
            guard Set(forms.map(\.shape)).count == 1 else {
                throw BuiltinError("cosine needs equal shapes, got \(forms.map { Printer.shape($0.shape) }.joined(separator: ", "))")
            }
            let g = Analysis.gram(forms)
            return Analysis.cosineResult(g, forms.count, pair: pair)
        },
        Builtin("svd(x, k=nil, full=false, allow_nonfinite=false)", .analysis,
                "Singular values (descending) of a delta or 2-D tensor, the top k if given; exact from the factors for factored deltas. full=true returns {U, S, Vt}. A non-finite input is an error, or NaN values with allow_nonfinite=true.",
                example: "svd(delta(a, 0), k=4)") { args, interp in
            let k = try args.optionalInt(1)
            if let k, k < 1 { throw args.bad(1, "a positive int") }
            let full = try args.bool(2)
            let allow = try args.bool(3)
            if case let .delta(d) = args[0] {
                if try NonFinite.check(d.form, module: d.module, of: nil, allow: allow, args: args) {
                    return NonFinite.nanSVD(shape: d.form.shape, k: k, full: full)
                }
            } else {
                let t = try args.tensor(0, rank: 2)
                if try NonFinite.check(t, what: "the tensor", allow: allow, args: args) {
                    return NonFinite.nanSVD(shape: t.shape, k: k, full: full)
                }
            }
            if !full, case let .delta(d) = args[0], case let .factored(l) = d.form {
                let s = try LowRankSVD(l)
                let values = Array(s.values.prefix(k ?? s.values.count))
                return .tensor(Tensor(uncheckedShape: [values.count], data: values.map(Float.init)))
            }
            let t: Tensor
            if case .delta = args[0] { t = try args.tensor(0) } else { t = try args.tensor(0, rank: 2) }
            guard t.count <= 64_000_000 else { throw BuiltinError("svd of a dense \(Printer.shape(t.shape)) matrix is too large here; use a factored delta") }
            try interp.cancellation.check()
            let (u, s, vt) = try LinearAlgebra.svd(LinearAlgebra.Matrix(t))
            let keep = min(k ?? s.count, s.count)
            let values = Tensor(uncheckedShape: [keep], data: s.prefix(keep).map(Float.init))
            guard full else { return .tensor(values) }
            var uk = [Float](), vk = [Float]()
            for i in 0..<u.rows { for j in 0..<keep { uk.append(Float(u[i, j])) } }
            for i in 0..<keep { for j in 0..<vt.cols { vk.append(Float(vt[i, j])) } }
            return .dict(DictRef([("U", .tensor(Tensor(uncheckedShape: [u.rows, keep], data: uk))), ("S", .tensor(values)),
                                  ("Vt", .tensor(Tensor(uncheckedShape: [keep, vt.cols], data: vk)))]))
        },
        Builtin("norm(x, ord=\"fro\", axis=nil, keepdims=false, allow_nonfinite=false)", .analysis,
                "Frobenius norm (ord=\"fro\") or spectral norm (ord=2) of a tensor, delta or whole adapter; with axis, the 2-norms of the vectors along it. A non-finite input is an error, or NaN with allow_nonfinite=true.",
                example: "norm(tensor([3, 4]))") { args, _ in
            let allow = try args.bool(4)
            var bad = false
            switch args[0] {
            case let .adapter(a):
                for m in a.modules where try NonFinite.check(m.form, module: m.name, of: a.label, allow: allow, args: args) { bad = true }
            case let .delta(d):
                bad = try NonFinite.check(d.form, module: d.module, of: nil, allow: allow, args: args)
            default:
                bad = try NonFinite.check(try args.tensor(0), what: NonFinite.describe(args[0]), allow: allow, args: args)
            }
            if let axis = try args.optionalInt(2) { return try TensorBuiltins.vectorNorm(try args.tensor(0), axis: axis, keepdims: try args.bool(3)) }
            if bad { return .float(.nan) }
            let spectral: Bool
            switch args[1] {
            case .string("fro"): spectral = false
            case .int(2): spectral = true
            default: throw args.bad(1, "\"fro\" or 2")
            }
            switch args[0] {
            case let .adapter(a):
                guard !spectral else { throw args.bad(1, "\"fro\" for a whole adapter") }
                return .float(a.modules.reduce(0.0) { $0 + Analysis.moments($1.form).sumOfSquares }.squareRoot())
            case let .delta(d):
                if spectral {
                    if case let .factored(l) = d.form { return .float(try LowRankSVD(l).values.first ?? 0) }
                    return .float(try LinearAlgebra.svd(LinearAlgebra.Matrix(d.form.dense)).s.first ?? 0)
                }
                return .float(Analysis.moments(d.form).frobenius)
            default:
                let t = try args.tensor(0)
                if spectral {
                    guard t.rank == 2 else { throw args.bad(0, "2-D tensor for ord=2", got: "\(t.rank)-D") }
                    return .float(try LinearAlgebra.svd(LinearAlgebra.Matrix(t)).s.first ?? 0)
                }
                return .float(t.data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot())
            }
        },
    ] }
}

/// Shared computations of the analysis builtins.
enum Analysis {
    static func shapeValue(_ shape: [Int]) -> Value { .list(shape.map { .int($0) }) }

    /// Moments of a delta: exact from the factors, or from the dense data in Float64.
    static func moments(_ form: DeltaForm) -> Moments {
        switch form {
        case let .factored(l): return l.moments()
        case let .dense(t):
            var s = 0.0, q = 0.0
            for x in t.data { s += Double(x); q += Double(x) * Double(x) }
            return Moments(count: Double(t.count), sum: s, sumOfSquares: q)
        }
    }

    /// The n x n matrix of Frobenius inner products of same-shaped deltas.
    static func gram(_ forms: [DeltaForm]) -> [Double] {
        let n = forms.count
        let factors = forms.compactMap { f -> LowRank? in if case let .factored(l) = f { return l }; return nil }
        if factors.count == n {
            let g = FactorGram(factors)
            var out = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { out[i * n + j] = g.inner(i, j) } }
            return out
        }
        // Some are dense: densify this one module of each input and take dot products.
        let dense = forms.map(\.dense)
        var out = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n {
            var s = 0.0
            let a = dense[i].data, b = dense[j].data
            for k in 0..<min(a.count, b.count) { s += Double(a[k]) * Double(b[k]) }
            out[i * n + j] = s
            out[j * n + i] = s
        } }
        return out
    }

    /// Inner-product matrices per module of adapters that adapt the same modules.
    static func innerProducts(_ adapters: [AdapterValue], cancellation: Cancellation) throws -> [(String, [Double])] {
        guard let first = adapters.first else { return [] }
        var result: [(String, [Double])] = []
        for module in first.modules {
            try cancellation.check()
            var forms: [DeltaForm] = []
            for adapter in adapters {
                guard let m = adapter.module(module.name) else {
                    throw BuiltinError("adapter \(adapter.label) has no module \(module.name), which \(first.label) adapts")
                }
                guard m.form.shape == module.form.shape else {
                    throw BuiltinError("module \(module.name) has shape \(Printer.shape(module.form.shape)) in \(first.label) but \(Printer.shape(m.form.shape)) in \(adapter.label)")
                }
                forms.append(m.form)
            }
            result.append((module.name, gram(forms)))
        }
        for adapter in adapters.dropFirst() where adapter.modules.count != first.modules.count {
            throw BuiltinError("adapter \(adapter.label) adapts \(adapter.modules.count) modules but \(first.label) adapts \(first.modules.count)")
        }
        return result
    }

    static func cosine(_ g: [Double], _ i: Int, _ j: Int, _ n: Int) -> Double {
        let d = (g[i * n + i] * g[j * n + j]).squareRoot()
        // A zero delta has no direction (0 by convention); a non-finite one gives NaN, never 0.
        guard d.isFinite, g[i * n + j].isFinite else { return .nan }
        return d > 0 ? g[i * n + j] / d : 0
    }

    static func cosineResult(_ g: [Double], _ n: Int, pair: Bool) -> Value {
        if pair { return .float(cosine(g, 0, 1, n)) }
        var data = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { data[i * n + j] = Float(cosine(g, i, j, n)) } }
        return .tensor(Tensor(uncheckedShape: [n, n], data: data))
    }
}

/// The analysis builtins' guard against silent wrong numbers: a non-finite element in an input is
/// an error naming the module (or tensor), unless the call allows it; then the results it touches
/// are NaN, never a finite number computed around it.
enum NonFinite {
    /// The first non-finite element of a delta, as "B[3] = nan", or nil.
    static func find(_ form: DeltaForm) -> String? {
        switch form {
        case let .factored(l):
            if !l.scale.isFinite { return "scale = \(l.scale)" }
            if let i = l.b.firstNonFinite() { return "B[\(i / max(1, l.b.cols)), \(i % max(1, l.b.cols))] = \(l.b.data[i])" }
            if let i = l.a.firstNonFinite() { return "A[\(i / max(1, l.a.cols)), \(i % max(1, l.a.cols))] = \(l.a.data[i])" }
            return nil
        case let .dense(t):
            return find(t)
        }
    }

    static func find(_ t: Tensor) -> String? {
        guard let i = t.firstNonFinite() else { return nil }
        return "element \(i) = \(t.data[i])"
    }

    /// True when `form` holds a non-finite element and the call allows it; throws when it does not.
    static func check(_ form: DeltaForm, module: String, of label: String?, allow: Bool, args: Args, argument: Int = 0) throws -> Bool {
        guard let where_ = find(form) else { return false }
        if allow { return true }
        let owner = label.map { " of \($0)" } ?? ""
        throw BuiltinError("module \(module)\(owner) has a non-finite value (\(where_)); pass allow_nonfinite=true to get NaN results",
                           span: args.spans[argument] ?? args.callSpan)
    }

    static func check(_ t: Tensor, what: String, allow: Bool, args: Args, argument: Int = 0) throws -> Bool {
        guard let where_ = find(t) else { return false }
        if allow { return true }
        throw BuiltinError("\(what) has a non-finite value (\(where_)); pass allow_nonfinite=true to get NaN results",
                           span: args.spans[argument] ?? args.callSpan)
    }

    /// How an argument is named in the messages: a delta by its module.
    static func describe(_ value: Value) -> String {
        if case let .delta(d) = value { return "module \(d.module)" }
        return "the \(value.typeName)"
    }

    /// The SVD of a matrix with a non-finite element: every value NaN.
    static func nanSVD(shape: [Int], k: Int?, full: Bool) -> Value {
        let rows = shape.first ?? 0, cols = shape.count > 1 ? shape[1] : 0
        let keep = min(k ?? min(rows, cols), min(rows, cols))
        let values = Tensor(uncheckedShape: [keep], data: [Float](repeating: .nan, count: keep))
        guard full else { return .tensor(values) }
        return .dict(DictRef([("U", .tensor(Tensor(uncheckedShape: [rows, keep], data: [Float](repeating: .nan, count: rows * keep)))),
                              ("S", .tensor(values)),
                              ("Vt", .tensor(Tensor(uncheckedShape: [keep, cols], data: [Float](repeating: .nan, count: keep * cols))))]))
    }
}
