/// Turns source text into tokens.
///
/// Newlines are statement boundaries except inside `()` and `[]` (as in Python), so a call or a
/// list may span lines, and after a binary operator or a comma, so `x = a +` goes on with the
/// next line. Inside `{}` newlines count, because braces delimit blocks. Lexical errors
/// (a stray character, an unterminated string) are collected, and lexing goes on.
struct Lexer {
    let file: SourceFile
    private let chars: [Character]
    private var pos = 0
    /// Open `(`/`[` brackets, innermost last; `{` pushes a marker that re-enables newlines.
    private var brackets: [Character] = []
    private(set) var tokens: [Token] = []
    private(set) var errors: [Diagnostic] = []
    /// `#%% title` cell markers: (title, line).
    private(set) var cells: [(title: String, line: Int)] = []

    /// Where lexing stops: the end of the file, or of an f-string hole.
    private let limit: Int

    init(file: SourceFile, range: Range<Int>? = nil) {
        self.file = file
        chars = file.characters
        pos = range?.lowerBound ?? 0
        limit = min(range?.upperBound ?? chars.count, chars.count)
    }

    static func tokenize(_ file: SourceFile, range: Range<Int>? = nil) -> Lexer {
        var lexer = Lexer(file: file, range: range)
        lexer.run()
        return lexer
    }

    private var insideParens: Bool {
        if let last = brackets.last { return last != "{" }
        return false
    }

    private func peek(_ ahead: Int = 0) -> Character? {
        let i = pos + ahead
        return i < limit ? chars[i] : nil
    }

    private mutating func add(_ kind: TokenKind, from start: Int) {
        tokens.append(Token(kind: kind, span: Span(file: file, start: start, end: pos)))
    }

    private mutating func error(_ message: String, from start: Int, to end: Int? = nil, atEnd: Bool = false) {
        errors.append(Diagnostic(.syntax, message, at: Span(file: file, start: start, end: end ?? max(pos, start + 1)),
                                 atEndOfInput: atEnd))
    }

    private mutating func run() {
        while let c = peek() {
            let start = pos
            if c == "\n" || c == "\r\n" || c == "\r" {
                pos += 1
                // Collapse blank lines; no boundary inside brackets, right after another one, or
                // after a token that cannot end a statement (a binary operator or a comma).
                if !insideParens, let last = tokens.last, last.kind != .newline, !Lexer.continuesLine(last.kind) {
                    add(.newline, from: start)
                }
                continue
            }
            if c == " " || c == "\t" { pos += 1; continue }
            if c == ";" {
                pos += 1
                if let last = tokens.last, last.kind != .newline { add(.newline, from: start) }
                continue
            }
            if c == "\\", peek(1) == "\n" { pos += 2; continue }   // explicit line continuation
            if c == "#" { comment(); continue }
            if c.isNumber && c.isASCII || (c == "." && !afterOperand && (peek(1)?.isASCII ?? false) && (peek(1)?.isNumber ?? false)) {
                number(); continue
            }
            if c == "f", peek(1) == "\"" || peek(1) == "'" {
                pos += 1
                fstring(quote: peek() ?? "\"", start: start); continue
            }
            if c == "\"" || c == "'" { string(quote: c, start: start); continue }
            if c.isLetter || c == "_" { identifier(); continue }
            symbol(c, start: start)
        }
        // An unclosed bracket is the parser's to report: it knows what it expected instead.
        if let last = tokens.last, last.kind != .newline {
            tokens.append(Token(kind: .newline, span: Span(file: file, start: limit, end: limit)))
        }
        tokens.append(Token(kind: .eof, span: Span(file: file, start: limit, end: limit)))
    }

    private var openOffsets: [Int] = []

    /// Whether a line ending in this token goes on to the next line: a binary operator
    /// (`+`, `==`, `and`, `in`, ...) or a comma still needs its right-hand side.
    static func continuesLine(_ kind: TokenKind) -> Bool {
        switch kind {
        case let .symbol(symbol):
            switch symbol {
            case .comma, .plus, .minus, .star, .slash, .slashSlash, .percent, .starStar, .at,
                 .equalEqual, .bangEqual, .less, .lessEqual, .greater, .greaterEqual:
                return true
            default:
                return false
            }
        case let .keyword(keyword):
            return keyword == .and || keyword == .or || keyword == .in || keyword == .not
        default:
            return false
        }
    }

    /// Whether the last token can be followed by `.name` (so `d.1` is not `d` then `0.1`).
    private var afterOperand: Bool {
        switch tokens.last?.kind {
        case .identifier?, .symbol(.rparen)?, .symbol(.rbracket)?, .string?: return true
        default: return false
        }
    }

    private mutating func comment() {
        let start = pos
        while let c = peek(), c != "\n", c != "\r\n", c != "\r" { pos += 1 }
        let text = String(chars[start..<pos])
        if text.hasPrefix("#%%") {
            let title = String(text.dropFirst(3)).trimmingCharacters(in: " \t")
            cells.append((title, file.location(of: start).line))
        }
    }

    private mutating func number() {
        let start = pos
        var isFloat = false
        func digits(_ lexer: inout Lexer) {
            while let c = lexer.peek(), (c.isASCII && c.isNumber) || c == "_" { lexer.pos += 1 }
        }
        digits(&self)
        if peek() == "." {
            // "1.5" and "1." are floats; "1.x" stays an integer followed by attribute access.
            let next = peek(1)
            if let n = next, n.isASCII, n.isNumber {
                isFloat = true
                pos += 1
                digits(&self)
            } else if next.map({ !($0.isLetter || $0 == "_" || $0 == ".") }) ?? true {
                isFloat = true
                pos += 1
            }
        }
        if let e = peek(), e == "e" || e == "E" {
            let save = pos
            pos += 1
            if let s = peek(), s == "+" || s == "-" { pos += 1 }
            if let d = peek(), d.isASCII, d.isNumber {
                isFloat = true
                digits(&self)
            } else {
                pos = save
            }
        }
        if let c = peek(), c.isLetter || c == "_" {
            while let c = peek(), c.isLetter || c.isNumber || c == "_" { pos += 1 }
            error("invalid number literal '\(String(chars[start..<pos]))'", from: start)
            add(.integer(0), from: start)
            return
        }
        let text = String(chars[start..<pos]).replacingUnderscores()
        if isFloat {
            add(.float(Double(text) ?? .nan), from: start)
        } else if let value = Int(text) {
            add(.integer(value), from: start)
        } else {
            error("integer literal \(text) is too large (the limit is \(Int.max)); write it as a float, e.g. \(text).0", from: start)
            add(.integer(0), from: start)
        }
    }

    private mutating func identifier() {
        let start = pos
        while let c = peek(), c.isLetter || c.isNumber || c == "_" { pos += 1 }
        let word = String(chars[start..<pos])
        if let keyword = Keyword(rawValue: word) {
            add(.keyword(keyword), from: start)
        } else {
            add(.identifier(word), from: start)
        }
    }

    /// Reads an escape after a backslash; returns nil (and reports) when it is not valid.
    private mutating func escape() -> String? {
        let start = pos - 1
        guard let c = peek() else { return nil }
        pos += 1
        switch c {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "0": return "\0"
        case "\\": return "\\"
        case "\"": return "\""
        case "'": return "'"
        case "{": return "\\{"
        case "}": return "\\}"
        case "\n": return ""
        case "u":
            guard peek() == "{" else { error("expected '{' after \\u, as in \\u{e9}", from: start, to: pos); return nil }
            pos += 1
            var hex = ""
            while let h = peek(), h.isHexDigit { hex.append(h); pos += 1 }
            guard peek() == "}", let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                error("invalid unicode escape; write \\u{XXXX} with 1 to 6 hex digits", from: start, to: pos)
                return nil
            }
            pos += 1
            return String(Character(scalar))
        default:
            error("unknown escape sequence '\\\(c)'", from: start, to: pos)
            return nil
        }
    }

    /// Scans a quoted body; calls `onChar` for text and returns false if unterminated.
    private mutating func scanQuoted(quote: Character, start: Int, kind: String,
                                     _ onText: (inout Lexer, String, Int) -> Void) -> Bool {
        while let c = peek() {
            if c == quote { pos += 1; return true }
            if c == "\n" || c == "\r\n" {
                error("unterminated \(kind): the line ends before the closing \(quote)", from: start, to: pos)
                return false
            }
            let at = pos
            pos += 1
            if c == "\\" {
                if let text = escape() { onText(&self, text, at) }
            } else {
                onText(&self, String(c), at)
            }
        }
        error("unterminated \(kind): the input ends before the closing \(quote)", from: start, to: pos, atEnd: true)
        return false
    }

    private mutating func string(quote: Character, start: Int) {
        pos += 1
        var value = ""
        _ = scanQuoted(quote: quote, start: start, kind: "string") { _, text, _ in
            // \{ and \} are only special in f-strings.
            value += text == "\\{" ? "{" : text == "\\}" ? "}" : text
        }
        add(.string(value), from: start)
    }

    /// f-strings: `{{`/`}}` are literal braces; `{expr}` and `{expr:spec}` are holes.
    private mutating func fstring(quote: Character, start: Int) {
        pos += 1
        var raw: [(String, Int)] = []
        _ = scanQuoted(quote: quote, start: start, kind: "f-string") { _, text, at in raw.append((text, at)) }
        var parts: [FStringPart] = []
        var text = ""
        var i = 0
        while i < raw.count {
            let (piece, at) = raw[i]
            if piece == "{" && i + 1 < raw.count && raw[i + 1].0 == "{" { text += "{"; i += 2; continue }
            if piece == "}" && i + 1 < raw.count && raw[i + 1].0 == "}" { text += "}"; i += 2; continue }
            if piece == "\\{" { text += "{"; i += 1; continue }
            if piece == "\\}" { text += "}"; i += 1; continue }
            if piece == "}" {
                error("single '}' in f-string; write '}}' for a literal brace", from: at, to: at + 1)
                i += 1; continue
            }
            if piece != "{" { text += piece; i += 1; continue }
            // A hole: read to the matching '}', noting a top-level ':' as the start of the spec.
            if !text.isEmpty { parts.append(.text(text)); text = "" }
            var depth = 0, j = i + 1
            var source = "", spec: String?, sourceEnd: Int?
            var inString: String?
            while j < raw.count {
                let p = raw[j].0
                if let q = inString {
                    if p == q { inString = nil }
                } else if p == "\"" || p == "'" {
                    inString = p
                } else if p == "(" || p == "[" || p == "{" {
                    depth += 1
                } else if p == ")" || p == "]" || (p == "}" && depth > 0) {
                    depth -= 1
                } else if p == "}" {
                    break
                } else if p == ":" && depth == 0 && spec == nil {
                    spec = ""
                    sourceEnd = raw[j].1
                    j += 1
                    continue
                }
                if spec != nil { spec? += p } else { source += p }
                j += 1
            }
            let holeStart = raw.count > i + 1 ? raw[i + 1].1 : at + 1
            if j >= raw.count {
                error("expected '}' to close the f-string hole opened here", from: at, to: at + 1)
                break
            }
            if source.trimmingCharacters(in: " \t").isEmpty {
                error("empty expression in f-string hole", from: at, to: raw[j].1 + 1)
            } else {
                parts.append(.hole(start: holeStart, end: sourceEnd ?? raw[j].1, spec: spec))
            }
            i = j + 1
        }
        if !text.isEmpty { parts.append(.text(text)) }
        add(.fstring(parts), from: start)
    }

    private mutating func symbol(_ c: Character, start: Int) {
        // Longest match first.
        let two = peek(1).map { String(c) + String($0) } ?? ""
        if let s = Symbol(rawValue: two), two.count == 2 {
            pos += 2
            add(.symbol(s), from: start)
            return
        }
        guard let s = Symbol(rawValue: String(c)) else {
            pos += 1
            if c == "!" {
                error("'!' is not an operator in Seed; write 'not x' (or '!=' for inequality)", from: start)
            } else if c == "^" {
                // Written for powers by people coming from maths, R or Julia; Python's '^' is xor.
                error("'^' is not an operator in Seed; write '**' for a power (10**6)", from: start)
            } else {
                error("unexpected character '\(c)'", from: start)
            }
            return
        }
        pos += 1
        switch s {
        case .lparen, .lbracket, .lbrace:
            brackets.append(c)
            openOffsets.append(start)
        case .rparen, .rbracket, .rbrace:
            // Mismatches are the parser's to report; here only the nesting matters.
            if !brackets.isEmpty { brackets.removeLast(); openOffsets.removeLast() }
        default: break
        }
        add(.symbol(s), from: start)
    }
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }

    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
