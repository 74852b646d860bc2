import Kernel
import Testing

/// An error on a very long line (minified or generated code) quotes a window around the error,
/// with the caret under it, instead of the whole line; a file full of errors reports the first 50.
@Suite struct DiagnosticQuotingTests {
    @Test func aWindowAroundTheErrorIsQuoted() {
        let source = "x = [" + Array(repeating: "1", count: 400).joined(separator: ", ") + ", ?, 2]"
        let errors = Session(host: Host(write: { _ in })).run(source, name: "long.seed")
        let lines = errors.first?.rendered().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
        #expect(lines.count == 3)
        guard lines.count == 3 else { return }
        #expect(lines[0].hasPrefix("long.seed:1:1206: error:"))
        let quoted = lines[1], caret = lines[2]
        #expect(quoted.hasPrefix("    ...") && quoted.hasSuffix(", ?, 2]"))
        #expect(quoted.count <= 4 + 3 + Diagnostic.quoteWidth + 3)
        // The caret sits under the '?'.
        let column = caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) } ?? -1
        #expect(column >= 0 && Array(quoted)[column] == "?")
    }

    @Test func shortLinesAreQuotedWhole() {
        let errors = Session(host: Host(write: { _ in })).run("y = 1 +", name: "short.seed")
        #expect(errors.first?.rendered().contains("\n    y = 1 +\n") == true)
    }

    @Test func syntaxErrorsAreCappedAtFifty() {
        let source = String(repeating: "x = ?\n", count: 80)
        let errors = Session(host: Host(write: { _ in })).run(source, name: "many.seed")
        #expect(errors.count == 51)
        // Two errors per line ('?' is no token, and then no expression follows '=').
        #expect(errors.last?.message == "110 more syntax errors not shown; fix these first")
        #expect(errors.last?.rendered().hasPrefix("many.seed:26:5: error:") == true)
        // An unfinished entry stays unfinished (the REPL asks for more) even when errors are cut.
        #expect(!Session.isComplete(String(repeating: "x = ?\n", count: 80) + "y = ("))
    }
}
