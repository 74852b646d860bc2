import Ops
import Plugins

/// Expression evaluation and calls.
extension Interpreter {
    /// Dispatches on the node kind; each kind has its own method below.
    func evaluate(_ expr: Expr, in env: Environment) throws -> Value {
        switch expr {
        case let .literal(literal, _): return evaluateLiteral(literal)
        case let .fstring(segments, _): return try evaluateFString(segments, in: env)
        case let .name(name, span): return try evaluateName(name, at: span, in: env)
        case let .list(elements, _): return .list(try elements.map { try evaluate($0, in: env) })
        case let .dict(pairs, _): return try evaluateDict(pairs, in: env)
        case let .unary(op, operand, span): return try unary(op, try evaluate(operand, in: env), span: span)
        case let .binary(op, left, right, span): return try evaluateBinary(op, left, right, span: span, in: env)
        case let .logical(op, left, right, _): return try evaluateLogical(op, left, right, in: env)
        case let .call(callee, arguments, span): return try evaluateCall(callee, arguments, span: span, in: env)
        case let .index(container, items, span): return try evaluateSubscript(container, items, span: span, in: env)
        case let .attribute(object, name, span): return try evaluateAttribute(object, name, span: span, in: env)
        case let .function(decl, _): return .function(makeFunction(decl, in: env))
        case let .comprehension(element, names, iterable, condition, span):
            return try evaluateComprehension(element, names, iterable, condition, span: span, in: env)
        case let .conditional(value, condition, otherwise, _):
            return try evaluateConditional(value, condition, otherwise, in: env)
        }
    }

    /// `value if condition else otherwise`: only the chosen side is evaluated.
    func evaluateConditional(_ value: Expr, _ condition: Expr, _ otherwise: Expr, in env: Environment) throws -> Value {
        try truthy(try evaluate(condition, in: env), at: condition.span) ? try evaluate(value, in: env) : try evaluate(otherwise, in: env)
    }

    func evaluateLiteral(_ literal: Literal) -> Value {
        switch literal {
        case let .integer(i): return .int(i)
        case let .float(x): return .float(x)
        case let .string(s): return .string(s)
        case let .bool(b): return .bool(b)
        case .nil: return .nil
        }
    }

    func evaluateFString(_ segments: [FStringSegment], in env: Environment) throws -> Value {
        var text = ""
        for segment in segments {
            switch segment {
            case let .text(t): text += t
            case let .hole(e, spec):
                let value = try evaluate(e, in: env)
                let piece: String
                if let spec {
                    do { piece = try Format.apply(spec: spec, to: value) } catch let error as BuiltinError {
                        throw fail(error.message, at: e.span)
                    }
                } else {
                    piece = Printer.str(value, maxBytes: limits.stringBytes)
                }
                do {
                    try limits.checkString(bytes: ResourceLimits.sum(text.utf8.count, piece.utf8.count), "this f-string")
                } catch let error as BuiltinError {
                    throw fail(error.message, at: e.span)
                }
                text += piece
            }
        }
        return .string(text)
    }

    func evaluateName(_ name: String, at span: Span, in env: Environment) throws -> Value {
        if let value = env.lookup(name) { return value }
        if let builtin = builtins[name] { return .builtin(builtin) }
        if let constant = Interpreter.constant(name) { return constant }
        throw fail(unknownName(name, in: env), at: span)
    }

    /// Names that read as numbers unless a variable takes them (numpy's `np.nan`, `np.inf`).
    static let constantNames = ["nan", "inf"]

    static func constant(_ name: String) -> Value? {
        switch name {
        case "nan": return .float(.nan)
        case "inf": return .float(.infinity)
        default: return nil
        }
    }

    func evaluateDict(_ pairs: [(Expr, Expr)], in env: Environment) throws -> Value {
        let dict = DictRef()
        for (keyExpr, valueExpr) in pairs {
            let key = try evaluate(keyExpr, in: env)
            let value = try evaluate(valueExpr, in: env)
            guard dict.set(key, value) else {
                throw fail("\(key.typeNameWithArticle) cannot be a dict key (use a string, number, bool or nil)", at: keyExpr.span)
            }
            if dict.count > limits.collectionCount {
                throw fail("this dict would hold more than \(limits.collectionCount) entries, the limit for one dict", at: keyExpr.span)
            }
        }
        return .dict(dict)
    }

    func evaluateBinary(_ op: BinaryOp, _ leftExpr: Expr, _ rightExpr: Expr, span: Span, in env: Environment) throws -> Value {
        let left = try evaluate(leftExpr, in: env)
        let right = try evaluate(rightExpr, in: env)
        return try binary(op, left, right, span: span)
    }

    /// `and` / `or` evaluate their right side only when the left does not decide.
    func evaluateLogical(_ op: LogicalOp, _ leftExpr: Expr, _ rightExpr: Expr, in env: Environment) throws -> Value {
        let left = try evaluate(leftExpr, in: env)
        let leftTrue = try truthy(left, at: leftExpr.span)
        switch op {
        case .and: return leftTrue ? try evaluate(rightExpr, in: env) : left
        case .or: return leftTrue ? left : try evaluate(rightExpr, in: env)
        }
    }

    func evaluateSubscript(_ containerExpr: Expr, _ items: [IndexItem], span: Span, in env: Environment) throws -> Value {
        let container = try evaluate(containerExpr, in: env)
        let indices = try evaluateIndex(items, in: env)
        return try getIndex(container, indices, at: span)
    }

    func evaluateAttribute(_ objectExpr: Expr, _ name: String, span: Span, in env: Environment) throws -> Value {
        let object = try evaluate(objectExpr, in: env)
        if let value = try attribute(object, name, at: span) { return value }
        throw fail(noAttribute(object, name), at: span)
    }

    /// `[element for names in iterable if condition]`, in its own scope as in Python 3: the
    /// loop variables do not leak.
    func evaluateComprehension(_ element: Expr, _ names: [String], _ iterableExpr: Expr, _ condition: Expr?,
                               span: Span, in env: Environment) throws -> Value {
        let scope = Environment(parent: env)
        let iterable = try evaluate(iterableExpr, in: env)
        var items: [Value] = []
        try iterate(iterable, at: iterableExpr.span) { item in
            try checkInterrupt(at: span)
            try bindLoopVariables(names, item, in: scope, at: span)
            if let condition, try !truthy(try evaluate(condition, in: scope), at: condition.span) { return true }
            guard items.count < limits.collectionCount else {
                throw fail("this list comprehension would make more than \(limits.collectionCount) elements, the limit for one list; use a tensor for large numeric data", at: span)
            }
            items.append(try evaluate(element, in: scope))
            return true
        }
        return .list(items)
    }

    func unknownName(_ name: String, in env: Environment) -> String {
        let candidates = env.visibleNames + Array(builtins.keys) + Interpreter.constantNames + Keyword.allCases.map(\.rawValue)
        if let hint = Suggest.closest(to: name, in: candidates) {
            return "unknown name '\(name)'; did you mean '\(hint)'?"
        }
        return "unknown name '\(name)'"
    }

    func noAttribute(_ object: Value, _ name: String) -> String {
        let known = Attributes.names(of: object) + builtins.keys.filter { Attributes.isMethod($0) }
        let hint = Suggest.closest(to: name, in: known).map { "; did you mean '\($0)'?" } ?? ""
        return "\(object.typeName) has no attribute '\(name)'\(hint)"
    }

    // MARK: calls

    /// An evaluated call argument and where it was written.
    struct CallArgument {
        let name: String?
        let value: Value
        let span: Span
    }

    func evaluateArguments(_ arguments: [Argument], in env: Environment) throws -> [CallArgument] {
        var result: [CallArgument] = []
        for argument in arguments {
            switch argument {
            case let .positional(e):
                result.append(CallArgument(name: nil, value: try evaluate(e, in: env), span: e.span))
            case let .keyword(name, e, nameSpan):
                result.append(CallArgument(name: name, value: try evaluate(e, in: env), span: nameSpan.through(e.span)))
            case let .spread(e):
                let value = try evaluate(e, in: env)
                guard case let .dict(d) = value else {
                    throw fail("** needs a dict of keyword arguments, got \(value.typeNameWithArticle)", at: e.span)
                }
                for (k, v) in d.pairs {
                    guard case let .string(name) = k else {
                        throw fail("** needs string keys, got \(k.typeNameWithArticle) key", at: e.span)
                    }
                    if result.contains(where: { $0.name == name }) {
                        throw fail("keyword argument '\(name)' given twice", at: e.span)
                    }
                    result.append(CallArgument(name: name, value: v, span: e.span))
                }
            }
        }
        return result
    }

    func evaluateCall(_ calleeExpr: Expr, _ arguments: [Argument], span: Span, in env: Environment) throws -> Value {
        // `x.f(args)`: a dict entry holding a function, or the builtin `f(x, args)`.
        if case let .attribute(objectExpr, name, attrSpan) = calleeExpr {
            let object = try evaluate(objectExpr, in: env)
            if let value = try attribute(object, name, at: attrSpan) {
                return try call(value, try evaluateArguments(arguments, in: env), at: span)
            }
            guard let builtin = builtins[name], Attributes.isMethod(name) else {
                throw fail(noAttribute(object, name), at: attrSpan)
            }
            let receiver = CallArgument(name: nil, value: object, span: objectExpr.span)
            return try call(.builtin(builtin), [receiver] + (try evaluateArguments(arguments, in: env)), at: span)
        }
        let callee = try evaluate(calleeExpr, in: env)
        return try call(callee, try evaluateArguments(arguments, in: env), at: span)
    }

    /// Calls a Seed function or a builtin.
    func call(_ callee: Value, _ arguments: [CallArgument], at span: Span) throws -> Value {
        switch callee {
        case let .function(function):
            return try callFunction(function, arguments, at: span)
        case let .builtin(builtin):
            var args = try bind(builtin, arguments, at: span)
            do {
                return try builtin.body(&args, self)
            } catch let error as BuiltinError {
                throw fail("\(error.message)", at: error.span ?? span)
            } catch let error as SeedloraError {
                if error.message == "cancelled" {
                    throw Diagnostic(.interrupted, "interrupted", at: span, stack: stack(endingAt: span))
                }
                throw fail(error.description, at: span)
            }
        default:
            throw fail("\(callee.typeNameWithArticle) is not callable", at: span)
        }
    }

    func callFunction(_ function: FunctionValue, _ arguments: [CallArgument], at span: Span) throws -> Value {
        let decl = function.decl
        guard frames.count < limits.callDepth else {
            throw fail("too many nested calls (more than \(limits.callDepth)); is the recursion missing a base case?", at: span)
        }
        try checkInterrupt(at: span)
        let scope = Environment(parent: function.closure)
        var bound = [Bool](repeating: false, count: decl.parameters.count)
        var position = 0
        for argument in arguments {
            if let name = argument.name {
                guard let i = decl.parameters.firstIndex(where: { $0.name == name }) else {
                    let hint = Suggest.closest(to: name, in: decl.parameters.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                    throw fail("\(decl.name)() has no parameter '\(name)'\(hint)", at: argument.span)
                }
                guard !bound[i] else { throw fail("\(decl.name)() got two values for parameter '\(name)'", at: argument.span) }
                bound[i] = true
                scope.define(name, argument.value)
            } else {
                guard position < decl.parameters.count else {
                    throw fail("\(decl.name)() takes \(decl.parameters.count) argument\(decl.parameters.count == 1 ? "" : "s") but \(arguments.filter { $0.name == nil }.count) were given", at: argument.span)
                }
                bound[position] = true
                scope.define(decl.parameters[position].name, argument.value)
                position += 1
            }
        }
        frames.append((decl.name, span))
        defer { frames.removeLast() }
        for (i, parameter) in decl.parameters.enumerated() where !bound[i] {
            guard let defaultExpr = parameter.defaultValue else {
                throw fail("\(decl.name)() is missing the argument '\(parameter.name)'", at: span)
            }
            scope.define(parameter.name, try evaluate(defaultExpr, in: scope))
        }
        if case let .returned(value) = try execute(decl.body, in: scope) { return value }
        return .nil
    }

    /// Matches call arguments to a builtin's declared parameters.
    func bind(_ builtin: Builtin, _ arguments: [CallArgument], at span: Span) throws -> Args {
        var args = Args(builtin: builtin, callSpan: span, limits: limits)
        var position = 0
        for argument in arguments {
            if let name = argument.name {
                if let i = builtin.parameters.firstIndex(where: { $0.name == name }) {
                    guard !args.given[i] else { throw fail("\(builtin.name)() got two values for '\(name)'", at: argument.span) }
                    args.set(i, argument.value, span: argument.span)
                } else if builtin.acceptsKeywords {
                    args.keywords.append((name, argument.value, argument.span))
                } else {
                    let names = builtin.parameters.map(\.name)
                    let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                    throw fail("\(builtin.name)() has no parameter '\(name)'\(hint) (signature: \(builtin.signature))", at: argument.span)
                }
            } else {
                while position < builtin.parameters.count && builtin.parameters[position].keywordOnly == false && args.given[position] {
                    position += 1
                }
                if position < builtin.parameters.count && !builtin.parameters[position].keywordOnly {
                    args.set(position, argument.value, span: argument.span)
                    position += 1
                } else if builtin.acceptsRest {
                    args.rest.append(argument.value)
                } else {
                    let count = arguments.filter { $0.name == nil }.count
                    throw fail("\(builtin.name)() takes at most \(builtin.positionalCount) positional argument\(builtin.positionalCount == 1 ? "" : "s") but \(count) were given (signature: \(builtin.signature))", at: argument.span)
                }
            }
        }
        for (i, parameter) in builtin.parameters.enumerated() where !args.given[i] {
            guard let value = parameter.defaultValue else {
                throw fail("\(builtin.name)() is missing the argument '\(parameter.name)' (signature: \(builtin.signature))", at: span)
            }
            args.values[i] = value
        }
        return args
    }
}
