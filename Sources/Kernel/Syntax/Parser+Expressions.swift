/// Expressions, by precedence from loosest to tightest:
/// `a if c else b` (right-associative), `or`, `and`, `not`, comparisons (`== != < <= > >= in`, `not in`), `+ -`, `* / // % @`,
/// unary `- +`, `**` (right-associative, so `-2**2` is -4), then calls, subscripts and attributes.
extension Parser {
    mutating func expression() throws -> Expr {
        try enter(peek)
        defer { leave() }
        let value = try or()
        guard check(.if) else { return value }
        return try conditional(value)
    }

    /// The rest of `value if condition else otherwise`, after `value`. The `else` part must
    /// follow on the same line (or after a line ending in an operator, or inside brackets).
    mutating func conditional(_ value: Expr) throws -> Expr {
        let ifToken = advance()
        let condition = try or()
        guard match(.else) else {
            // Not "incomplete" in the REPL: the next line would start a new statement.
            throw error(SyntaxMessage.conditionalWithoutElse(found: peek), span: ifToken.span.through(previous.span))
        }
        let otherwise = try expression()
        return .conditional(value, condition, otherwise, value.span.through(otherwise.span))
    }

    mutating func or() throws -> Expr {
        var left = try and()
        var chain = 0
        while check(.or) {
            try lengthen(&chain)
            advance()
            let right = try and()
            left = .logical(.or, left, right, left.span.through(right.span))
        }
        return left
    }

    mutating func and() throws -> Expr {
        var left = try not()
        var chain = 0
        while check(.and) {
            try lengthen(&chain)
            advance()
            let right = try not()
            left = .logical(.and, left, right, left.span.through(right.span))
        }
        return left
    }

    mutating func not() throws -> Expr {
        if check(.not) {
            let token = advance()
            try enter(token)
            defer { leave() }
            let operand = try not()
            return .unary(.not, operand, token.span.through(operand.span))
        }
        return try comparison()
    }

    /// A chain `a + b + c + ...` builds a tree as deep as it is long; evaluating and freeing
    /// it recurses that deep, so very long chains are refused.
    mutating func lengthen(_ chain: inout Int) throws {
        chain += 1
        if chain > Parser.maxChain {
            throw error("expression has more than \(Parser.maxChain) operators in a row; split it into several statements", at: peek)
        }
    }

    mutating func comparisonOperator() -> BinaryOp? {
        switch peek.kind {
        case .symbol(.equalEqual): return .equal
        case .symbol(.bangEqual): return .notEqual
        case .symbol(.less): return .less
        case .symbol(.lessEqual): return .lessEqual
        case .symbol(.greater): return .greater
        case .symbol(.greaterEqual): return .greaterEqual
        case .keyword(.in): return .in
        case .keyword(.not) where peek(1).kind == .keyword(.in): return .notIn
        default: return nil
        }
    }

    mutating func comparison() throws -> Expr {
        let left = try additive()
        guard let op = comparisonOperator() else { return left }
        advance()
        if op == .notIn { advance() }
        let right = try additive()
        if comparisonOperator() != nil {
            throw error(SyntaxMessage.chainedComparison, at: peek)
        }
        return .binary(op, left, right, left.span.through(right.span))
    }

    mutating func additive() throws -> Expr {
        var left = try multiplicative()
        var chain = 0
        while true {
            let op: BinaryOp
            switch peek.kind {
            case .symbol(.plus): op = .add
            case .symbol(.minus): op = .subtract
            default: return left
            }
            try lengthen(&chain)
            advance()
            let right = try multiplicative()
            left = .binary(op, left, right, left.span.through(right.span))
        }
    }

    mutating func multiplicative() throws -> Expr {
        var left = try unary()
        var chain = 0
        while true {
            let op: BinaryOp
            switch peek.kind {
            case .symbol(.star): op = .multiply
            case .symbol(.slash): op = .divide
            case .symbol(.slashSlash): op = .floorDivide
            case .symbol(.percent): op = .modulo
            case .symbol(.at): op = .matmul
            default: return left
            }
            try lengthen(&chain)
            advance()
            let right = try unary()
            left = .binary(op, left, right, left.span.through(right.span))
        }
    }

    mutating func unary() throws -> Expr {
        let token = peek
        let op: UnaryOp
        switch token.kind {
        case .symbol(.minus): op = .negate
        case .symbol(.plus): op = .plus
        default: return try power()
        }
        advance()
        try enter(token)
        defer { leave() }
        let operand = try unary()
        return .unary(op, operand, token.span.through(operand.span))
    }

    mutating func power() throws -> Expr {
        let base = try postfix()
        guard check(.starStar) else { return base }
        let token = advance()
        try enter(token)
        defer { leave() }
        let exponent = try unary()
        return .binary(.power, base, exponent, base.span.through(exponent.span))
    }

    mutating func postfix() throws -> Expr {
        var expr = try primary()
        var levels = 0
        defer { depth -= levels }
        while true {
            if check(.lparen) {
                let open = advance()
                try enter(open); levels += 1
                let arguments = try callArguments(open: open)
                expr = .call(expr, arguments, expr.span.through(previous.span))
            } else if check(.lbracket) {
                let open = advance()
                try enter(open); levels += 1
                let items = try subscriptItems(open: open)
                expr = .index(expr, items, expr.span.through(previous.span))
            } else if check(.dot) {
                advance()
                guard case let .identifier(name) = peek.kind else {
                    throw error(SyntaxMessage.expectedName("an attribute name after '.'", found: peek), at: peek)
                }
                let nameToken = advance()
                expr = .attribute(expr, name, expr.span.through(nameToken.span))
            } else {
                return expr
            }
        }
    }

    mutating func callArguments(open: Token) throws -> [Argument] {
        var arguments: [Argument] = []
        var sawKeyword = false
        while !check(.rparen) {
            if match(.starStar) {
                arguments.append(.spread(try expression()))
                sawKeyword = true
            } else if case let .identifier(name) = peek.kind, peek(1).kind == .symbol(.equal) {
                let nameToken = advance()
                advance()
                if arguments.contains(where: { if case let .keyword(n, _, _) = $0 { return n == name }; return false }) {
                    throw error("keyword argument '\(name)' given twice", span: nameToken.span)
                }
                arguments.append(.keyword(name, try expression(), nameToken.span))
                sawKeyword = true
            } else {
                let value = try expression()
                if sawKeyword { throw error(SyntaxMessage.positionalAfterKeyword, span: value.span) }
                arguments.append(.positional(value))
            }
            if !match(.comma) { break }
        }
        if !check(.rparen) {
            throw error(SyntaxMessage.expectedClosing(")", open: "(", at: open.span, found: peek), at: peek)
        }
        advance()
        return arguments
    }

    mutating func subscriptItems(open: Token) throws -> [IndexItem] {
        var items: [IndexItem] = []
        repeat {
            if check(.rbracket) && !items.isEmpty { break }
            let start = peek
            var lower: Expr?
            if !check(.colon) {
                if check(.rbracket) { throw error("expected an index inside '[]', found ']'", at: peek) }
                lower = try expression()
            }
            if match(.colon) {
                var upper: Expr?, step: Expr?
                if !check(.colon) && !check(.comma) && !check(.rbracket) { upper = try expression() }
                if match(.colon) {
                    if !check(.comma) && !check(.rbracket) { step = try expression() }
                }
                items.append(.slice(lower, upper, step, start.span.through(previous.span)))
            } else if let lower {
                items.append(.single(lower))
            }
        } while match(.comma)
        if !check(.rbracket) {
            throw error(SyntaxMessage.expectedClosing("]", open: "[", at: open.span, found: peek), at: peek)
        }
        advance()
        return items
    }

    mutating func primary() throws -> Expr {
        let token = peek
        switch token.kind {
        case let .integer(i): advance(); return .literal(.integer(i), token.span)
        case let .float(x): advance(); return .literal(.float(x), token.span)
        case let .string(s): advance(); return .literal(.string(s), token.span)
        case let .fstring(parts): advance(); return .fstring(try fstringSegments(parts), token.span)
        case .keyword(.true): advance(); return .literal(.bool(true), token.span)
        case .keyword(.false): advance(); return .literal(.bool(false), token.span)
        case .keyword(.nil): advance(); return .literal(.nil, token.span)
        case let .identifier(name): advance(); return .name(name, token.span)
        case .keyword(.fn):
            advance()
            let decl = try functionRest(name: "<fn>", kind: "function", start: token)
            return .function(decl, decl.span)
        case .symbol(.lparen):
            advance()
            try enter(token)
            defer { leave() }
            let inner = try expression()
            if !check(.rparen) {
                if check(.comma) {
                    throw error("tuples are not supported; use a list [a, b]", at: peek)
                }
                throw error(SyntaxMessage.expectedClosing(")", open: "(", at: token.span, found: peek), at: peek)
            }
            advance()
            return inner
        case .symbol(.lbracket):
            advance()
            try enter(token)
            defer { leave() }
            var elements: [Expr] = []
            while !check(.rbracket) {
                elements.append(try expression())
                if elements.count == 1, check(.for), let element = elements.first {
                    return try comprehension(element, open: token)
                }
                if !match(.comma) { break }
            }
            if !check(.rbracket) {
                throw error(SyntaxMessage.expectedClosing("]", open: "[", at: token.span, found: peek), at: peek)
            }
            advance()
            return .list(elements, token.span.through(previous.span))
        case .symbol(.lbrace):
            advance()
            try enter(token)
            defer { leave() }
            var pairs: [(Expr, Expr)] = []
            skipNewlines()
            while !check(.rbrace) {
                let key = try expression()
                let found = peek.describe
                try expect(.colon, "expected ':' after a dict key, found \(found)")
                let value = try expression()
                pairs.append((key, value))
                skipNewlines()
                if !match(.comma) { break }
                skipNewlines()
            }
            if !check(.rbrace) {
                throw error(SyntaxMessage.expectedClosing("}", open: "{", at: token.span, found: peek), at: peek)
            }
            advance()
            return .dict(pairs, token.span.through(previous.span))
        default:
            throw error(SyntaxMessage.expectedExpression(token), at: token)
        }
    }

    /// The rest of `[element for x in xs if cond]` after the element.
    mutating func comprehension(_ element: Expr, open: Token) throws -> Expr {
        advance()   // for
        var names: [String] = []
        repeat {
            guard case let .identifier(name) = peek.kind else {
                throw error(SyntaxMessage.expectedName("a loop variable name", found: peek), at: peek)
            }
            advance()
            names.append(name)
        } while match(.comma)
        guard match(.in) else { throw error("expected 'in' after the loop variable, found \(peek.describe)", at: peek) }
        let iterable = try or()
        var condition: Expr?
        if match(.if) { condition = try or() }
        if !check(.rbracket) {
            throw error(SyntaxMessage.expectedClosing("]", open: "[", at: open.span, found: peek), at: peek)
        }
        advance()
        return .comprehension(element, names, iterable, condition, open.span.through(previous.span))
    }

    /// Parses each f-string hole from its place in the file, so errors point inside the string.
    mutating func fstringSegments(_ parts: [FStringPart]) throws -> [FStringSegment] {
        var segments: [FStringSegment] = []
        for part in parts {
            switch part {
            case let .text(text):
                segments.append(.text(text))
            case let .hole(start, end, spec):
                let lexed = Lexer.tokenize(file, range: start..<end)
                var sub = Parser(file: file, tokens: lexed.tokens)
                sub.depth = depth
                sub.functions = functions
                let expr = try? sub.expression()
                if sub.peek.kind != .newline && sub.peek.kind != .eof && sub.diagnostics.isEmpty {
                    sub.record("unexpected \(sub.peek.describe) in f-string hole", span: sub.peek.span, atEnd: false)
                }
                let errors = lexed.errors + sub.diagnostics
                if let first = errors.first {
                    // A hole ends inside the string, so its errors are never "at end of input":
                    // the end of the hole is its closing brace.
                    let message = first.message.hasSuffix("found end of input")
                        ? String(first.message.dropLast("end of input".count)) + "'}'" : first.message
                    record(message, span: first.span ?? Span(file: file, start: start, end: end), atEnd: false)
                    throw Abort()
                }
                guard let expr else { throw Abort() }
                segments.append(.hole(expr, spec: spec))
            }
        }
        return segments
    }
}
