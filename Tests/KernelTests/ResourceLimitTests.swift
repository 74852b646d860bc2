import Kernel
import Testing

/// Each resource limit ends a runaway program with an error naming the limit, and the session
/// (its earlier variables) survives. Small limits keep the tests fast; one test checks that the
/// defaults stop the issue's examples.
@Suite struct ResourceLimitTests {
    static let small = ResourceLimits(stringBytes: 1000, collectionCount: 100, tensorElements: 10_000,
                                      callDepth: 50, comparisonSteps: 5000, steps: nil)

    /// Runs `source` in a session with `limits`; returns the printed text and the one error.
    func run(_ source: String, limits: ResourceLimits = small) -> (output: String, error: String?, session: Session) {
        var output = ""
        let session = Session(host: Host(write: { output += $0 }), limits: limits)
        let errors = session.run(source, name: "limits.seed")
        #expect(errors.count <= 1)
        return (output, errors.first?.message, session)
    }

    func expectError(_ source: String, containing text: String, limits: ResourceLimits = small,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        let result = run(source, limits: limits)
        #expect(result.error?.contains(text) == true, "got \(result.error ?? "no error")", sourceLocation: sourceLocation)
    }

    @Test func stringGrowth() {
        expectError("s = \"ab\"\nwhile true { s = s + s }", containing: "string + would make a string of 1024 bytes, more than the limit of 1000 bytes")
        expectError("s = \"ab\"\nwhile true { s += s }", containing: "more than the limit of 1000 bytes for one string")
        expectError("s = \"abc\" * 400", containing: "string * 400 would make a string of 1200 bytes")
        expectError("s = \"x\" * 600\nt = f\"{s}{s}\"", containing: "this f-string would make a string of 1200 bytes")
        expectError("xs = [\"x\" * 300] * 5\nt = join(xs, \",\")", containing: "join would make a string of 1504 bytes")
        expectError("xs = [\"x\" * 300] * 5\nt = str(xs)", containing: "str would make a string of")
        // Exactly at the limit is allowed.
        #expect(run("s = \"a\" * 1000\nprint(len(s))").output == "1000\n")
    }

    @Test func listAndDictGrowth() {
        expectError("xs = [1]\nwhile true { xs = xs + xs }", containing: "list + would hold 128 elements, more than the limit of 100 for one list or dict")
        expectError("xs = []\nwhile true { xs.append(1) }", containing: "append would hold 101 elements")
        expectError("xs = []\nwhile true { xs.extend([1, 2, 3]) }", containing: "extend would hold 102 elements")
        expectError("xs = []\nwhile true { xs.insert(0, 1) }", containing: "insert would hold 101 elements")
        expectError("xs = [0] * 101", containing: "list * 101 would hold 101 elements")
        expectError("d = {}\ni = 0\nwhile true { d[i] = i; i += 1 }", containing: "the dict already holds 100 entries")
        expectError("xs = [i for i in range(1000)]", containing: "this list comprehension would make more than 100 elements")
        expectError("xs = list(range(1000))", containing: "a range of at most 100 elements")
        // Replacing a value in a full dict is not growth.
        let full = run("d = {}\nfor i in range(100) { d[i] = i }\nd[5] = 0\nprint(len(d))")
        #expect(full.error == nil)
        #expect(full.output == "100\n")
    }

    @Test func tensorSize() {
        expectError("t = zeros([1000, 1000])", containing: "expected a shape of at most 10000 elements")
        expectError("t = ones([1000, 1]) + ones([1, 1000])", containing: "shape [1000, 1000] has 1000000 elements")
        expectError("t = ones([1000, 1]) @ ones([1, 1000])", containing: "too large")
        expectError("t = arange(20000)", containing: "arange would have 20000")
        expectError("t = eye(1000)", containing: "more than the limit of 10000 elements")
    }

    @Test func comparisonsOfSharedListsEndWithAnError() {
        // Two distinct lists that share their parts: element-wise comparison is exponential.
        let source = "xs = [1]\nys = [1]\nfor i in range(40) { xs = [xs, xs]; ys = [ys, ys] }\nprint(xs == ys)"
        expectError(source, containing: "the comparison visited more elements than the limit allows")
        expectError("xs = [1]\nxs.append(xs)\nys = [1]\nys.append(ys)\nprint(xs == ys)", containing: "nests deeper than 100 levels")
        // A large comparison within the budget still gives the right answer (no silent "false").
        let equal = run("print(list(range(90)) == list(range(90)), 89 in list(range(90)))")
        #expect(equal.output == "true true\n")
    }

    @Test func callDepthAndSteps() {
        expectError("fn f(n) { return f(n + 1) }\nf(0)", containing: "too many nested calls (more than 50)")
        var limits = Self.small
        limits.steps = 1000
        expectError("while true {}", containing: "more than 1000 statements and loop iterations (the step limit)", limits: limits)
        // Each run gets the whole budget again.
        let result = run("i = 0\nwhile i < 400 { i += 1 }", limits: limits)
        #expect(result.error == nil)
        #expect(result.session.run("while i < 800 { i += 1 }").isEmpty)
    }

    @Test func theSessionSurvivesALimit() {
        final class Sink: @unchecked Sendable { var text = "" }
        let sink = Sink()
        let session = Session(host: Host(write: { sink.text += $0 }), limits: Self.small)
        let errors = session.run("keep = 42\ns = \"ab\"\nwhile true { s = s + s }")
        #expect(errors.count == 1)
        // Variables assigned before the failing statement are still there, and the session runs on.
        #expect(session.run("print(keep, len(s))").isEmpty)
        #expect(sink.text == "42 512\n")
    }

    /// The defaults stop the examples of the issue quickly, with messages.
    @Test func defaultLimitsStopTheIssuesExamples() {
        expectError("zeros([10**6, 10**6])", containing: "at most 500000000 elements (the tensor size limit), got 1000000000000", limits: .standard)
        expectError("s = \"ab\"\nfor i in range(100) { s = s + s }", containing: "more than the limit of 100 MB for one string", limits: .standard)
        // Written as in the issue: a syntax error that says what to write instead.
        let caret = Session(host: Host(write: { _ in })).run("zeros([10^6, 10^6])")
        #expect(caret.first?.message == "'^' is not an operator in Seed; write '**' for a power (10**6)")
    }

    /// The fuzz harness runs arbitrary programs in a session without file access: every builtin
    /// that reads or writes a file, and `import`, refuse with a message. (`export` needs an
    /// adapter, which only `load` makes.)
    @Test(arguments: [
        "load(\"examples/adapters/taskA-seed0\")", "save(1, \"x\")",
        "load_result(\"x\")", "results()", "read_results(\"scores.json\")", "savefig(plot(\"line\", x=[1], y=[1]), \"/tmp/never.png\")",
        "display_image(\"/etc/hostname\")", "import \"/etc/hostname\"", "plot(\"line\", x=[1], y=[1], file=\"/tmp/never.png\")",
    ])
    func sessionWithoutFileAccess(_ source: String) {
        let session = Session(host: Host(write: { _ in }), limits: Self.small, fileAccess: false)
        let errors = session.run(source)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("this session has no file access") == true, "\(errors.first?.message ?? "no error")")
    }
}
