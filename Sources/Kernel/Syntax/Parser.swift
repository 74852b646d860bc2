/// Recursive-descent parser: tokens to statements, collecting every syntax error.
///
/// After an error the parser skips to the next statement boundary and goes on, so one run
/// reports several mistakes. An error found at the end of the input is marked `atEndOfInput`:
/// `Session.completeness` uses that to tell "needs another line" from "is wrong".
/// Grammar areas live in `Parser+Statements.swift` and `Parser+Expressions.swift`.
struct Parser {
    var tokens: [Token]
    var current = 0
    var diagnostics: [Diagnostic] = []
    let file: SourceFile
    /// Nesting of expressions and blocks; bounded so hostile input cannot exhaust the stack.
    var depth = 0
    static let maxDepth = 200
    static let maxChain = 10_000
    /// Enclosing loops and functions, for `break`/`continue`/`return` checks.
    var loops = 0
    var functions = 0

    init(file: SourceFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens
    }

    /// Thrown inside a production to abandon the current statement (already recorded).
    struct Abort: Error {}

    /// Parses a whole file or REPL entry.
    static func parse(_ file: SourceFile) -> (program: Program, diagnostics: [Diagnostic]) {
        let lexed = Lexer.tokenize(file)
        var parser = Parser(file: file, tokens: lexed.tokens)
        let statements = parser.statements(untilBrace: false)
        // Lexical and syntax errors together, in source order.
        let all = (lexed.errors + parser.diagnostics).sorted { ($0.span?.start ?? 0) < ($1.span?.start ?? 0) }
        return (Program(statements: statements, cells: lexed.cells), Parser.capped(Parser.deduplicated(all)))
    }

    /// Syntax errors reported per file, as compilers cap theirs: after the first few, the rest
    /// are mostly consequences (and a binary file opened by mistake would print thousands).
    static let maxErrors = 50

    static func capped(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        guard diagnostics.count > maxErrors else { return diagnostics }
        let more = diagnostics.count - maxErrors
        let last = diagnostics[maxErrors]
        return Array(diagnostics.prefix(maxErrors))
            + [Diagnostic(.syntax, "\(more) more syntax error\(more == 1 ? "" : "s") not shown; fix these first",
                          at: last.span, atEndOfInput: diagnostics.contains { $0.atEndOfInput })]
    }

    /// One error per position: a lexical error and the parse error it causes say the same thing.
    static func deduplicated(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Int>()
        return diagnostics.filter { seen.insert($0.span?.start ?? -1).inserted }
    }

    // MARK: token cursor

    var peek: Token { tokens[min(current, tokens.count - 1)] }
    func peek(_ ahead: Int) -> Token { tokens[min(current + ahead, tokens.count - 1)] }
    var previous: Token { tokens[max(0, min(current - 1, tokens.count - 1))] }
    var isAtEnd: Bool { peek.kind == .eof }

    @discardableResult
    mutating func advance() -> Token {
        let token = peek
        if !isAtEnd { current += 1 }
        return token
    }

    func check(_ symbol: Symbol) -> Bool { peek.kind == .symbol(symbol) }
    func check(_ keyword: Keyword) -> Bool { peek.kind == .keyword(keyword) }

    mutating func match(_ symbol: Symbol) -> Bool {
        guard check(symbol) else { return false }
        advance()
        return true
    }

    mutating func match(_ keyword: Keyword) -> Bool {
        guard check(keyword) else { return false }
        advance()
        return true
    }

    /// Consumes `symbol` or reports `message` at the current token.
    @discardableResult
    mutating func expect(_ symbol: Symbol, _ message: String) throws -> Token {
        if check(symbol) { return advance() }
        throw error(message, at: peek)
    }

    mutating func skipNewlines() {
        while peek.kind == .newline { advance() }
    }

    /// Records an error at `token` and returns the abort to throw.
    mutating func error(_ message: String, at token: Token) -> Abort {
        let atEnd = token.kind == .eof || (token.kind == .newline && token.span.start == token.span.end)
        record(message, span: token.span, atEnd: atEnd)
        return Abort()
    }

    mutating func error(_ message: String, span: Span) -> Abort {
        record(message, span: span, atEnd: false)
        return Abort()
    }

    mutating func record(_ message: String, span: Span, atEnd: Bool) {
        diagnostics.append(Diagnostic(.syntax, message, at: span, atEndOfInput: atEnd))
    }

    /// Skips the rest of a broken statement: to the next line at this nesting, or to the `}`
    /// that closes the enclosing block (left for the block to consume).
    mutating func synchronize() {
        var braces = 0
        while !isAtEnd {
            switch peek.kind {
            case .newline where braces == 0:
                advance()
                return
            case .symbol(.lbrace):
                braces += 1
            case .symbol(.rbrace):
                if braces == 0 { return }
                braces -= 1
            default: break
            }
            advance()
        }
    }

    mutating func enter(_ token: Token) throws {
        depth += 1
        if depth > Parser.maxDepth {
            throw error(SyntaxMessage.tooDeep(Parser.maxDepth), at: token)
        }
    }

    mutating func leave() { depth -= 1 }
}

/// Every syntax error message, in one place so they stay consistent.
enum SyntaxMessage {
    static func expectedExpression(_ found: Token) -> String {
        switch found.kind {
        case .eof, .newline: return "expected an expression, found \(found.describe)"
        case .symbol(.equal): return "expected an expression, found '='"
        case let .keyword(k) where ["fn", "if", "for", "while", "return", "break", "continue", "import"].contains(k.rawValue):
            return "expected an expression, found keyword '\(k.rawValue)' (a statement cannot be used as a value)"
        default: return "expected an expression, found \(found.describe)"
        }
    }
    static func expectedClosing(_ close: String, open: String, at span: Span, found: Token) -> String {
        "expected '\(close)' to close '\(open)' at \(span.line):\(span.column), found \(found.describe)"
    }
    static func expectedBlock(after what: String, found: Token) -> String {
        if found.kind == .symbol(.colon) {
            return "expected '{' to start the body of \(what), found ':' (Seed uses braces, not a colon and indentation)"
        }
        if found.kind == .symbol(.equal) {
            return "expected '{' to start the body of \(what), found '='; did you mean '=='?"
        }
        return "expected '{' to start the body of \(what), found \(found.describe)"
    }
    static func expectedName(_ what: String, found: Token) -> String {
        if case let .keyword(k) = found.kind {
            return "expected \(what), found keyword '\(k.rawValue)' (keywords cannot be used as names)"
        }
        return "expected \(what), found \(found.describe)"
    }
    static func expectedEndOfStatement(_ found: Token) -> String {
        switch found.kind {
        case .identifier, .integer, .float, .string, .fstring, .symbol(.lparen), .symbol(.lbracket):
            return "expected end of line after the statement, found \(found.describe); is an operator or a comma missing?"
        default:
            return "expected end of line after the statement, found \(found.describe)"
        }
    }
    static func invalidTarget(_ what: String) -> String {
        "cannot assign to \(what); the left side of '=' must be a name, an index (x[i]) or an attribute (x.a)"
    }
    static func tooDeep(_ limit: Int) -> String { "too deeply nested (the limit is \(limit) levels)" }
    static func conditionalWithoutElse(found: Token) -> String {
        "expected 'else' after the condition of 'value if condition else other', found \(found.describe)"
    }
    static let chainedComparison = "chained comparisons are not supported; write 'a < b and b < c'"
    static let positionalAfterKeyword = "positional argument after a keyword argument"
    static func duplicateParameter(_ name: String) -> String { "duplicate parameter '\(name)'" }
    static func nonDefaultAfterDefault(_ name: String) -> String {
        "parameter '\(name)' without a default follows a parameter with one"
    }
    static func misplaced(_ keyword: String, outside: String) -> String { "'\(keyword)' outside \(outside)" }
    static let elseWithoutIf = "'else' without a matching 'if' (put 'else' on the line of the closing '}')"
    static let importNeedsString = "import takes a file name in quotes, as in: import \"helpers.seed\""
    static let unexpectedCloseBrace = "unexpected '}' with no open block"
    static func unexpectedClosing(_ s: String) -> String { "unexpected '\(s)' with no matching opening bracket" }
}
