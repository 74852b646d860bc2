import Ops
#if canImport(Glibc)
import Glibc
#endif

/// Arithmetic, comparison and membership on values, with Python's rules for numbers
/// (`/` is true division, `//` floors, `%` takes the divisor's sign, ints never overflow
/// silently) and numpy's for tensors (element-wise with broadcasting, `@` for matmul).
extension Interpreter {
    func unary(_ op: UnaryOp, _ operand: Value, span: Span) throws -> Value {
        switch (op, operand) {
        case (.not, _): return .bool(!(try truthy(operand, at: span)))
        case (.plus, .int), (.plus, .float), (.plus, .tensor): return operand
        case let (.negate, .int(i)):
            guard i != Int.min else { throw fail("integer overflow in -(\(i))", at: span) }
            return .int(-i)
        case let (.negate, .float(x)): return .float(-x)
        case let (.negate, .bool(b)): return .int(b ? -1 : 0)
        case let (.negate, .tensor(t)): return .tensor(TensorArithmetic.map(t) { -$0 })
        default:
            throw fail("bad operand type for unary \(op.rawValue): \(operand.typeName)", at: span)
        }
    }

    func binary(_ op: BinaryOp, _ left: Value, _ right: Value, span: Span) throws -> Value {
        do {
            return try Arithmetic.binary(op, left, right, limits: limits)
        } catch let error as BuiltinError {
            throw fail(error.message, at: span)
        } catch let error as SeedloraError {
            throw fail(error.description, at: span)
        }
    }
}

enum Arithmetic {
    static func binary(_ op: BinaryOp, _ left: Value, _ right: Value, limits: ResourceLimits = .standard) throws -> Value {
        switch op {
        case .equal: return try equality(left, right, negate: false, limits: limits)
        case .notEqual: return try equality(left, right, negate: true, limits: limits)
        case .in: return .bool(try contains(right, left, limits: limits))
        case .notIn: return .bool(!(try contains(right, left, limits: limits)))
        default: break
        }
        // Tensors (and deltas) combine element-wise with anything numeric.
        if isTensorLike(left) || isTensorLike(right) {
            return try tensorBinary(op, left, right, limits: limits)
        }
        // Booleans count as 0 and 1 in arithmetic, as in Python.
        let left = promoteBool(left), right = promoteBool(right)
        switch (left, right) {
        case let (.int(a), .int(b)): return try integer(op, a, b)
        case (.int, .float), (.float, .int), (.float, .float):
            return try real(op, left.asDouble ?? 0, right.asDouble ?? 0)
        case let (.string(a), .string(b)):
            switch op {
            case .add:
                try limits.checkString(bytes: ResourceLimits.sum(a.utf8.count, b.utf8.count), "string +")
                return .string(a + b)
            case .less: return .bool(a < b)
            case .lessEqual: return .bool(a <= b)
            case .greater: return .bool(a > b)
            case .greaterEqual: return .bool(a >= b)
            default: break
            }
        case let (.string(s), .int(n)), let (.int(n), .string(s)):
            if op == .multiply {
                try limits.checkString(bytes: ResourceLimits.product(s.utf8.count, max(0, n)), "string * \(n)")
                return .string(String(repeating: s, count: max(0, n)))
            }
        case let (.list(a), .list(b)):
            if op == .add {
                try limits.checkCollection(count: ResourceLimits.sum(a.items.count, b.items.count), "list +")
                return .list(a.items + b.items)
            }
        case let (.list(l), .int(n)), let (.int(n), .list(l)):
            if op == .multiply {
                try limits.checkCollection(count: ResourceLimits.product(l.items.count, max(0, n)), "list * \(n)")
                var items: [Value] = []
                for _ in 0..<max(0, n) { items += l.items }
                return .list(items)
            }
        default: break
        }
        throw BuiltinError("unsupported operand types for \(op.rawValue): \(left.typeName) and \(right.typeName)")
    }

    static func promoteBool(_ v: Value) -> Value {
        if case let .bool(b) = v { return .int(b ? 1 : 0) }
        return v
    }

    static func isTensorLike(_ v: Value) -> Bool {
        switch v {
        case .tensor, .delta: return true
        default: return false
        }
    }

    static func integer(_ op: BinaryOp, _ a: Int, _ b: Int) throws -> Value {
        func checked(_ r: (Int, Bool), _ symbol: String) throws -> Value {
            guard !r.1 else { throw BuiltinError("integer overflow in \(a) \(symbol) \(b); use floats (e.g. \(a).0) for larger numbers") }
            return .int(r.0)
        }
        switch op {
        case .add: return try checked(a.addingReportingOverflow(b), "+")
        case .subtract: return try checked(a.subtractingReportingOverflow(b), "-")
        case .multiply: return try checked(a.multipliedReportingOverflow(by: b), "*")
        case .divide:
            guard b != 0 else { throw BuiltinError("division by zero") }
            return .float(Double(a) / Double(b))
        case .floorDivide:
            guard b != 0 else { throw BuiltinError("integer division by zero") }
            guard !(a == Int.min && b == -1) else { throw BuiltinError("integer overflow in \(a) // \(b)") }
            let q = a / b
            return .int((a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q)
        case .modulo:
            guard b != 0 else { throw BuiltinError("integer modulo by zero") }
            guard !(a == Int.min && b == -1) else { return .int(0) }
            let r = a % b
            return .int(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case .power:
            if b < 0 { return .float(pow(Double(a), Double(b))) }
            var result = 1, base = a, e = b
            while e > 0 {
                if e & 1 == 1 {
                    let (r, o) = result.multipliedReportingOverflow(by: base)
                    guard !o else { throw BuiltinError("integer overflow in \(a) ** \(b); use floats (e.g. \(a).0 ** \(b))") }
                    result = r
                }
                e >>= 1
                if e > 0 {
                    let (sq, o) = base.multipliedReportingOverflow(by: base)
                    guard !o else { throw BuiltinError("integer overflow in \(a) ** \(b); use floats (e.g. \(a).0 ** \(b))") }
                    base = sq
                }
            }
            return .int(result)
        case .less: return .bool(a < b)
        case .lessEqual: return .bool(a <= b)
        case .greater: return .bool(a > b)
        case .greaterEqual: return .bool(a >= b)
        case .matmul: throw BuiltinError("@ needs tensors, got int and int")
        case .equal, .notEqual, .in, .notIn: return .bool(false)
        }
    }

    static func real(_ op: BinaryOp, _ a: Double, _ b: Double) throws -> Value {
        switch op {
        case .add: return .float(a + b)
        case .subtract: return .float(a - b)
        case .multiply: return .float(a * b)
        case .divide:
            guard b != 0 else { throw BuiltinError("division by zero") }
            return .float(a / b)
        case .floorDivide:
            guard b != 0 else { throw BuiltinError("division by zero") }
            return .float((a / b).rounded(.down))
        case .modulo:
            guard b != 0 else { throw BuiltinError("modulo by zero") }
            let r = fmod(a, b)
            return .float(r != 0 && (r < 0) != (b < 0) ? r + b : r)
        case .power: return .float(pow(a, b))
        case .less: return .bool(a < b)
        case .lessEqual: return .bool(a <= b)
        case .greater: return .bool(a > b)
        case .greaterEqual: return .bool(a >= b)
        case .matmul: throw BuiltinError("@ needs tensors, got numbers")
        case .equal, .notEqual, .in, .notIn: return .bool(false)
        }
    }

    static func asTensor(_ v: Value) throws -> Tensor {
        switch v {
        case let .tensor(t): return t
        case let .delta(d): return d.form.dense
        case .int, .float, .bool: return TensorArithmetic.scalar(v.asDouble ?? 0)
        case .list, .range: return try TensorArithmetic.fromValue(v)
        default: throw BuiltinError("expected a tensor or a number, got \(v.typeNameWithArticle)")
        }
    }

    static func tensorBinary(_ op: BinaryOp, _ left: Value, _ right: Value, limits: ResourceLimits = .standard) throws -> Value {
        let a = try asTensor(left), b = try asTensor(right)
        let limit = limits.tensorElements
        // The element-wise result is checked against the memory budget before it is made.
        if op != .matmul, let shape = TensorArithmetic.broadcastShape(a.shape, b.shape) { _ = try limits.tensorCount(shape) }
        func bool(_ c: Bool) -> Float { c ? 1 : 0 }
        switch op {
        case .add: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit, +))
        case .subtract: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit, -))
        case .multiply: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit, *))
        case .divide: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit, /))
        case .floorDivide: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit) { ($0 / $1).rounded(.down) })
        case .modulo: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit) { x, y in
            let r = fmodf(x, y); return r != 0 && (r < 0) != (y < 0) ? r + y : r })
        case .power: return .tensor(try TensorArithmetic.zipWith(a, b, limit: limit) { powf($0, $1) })
        case .matmul: return try TensorArithmetic.matmul(a, b, limit: limit)
        case .less: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 < $1) }))
        case .lessEqual: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 <= $1) }))
        case .greater: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 > $1) }))
        case .greaterEqual: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 >= $1) }))
        case .equal: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 == $1) }))
        case .notEqual: return .tensor(TensorArithmetic.mask(try TensorArithmetic.zipWith(a, b, limit: limit) { bool($0 != $1) }))
        case .in, .notIn: throw BuiltinError("'in' does not apply to tensors")
        }
    }

    static func equality(_ left: Value, _ right: Value, negate: Bool, limits: ResourceLimits = .standard) throws -> Value {
        if case .tensor = left { return try tensorBinary(negate ? .notEqual : .equal, left, right, limits: limits) }
        if case .tensor = right { return try tensorBinary(negate ? .notEqual : .equal, left, right, limits: limits) }
        var budget = limits.comparisonSteps
        let same = try equal(left, right, depth: 0, budget: &budget)
        return .bool(negate ? !same : same)
    }

    /// Nesting deeper than this is refused by comparisons (lists that contain themselves).
    static let maxComparisonDepth = 100

    /// Structural equality (numbers across int/float, lists and dicts element by element).
    /// `budget` bounds the work, so lists that share or contain each other compare in bounded
    /// time; running out is an error, never a silent "not equal".
    static func equal(_ left: Value, _ right: Value, depth: Int, budget: inout Int) throws -> Bool {
        budget -= 1
        guard budget > 0 else {
            throw BuiltinError("the comparison visited more elements than the limit allows; lists that share or contain each other cannot be compared element by element")
        }
        guard depth < maxComparisonDepth else {
            throw BuiltinError("the comparison nests deeper than \(maxComparisonDepth) levels (does a list contain itself?)")
        }
        switch (left, right) {
        case (.nil, .nil): return true
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.list(a), .list(b)):
            if a === b { return true }
            guard a.items.count == b.items.count else { return false }
            for (x, y) in zip(a.items, b.items) where try !equal(x, y, depth: depth + 1, budget: &budget) { return false }
            return true
        case let (.dict(a), .dict(b)):
            if a === b { return true }
            guard a.count == b.count else { return false }
            for (k, v) in a.pairs {
                guard let w = b.get(k), try equal(v, w, depth: depth + 1, budget: &budget) else { return false }
            }
            return true
        case let (.range(a1, b1, s1), .range(a2, b2, s2)): return a1 == a2 && b1 == b2 && s1 == s2
        case let (.adapter(a), .adapter(b)): return a === b
        case let (.function(a), .function(b)): return a === b
        case let (.builtin(a), .builtin(b)): return a === b
        default:
            if let a = left.asDouble, let b = right.asDouble, !isString(left), !isString(right) { return a == b }
            return false
        }
    }

    static func isString(_ v: Value) -> Bool { if case .string = v { return true }; return false }

    static func contains(_ container: Value, _ item: Value, limits: ResourceLimits = .standard) throws -> Bool {
        switch container {
        case let .list(l):
            var budget = limits.comparisonSteps
            return try l.items.contains { try equal($0, item, depth: 0, budget: &budget) }
        case let .dict(d): return d.get(item) != nil
        case let .string(s):
            guard case let .string(sub) = item else { throw BuiltinError("'in <string>' needs a string on the left, got \(item.typeNameWithArticle)") }
            return sub.isEmpty || s.contains(sub)
        case let .range(a, b, step):
            guard case let .int(i) = item else { return false }
            return step > 0 ? (i >= a && i < b && (i - a) % step == 0) : (i <= a && i > b && (a - i) % (-step) == 0)
        case let .adapter(adapter):
            guard case let .string(name) = item else { return false }
            return adapter.module(name) != nil
        case let .table(t):
            guard case let .string(name) = item else { return false }
            return t.columns.contains(name)
        default:
            throw BuiltinError("'in' needs a list, dict, string, range, adapter or table on the right, got \(container.typeNameWithArticle)")
        }
    }
}
