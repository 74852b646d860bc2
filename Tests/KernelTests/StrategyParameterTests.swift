import Kernel
import Testing
import TestSupport

/// Parameter errors of Seed merges point at the keyword, not the whole call; typed strategy
/// parameters are parsed and checked, and a bad type name is a syntax error.
@Suite struct StrategyParameterTests {
    static let prelude = """
        seeds = [load("examples/adapters/taskA_seed11"), load("examples/adapters/taskA_seed42")]
        strategy scaled(deltas, weights, scale: float = 1.0) { return deltas[0] * scale }

        """

    static func diagnostic(_ line: String) -> Diagnostic? {
        let session = Session(host: Host(write: { _ in }))
        session.workingDirectory = Fixtures.root
        return session.run(prelude + line, name: "params.seed").first
    }

    @Test("the caret covers the keyword argument", arguments: [
        "m = merge(seeds, strategy=\"ties\", ‸density=\"abc\")",
        "m = merge(seeds, strategy=\"ties\", ‸densty=0.5)",
        "m = merge(seeds, strategy=\"linear\", ‸weights=[1, 2, 3])",
        "m = merge(seeds, strategy=\"seedlora\", ‸stats=\"x\")",
        "m = merge(seeds, strategy=\"scaled\", ‸scale=\"abc\")",
        "m = merge(seeds, strategy=\"scaled\", ‸sclae=2)",
    ])
    func caretOnKeyword(_ marked: String) throws {
        let line = marked.replacing("‸", with: "")
        let column = marked.distance(from: marked.startIndex, to: marked.firstIndex(of: "‸") ?? marked.startIndex) + 1
        let diagnostic = try #require(Self.diagnostic(line))
        let span = try #require(diagnostic.span)
        #expect(span.line == 3 && span.column == column, "\(diagnostic.rendered())")
        // The span ends with the argument, before the call's closing parenthesis.
        #expect(span.end - span.start == line.count - column, "\(diagnostic.rendered())")
        #expect(!diagnostic.message.contains("separated by commas") && !diagnostic.message.contains("--param"), "\(diagnostic.message)")
    }

    @Test("typed parameters: syntax", arguments: [
        ("strategy f(d, w, scale: flot = 1.0) { return d[0] }", "expected a parameter type (int, float, bool, str, list) after 'scale:', found"),
        ("strategy f(d, w, scale: = 1.0) { return d[0] }", "expected a parameter type (int, float, bool, str, list) after 'scale:', found"),
    ])
    func syntax(_ source: String, _ message: String) {
        let session = Session(host: Host(write: { _ in }))
        let diagnostics = session.run(source, name: "typed.seed")
        #expect(diagnostics.count == 1 && diagnostics.allSatisfy { $0.kind == .syntax && $0.message.contains(message) },
                "\(diagnostics.map(\.message))")
        #expect(diagnostics.first?.span?.column == 25)
    }

    @Test func typesOnlyOnStrategies() {
        let session = Session(host: Host(write: { _ in }))
        let diagnostics = session.run("fn f(x: float) { return x }", name: "fn.seed")
        #expect(diagnostics.count == 1 && diagnostics.allSatisfy { $0.kind == .syntax }, "\(diagnostics.map(\.message))")
    }
}
