/// The syntax tree. Every node carries the span it came from, so runtime errors can point at
/// the exact expression.
indirect enum Expr: Sendable {
    case literal(Literal, Span)
    case fstring([FStringSegment], Span)
    case name(String, Span)
    case list([Expr], Span)
    case dict([(Expr, Expr)], Span)
    case unary(UnaryOp, Expr, Span)
    case binary(BinaryOp, Expr, Expr, Span)
    /// `and` / `or`, which evaluate their right side only when needed.
    case logical(LogicalOp, Expr, Expr, Span)
    case call(Expr, [Argument], Span)
    case index(Expr, [IndexItem], Span)
    case attribute(Expr, String, Span)
    case function(FunctionDecl, Span)
    /// `[element for names in iterable if condition]`
    case comprehension(Expr, [String], Expr, Expr?, Span)
    /// `value if condition else otherwise`, which evaluates only the branch it takes.
    case conditional(Expr, Expr, Expr, Span)

    var span: Span {
        switch self {
        case let .literal(_, s), let .fstring(_, s), let .name(_, s), let .list(_, s), let .dict(_, s),
             let .unary(_, _, s), let .binary(_, _, _, s), let .logical(_, _, _, s), let .call(_, _, s),
             let .index(_, _, s), let .attribute(_, _, s), let .function(_, s), let .comprehension(_, _, _, _, s),
             let .conditional(_, _, _, s):
            return s
        }
    }
}

enum Literal: Sendable {
    case integer(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case `nil`
}

enum FStringSegment: Sendable {
    case text(String)
    case hole(Expr, spec: String?)
}

enum UnaryOp: String, Sendable {
    case negate = "-", plus = "+", not = "not"
}

enum BinaryOp: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//", modulo = "%"
    case power = "**", matmul = "@"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in` = "in", notIn = "not in"
}

enum LogicalOp: String, Sendable {
    case and, or
}

/// A call argument: positional, `name=value`, or `**dict` (keywords spread from a dict).
enum Argument: Sendable {
    case positional(Expr)
    case keyword(String, Expr, Span)
    case spread(Expr)
}

/// One position of a subscript: `i` or `start:stop:step` (each part optional).
enum IndexItem: Sendable {
    case single(Expr)
    case slice(Expr?, Expr?, Expr?, Span)
}

struct Parameter: Sendable {
    let name: String
    let defaultValue: Expr?
    let span: Span
    /// The declared type of a strategy parameter (`scale: float`), checked before the strategy runs.
    var type: StrategyParameterType? = nil
}

/// A named or anonymous function, or a merge strategy written in Seed.
struct FunctionDecl: Sendable {
    let name: String
    let parameters: [Parameter]
    let body: [Stmt]
    let span: Span
}

indirect enum Stmt: Sendable {
    case expression(Expr)
    /// `target = value` or `target op= value`.
    case assign(Expr, BinaryOp?, Expr, Span)
    case function(FunctionDecl)
    case strategy(FunctionDecl)
    case `if`(Expr, [Stmt], [Stmt]?, Span)
    case `for`([String], Expr, [Stmt], Span)
    case `while`(Expr, [Stmt], Span)
    case `return`(Expr?, Span)
    case `break`(Span)
    case `continue`(Span)
    case `import`(String, Span)

    var span: Span {
        switch self {
        case let .expression(e): return e.span
        case let .assign(_, _, _, s), let .if(_, _, _, s), let .for(_, _, _, s), let .while(_, _, s),
             let .return(_, s), let .break(s), let .continue(s), let .import(_, s):
            return s
        case let .function(d), let .strategy(d): return d.span
        }
    }
}

/// A parsed file or REPL entry.
public struct Program: Sendable {
    let statements: [Stmt]
    /// `#%% title` markers, in order.
    public let cells: [(title: String, line: Int)]
}
