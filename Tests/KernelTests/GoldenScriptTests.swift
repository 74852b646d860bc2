import Testing
import TestSupport

/// The one runner for every Seed script that states its expected output and errors.
@Suite struct GoldenScriptTests {
    @Test("golden scripts", arguments: GoldenScript.all())
    func script(_ script: GoldenScript) {
        let result = script.run()
        #expect(result.output == script.expectedOutput, "output of \(script.name)")
        #expect(result.errors == script.expectedErrors, "errors of \(script.name):\n\(result.rendered)")
    }

    @Test("docs/language.md examples", arguments: GoldenScript.documentation())
    func documentationExample(_ script: GoldenScript) {
        let result = script.run()
        #expect(result.output == script.expectedOutput, "output of \(script.name)")
        #expect(result.errors == script.expectedErrors, "errors of \(script.name):\n\(result.rendered)")
    }

    @Test func thereAreScripts() {
        #expect(GoldenScript.all().count >= 10)
        #expect(GoldenScript.documentation().count >= 10)
    }
}
