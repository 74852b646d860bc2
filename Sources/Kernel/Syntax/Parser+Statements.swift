/// Statements: declarations, control flow, assignment, blocks.
extension Parser {
    /// Statements up to the end of the input or (inside a block) the closing `}`.
    mutating func statements(untilBrace: Bool) -> [Stmt] {
        var result: [Stmt] = []
        skipNewlines()
        while !isAtEnd && !(untilBrace && check(.rbrace)) {
            if !untilBrace && check(.rbrace) {
                record(SyntaxMessage.unexpectedCloseBrace, span: peek.span, atEnd: false)
                advance()
                skipNewlines()
                continue
            }
            do {
                if let stmt = try statement() { result.append(stmt) }
                try endOfStatement()
            } catch {
                synchronize()
            }
            if !untilBrace && check(.rbrace) {
                record(SyntaxMessage.unexpectedCloseBrace, span: peek.span, atEnd: false)
                advance()
            }
            skipNewlines()
        }
        return result
    }

    /// A statement ends at a newline, before a `}`, or at the end of the input.
    mutating func endOfStatement() throws {
        switch peek.kind {
        case .newline: advance()
        case .eof, .symbol(.rbrace): break
        case .symbol(.rparen), .symbol(.rbracket):
            throw error(SyntaxMessage.unexpectedClosing(peek.kind == .symbol(.rparen) ? ")" : "]"), at: peek)
        default: throw error(SyntaxMessage.expectedEndOfStatement(peek), at: peek)
        }
    }

    mutating func statement() throws -> Stmt? {
        let token = peek
        switch token.kind {
        case .keyword(.fn) where peek(1).kind != .symbol(.lparen):
            advance()
            return .function(try functionDecl(kind: "function", start: token))
        case .identifier("strategy") where isIdentifier(peek(1)) && peek(2).kind == .symbol(.lparen):
            advance()
            return .strategy(try functionDecl(kind: "strategy", start: token))
        case .keyword(.if):
            advance()
            return try ifStatement(start: token)
        case .keyword(.for):
            advance()
            return try forStatement(start: token)
        case .keyword(.while):
            advance()
            let condition = try expression()
            let body = try loopBody(after: "the while loop")
            return .while(condition, body, token.span.through(previous.span))
        case .keyword(.return):
            advance()
            if functions == 0 { throw error(SyntaxMessage.misplaced("return", outside: "a function"), span: token.span) }
            if [.newline, .eof, .symbol(.rbrace)].contains(peek.kind) { return .return(nil, token.span) }
            let value = try expression()
            return .return(value, token.span.through(value.span))
        case .keyword(.break), .keyword(.continue):
            advance()
            let word = token.kind == .keyword(.break) ? "break" : "continue"
            if loops == 0 { throw error(SyntaxMessage.misplaced(word, outside: "a loop"), span: token.span) }
            return word == "break" ? .break(token.span) : .continue(token.span)
        case .keyword(.import):
            advance()
            guard case let .string(path) = peek.kind else { throw error(SyntaxMessage.importNeedsString, at: peek) }
            let pathToken = advance()
            return .import(path, token.span.through(pathToken.span))
        case .keyword(.else):
            throw error(SyntaxMessage.elseWithoutIf, at: token)
        case .symbol(.rparen), .symbol(.rbracket):
            throw error(SyntaxMessage.unexpectedClosing(token.kind == .symbol(.rparen) ? ")" : "]"), at: token)
        default:
            return try expressionStatement()
        }
    }

    func isIdentifier(_ token: Token) -> Bool {
        if case .identifier = token.kind { return true }
        return false
    }

    mutating func expressionStatement() throws -> Stmt {
        let target = try expression()
        let compound: [Symbol: BinaryOp] = [.plusEqual: .add, .minusEqual: .subtract, .starEqual: .multiply, .slashEqual: .divide]
        if case let .symbol(symbol) = peek.kind, symbol == .equal || compound[symbol] != nil {
            try checkTarget(target)
            advance()
            let value = try expression()
            return .assign(target, compound[symbol], value, target.span.through(value.span))
        }
        return .expression(target)
    }

    func describeTarget(_ expr: Expr) -> String {
        switch expr {
        case .literal: return "a literal"
        case .call: return "a function call"
        case .binary, .unary, .logical: return "an operator expression"
        case .conditional: return "a conditional expression"
        case .list: return "a list"
        case .dict: return "a dict"
        case .fstring: return "an f-string"
        case .comprehension: return "a list comprehension"
        case .function: return "a function"
        case .name, .index, .attribute: return "this"
        }
    }

    mutating func checkTarget(_ target: Expr) throws {
        switch target {
        case .name, .index, .attribute: return
        case .binary(.equal, _, _, _):
            throw error(SyntaxMessage.invalidTarget("a comparison"), span: target.span)
        default:
            throw error(SyntaxMessage.invalidTarget(describeTarget(target)), span: target.span)
        }
    }

    /// `name(params) { body }` after `fn` or `strategy`.
    mutating func functionDecl(kind: String, start: Token) throws -> FunctionDecl {
        guard case let .identifier(name) = peek.kind else {
            throw error(SyntaxMessage.expectedName("a \(kind) name", found: peek), at: peek)
        }
        advance()
        return try functionRest(name: name, kind: kind, start: start)
    }

    /// `(params) { body }`, shared by named and anonymous functions.
    mutating func functionRest(name: String, kind: String, start: Token) throws -> FunctionDecl {
        let found = peek.describe
        let open = try expect(.lparen, "expected '(' after the \(kind) name, found \(found)")
        var parameters: [Parameter] = []
        var sawDefault = false
        if !check(.rparen) {
            repeat {
                if check(.rparen) { break }   // trailing comma
                guard case let .identifier(pname) = peek.kind else {
                    throw error(SyntaxMessage.expectedName("a parameter name", found: peek), at: peek)
                }
                let ptoken = advance()
                if parameters.contains(where: { $0.name == pname }) {
                    throw error(SyntaxMessage.duplicateParameter(pname), span: ptoken.span)
                }
                // Strategy parameters may declare a type: `scale: float = 1.0`.
                var type: StrategyParameterType?
                if kind == "strategy", match(.colon) {
                    guard case let .identifier(word) = peek.kind, let declared = StrategyParameterType(rawValue: word) else {
                        throw error("expected a parameter type (\(StrategyParameterType.names)) after '\(pname):', found \(peek.describe)", at: peek)
                    }
                    advance()
                    type = declared
                }
                var defaultValue: Expr?
                if match(.equal) {
                    defaultValue = try expression()
                    sawDefault = true
                } else if sawDefault {
                    throw error(SyntaxMessage.nonDefaultAfterDefault(pname), span: ptoken.span)
                }
                parameters.append(Parameter(name: pname, defaultValue: defaultValue, span: ptoken.span, type: type))
            } while match(.comma)
        }
        if !check(.rparen) {
            throw error(SyntaxMessage.expectedClosing(")", open: "(", at: open.span, found: peek), at: peek)
        }
        advance()
        let savedLoops = loops
        loops = 0
        functions += 1
        defer { functions -= 1; loops = savedLoops }
        let body = try block(after: "the \(kind) '\(name)'")
        return FunctionDecl(name: name, parameters: parameters, body: body, span: start.span.through(previous.span))
    }

    /// `{ statements }`
    mutating func block(after what: String) throws -> [Stmt] {
        let open = peek
        guard check(.lbrace) else { throw error(SyntaxMessage.expectedBlock(after: what, found: peek), at: peek) }
        try enter(open)
        defer { leave() }
        advance()
        let body = statements(untilBrace: true)
        if !check(.rbrace) {
            throw error(SyntaxMessage.expectedClosing("}", open: "{", at: open.span, found: peek), at: peek)
        }
        advance()
        return body
    }

    mutating func loopBody(after what: String) throws -> [Stmt] {
        loops += 1
        defer { loops -= 1 }
        return try block(after: what)
    }

    mutating func ifStatement(start: Token) throws -> Stmt {
        let condition = try expression()
        let then = try block(after: "the if statement")
        var otherwise: [Stmt]?
        // `else` may follow the `}` on the next line in a file (not in the REPL, which runs the
        // `if` as soon as it is complete).
        if peek.kind == .newline && peek(1).kind == .keyword(.else) { advance() }
        if check(.else) {
            advance()
            if check(.if) {
                let ifToken = advance()
                otherwise = [try ifStatement(start: ifToken)]
            } else {
                otherwise = try block(after: "the else branch")
            }
        }
        return .if(condition, then, otherwise, start.span.through(previous.span))
    }

    mutating func forStatement(start: Token) throws -> Stmt {
        var names: [String] = []
        repeat {
            guard case let .identifier(name) = peek.kind else {
                throw error(SyntaxMessage.expectedName("a loop variable name", found: peek), at: peek)
            }
            advance()
            names.append(name)
        } while match(.comma)
        guard match(.in) else {
            let found = peek
            if found.kind == .symbol(.equal) {
                throw error("expected 'in' after the loop variable, found '='; write 'for i in range(n)'", at: found)
            }
            throw error("expected 'in' after the loop variable, found \(found.describe)", at: found)
        }
        let iterable = try expression()
        let body = try loopBody(after: "the for loop")
        return .for(names, iterable, body, start.span.through(previous.span))
    }
}
