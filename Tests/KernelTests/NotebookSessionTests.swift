import Kernel
import Testing

/// The session API the notebook kernel uses: cell results, completeness, completion and
/// inspection at cursors counted in Unicode code points.
struct NotebookSessionTests {
    static func session() -> Session { Session(host: Host(write: { _ in })) }

    @Test(arguments: [
        ("1 + 1", Session.Completeness.complete), ("x = [1,", .incomplete), ("fn f() {", .incomplete),
        ("print(\"abc", .incomplete), ("x = )", .invalid), ("1 +* 2", .invalid), ("", .complete),
    ])
    func completeness(code: String, expected: Session.Completeness) {
        #expect(Session.completeness(code) == expected)
    }

    @Test func lastExpressionIsTheResult() {
        let session = Self.session()
        let outcome = session.runCell("x = 6\nx * 7", name: "<cell>")
        #expect(outcome.diagnostics.isEmpty)
        #expect(outcome.result?.first == .plainText("42"))
        #expect(session.runCell("y = 1", name: "<cell>").result == nil)
        let table = session.runCell("tensor([[1, 2], [3, 4]])", name: "<cell>").result ?? []
        #expect(table.contains { $0.mimeType == "text/html" })
    }

    @Test func completionCountsCodePoints() {
        let session = Self.session()
        _ = session.runCell("été = 1", name: "<cell>")
        let code = "x = \"é\" + ét"
        let found = session.completions(code, cursor: code.unicodeScalars.count)
        #expect(found.matches == ["été"])
        #expect(found.start == 10 && found.end == 12)
        // A cursor past the end or negative is clamped, never a crash.
        _ = session.completions(code, cursor: 1000)
        _ = session.completions(code, cursor: -5)
    }

    @Test func inspectionOfBuiltinsAndValues() {
        let session = Self.session()
        _ = session.runCell("w = tensor([0, 2, 4, 6]) / tensor([0, 1, 1, 1])", name: "<cell>")
        #expect(session.inspection("cosine", cursor: 3)?.contains("cosine(") == true)
        #expect(session.inspection("print(", cursor: 6)?.contains("print(*values") == true)
        let text = session.inspection("w", cursor: 1) ?? ""
        #expect(text.contains("shape: (4,)") && text.contains("mean: 4.0") && text.contains("non-finite elements: 1"))
        #expect(session.inspection("nosuch", cursor: 2) == nil)
    }
}
