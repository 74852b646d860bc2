/// The lexical units of Seed.
enum TokenKind: Equatable, Sendable {
    case integer(Int)
    case float(Double)
    case string(String)
    /// `f"..."`: literal text and `{expr:spec}` holes, with the offsets of each hole's source.
    case fstring([FStringPart])
    case identifier(String)
    case keyword(Keyword)
    case symbol(Symbol)
    /// A statement boundary: a newline outside brackets, or `;`.
    case newline
    case eof
}

/// `strategy` is not here: it is contextual (a declaration only as `strategy name(`), so it
/// stays usable as a name, e.g. the keyword argument `merge(xs, strategy="ties")`.
enum Keyword: String, CaseIterable, Sendable {
    case fn, `return`, `if`, `else`, `for`, `in`, `while`, `break`, `continue`
    case and, or, not, `true`, `false`, `nil`, `import`
}

enum Symbol: String, CaseIterable, Sendable {
    case lparen = "(", rparen = ")", lbracket = "[", rbracket = "]", lbrace = "{", rbrace = "}"
    case comma = ",", colon = ":", dot = "."
    case plus = "+", minus = "-", star = "*", slash = "/", slashSlash = "//", percent = "%"
    case starStar = "**", at = "@"
    case equal = "=", equalEqual = "==", bangEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case plusEqual = "+=", minusEqual = "-=", starEqual = "*=", slashEqual = "/="
    case arrow = "->"
}

/// One piece of an f-string.
enum FStringPart: Equatable, Sendable {
    case text(String)
    /// The offsets of the hole's expression in the file, and the format spec after `:`.
    case hole(start: Int, end: Int, spec: String?)
}

struct Token: Sendable {
    let kind: TokenKind
    let span: Span

    /// How the token reads in an error message: `'}'`, `end of input`, `number 3`.
    var describe: String {
        switch kind {
        case let .integer(i): return "number \(i)"
        case let .float(x): return "number \(x)"
        case .string: return "a string"
        case .fstring: return "an f-string"
        case let .identifier(name): return "name '\(name)'"
        case let .keyword(k): return "keyword '\(k.rawValue)'"
        case let .symbol(s): return "'\(s.rawValue)'"
        case .newline: return span.start == span.end ? "end of input" : "end of line"
        case .eof: return "end of input"
        }
    }
}
