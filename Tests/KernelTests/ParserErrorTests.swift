import Kernel
import Testing

/// Syntax errors with their expected position marked in the source by `‸` (placed just
/// before the character the error points at), swift-syntax style.
struct ParserErrorCase: CustomStringConvertible, Sendable {
    let marked: String
    let message: String
    let incomplete: Bool

    init(_ marked: String, _ message: String, incomplete: Bool = false) {
        self.marked = marked
        self.message = message
        self.incomplete = incomplete
    }

    var source: String { marked.replacingOccurrences(of: "‸", with: "") }

    /// 1-based line and column of the marker.
    var position: (line: Int, column: Int) {
        var line = 1, column = 1
        for c in marked {
            if c == "‸" { break }
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    var description: String { marked.replacingOccurrences(of: "\n", with: "⏎") }
}

let parserErrorCases: [ParserErrorCase] = [
    .init("x = 1 +‸", "expected an expression, found end of input", incomplete: true),
    .init("x = ‸)", "expected an expression, found ')'"),
    .init("print(1, 2‸", "expected ')' to close '(' at 1:6, found end of input", incomplete: true),
    .init("xs = [1, 2‸", "expected ']' to close '[' at 1:6, found end of input", incomplete: true),
    .init("d = {\"a\": 1‸", "expected '}' to close '{' at 1:5, found end of input", incomplete: true),
    .init("if x > 1 {\n  print(x)\n‸", "expected '}' to close '{' at 1:10, found end of input", incomplete: true),
    .init("if x > 1‸:\n  print(x)", "expected '{' to start the body of the if statement, found ':' (Seed uses braces, not a colon and indentation)"),
    .init("if x ‸= 1 { }", "expected '{' to start the body of the if statement, found '='; did you mean '=='?"),
    .init("s = ‸\"abc", "unterminated string: the input ends before the closing \"", incomplete: true),
    .init("s = ‸\"abc\nprint(s)", "unterminated string: the line ends before the closing \""),
    .init("x = 3 ‸4", "expected end of line after the statement, found number 4; is an operator or a comma missing?"),
    .init("‸1 = x", "cannot assign to a literal; the left side of '=' must be a name, an index (x[i]) or an attribute (x.a)"),
    .init("‸f(x) = 2", "cannot assign to a function call; the left side of '=' must be a name, an index (x[i]) or an attribute (x.a)"),
    .init("fn ‸{ }", "expected a function name, found '{'"),
    .init("fn ‸if(x) { }", "expected a function name, found keyword 'if' (keywords cannot be used as names)"),
    .init("fn f(x, ‸x) { }", "duplicate parameter 'x'"),
    .init("fn f(a=1, ‸b) { }", "parameter 'b' without a default follows a parameter with one"),
    .init("fn f(x ‸{ }", "expected ')' to close '(' at 1:5, found '{'"),
    .init("fn f(x) ‸return x", "expected '{' to start the body of the function 'f', found keyword 'return'"),
    .init("‸return 1", "'return' outside a function"),
    .init("‸break", "'break' outside a loop"),
    .init("while true { fn g() { ‸continue } }", "'continue' outside a loop"),
    .init("for ‸1 in xs { }", "expected a loop variable name, found number 1"),
    .init("for i ‸= 0 { }", "expected 'in' after the loop variable, found '='; write 'for i in range(n)'"),
    .init("‸else { }", "'else' without a matching 'if' (put 'else' on the line of the closing '}')"),
    .init("import ‸helpers", "import takes a file name in quotes, as in: import \"helpers.seed\""),
    .init("x = 1 < 2 ‸< 3", "chained comparisons are not supported; write 'a < b and b < c'"),
    .init("f(a=1, ‸2)", "positional argument after a keyword argument"),
    .init("f(a=1, ‸a=2)", "keyword argument 'a' given twice"),
    .init("x = ‸!y", "'!' is not an operator in Seed; write 'not x' (or '!=' for inequality)"),
    .init("x = 1 ‸$ 2", "unexpected character '$'"),
    .init("x = ‸12abc", "invalid number literal '12abc'"),
    .init("x = ‸99999999999999999999", "integer literal 99999999999999999999 is too large (the limit is 9223372036854775807); write it as a float, e.g. 99999999999999999999.0"),
    .init("s = \"a‸\\qb\"", "unknown escape sequence '\\q'"),
    .init("s = f\"{x}‸}\"", "single '}' in f-string; write '}}' for a literal brace"),
    .init("s = f\"value ‸{}\"", "empty expression in f-string hole"),
    .init("s = f\"{x +‸}\"", "expected an expression, found '}'"),
    .init("t[‸]", "expected an index inside '[]', found ']'"),
    .init("x = (1‸, 2)", "tuples are not supported; use a list [a, b]"),
    .init("x = d.‸1", "expected an attribute name after '.', found number 1"),
    .init("‸}", "unexpected '}' with no open block"),
    .init("x = 1‸)", "unexpected ')' with no matching opening bracket"),
    .init("d = {\"a\" ‸1}", "expected ':' after a dict key, found number 1"),
    .init("x = fn‸", "expected '(' after the function name, found end of input", incomplete: true),
    .init("x = ‸if", "expected an expression, found keyword 'if' (a statement cannot be used as a value)"),
    // A line that ends in an operator or a comma goes on: at the end of the file it is missing its operand.
    .init("x = [1] *\n# the factor is missing\n‸", "expected an expression, found end of input", incomplete: true),
    .init("total = 1 and\n‸", "expected an expression, found end of input", incomplete: true),
    .init("if x {\n    y = 1 +\n‸}", "expected an expression, found '}'"),
    .init("xs = [1, 2] +\n‸)", "expected an expression, found ')'"),
    // The conditional expression `a if c else b`.
    .init("x = 1 ‸if y", "expected 'else' after the condition of 'value if condition else other', found end of input"),
    .init("x = 1 ‸if y z", "expected 'else' after the condition of 'value if condition else other', found name 'z'"),
    .init("x = 1 if y else‸", "expected an expression, found end of input", incomplete: true),
    .init("x = 1 if ‸else 2", "expected an expression, found keyword 'else'"),
    .init("(‸1 if c else 2) = 3", "cannot assign to a conditional expression; the left side of '=' must be a name, an index (x[i]) or an attribute (x.a)"),
]

@Suite struct ParserErrorTests {
    @Test("syntax errors point at the marked position", arguments: parserErrorCases)
    func error(_ c: ParserErrorCase) {
        let diagnostics = Session(host: Host(write: { _ in })).run(c.source, name: "t.seed")
        let first = diagnostics.first
        #expect(first?.kind == .syntax)
        #expect(first?.message == c.message)
        #expect(first?.span?.line == c.position.line, "line of \(c)")
        #expect(first?.span?.column == c.position.column, "column of \(c)")
        #expect(Session.isComplete(c.source) == !c.incomplete, "isComplete of \(c)")
    }

    @Test func severalErrorsInOneRun() {
        let source = "x = * 2\ny = )\nfn 1(a) { }\nz = [1, 2]\nw = 3 4\n"
        let diagnostics = Session(host: Host(write: { _ in })).run(source, name: "t.seed")
        #expect(diagnostics.map { $0.span?.line ?? 0 } == [1, 2, 3, 5])
    }

    @Test func renderedWithSourceLineAndCaret() {
        let diagnostics = Session(host: Host(write: { _ in })).run("x = 1\nprint(x +)\n", name: "t.seed")
        #expect(diagnostics.first?.rendered() == """
            t.seed:2:10: error: expected an expression, found ')'
                print(x +)
                         ^
            """)
    }

    @Test("isComplete", arguments: [
        ("x = 1", true), ("x = [1,\n2", false), ("for x in xs {", false), ("for x in xs {\n print(x)\n}", true),
        ("fn f(x) {\n return x", false), ("x = )", true), ("", true), ("# only a comment", true),
        ("s = \"open", false), ("f(1,", false), ("x = 1 +", false), ("if x { } else", false), ("print(1))", true),
        // Continuation after an operator: the REPL shows "..." and the next line completes it.
        ("x = 1 +\n2", true), ("ok = a and\n", false), ("ok = a and\nb", true), ("y = [1] * \n# comment\n3", true),
        ("for i,\n", false), ("x = 1 if c else", false), ("x = 1 if c", true), ("x = 1 if c else 2", true),
    ])
    func isComplete(_ source: String, _ expected: Bool) {
        #expect(Session.isComplete(source) == expected)
    }
}

@Suite struct CellTests {
    @Test func cellMarkersWithTitles() {
        let cells = Session.cells("#%% load\nx = 1\n#%%\ny = 2\n  #%% plots and tables \n")
        #expect(cells.map(\.title) == ["load", "", "plots and tables"])
        #expect(cells.map(\.line) == [1, 3, 5])
    }
}
