import Ops
import Plugins
import Testing

/// `name=value` parsing shared by `merge --param`, `run --set` and `merge --sweep`.
struct AssignmentTests {
    @Test func splitsAtTheFirstEqualsSign() throws {
        let a = try Assignment(parsing: "density=0.5", option: "--param")
        #expect(a.name == "density" && a.value == "0.5")
        let b = try Assignment(parsing: " expr = x==1", option: "--set")
        #expect(b.name == "expr" && b.value == " x==1")
        let c = try Assignment(parsing: "weights=1,2,3", option: "--param")
        #expect(c.value == "1,2,3")
        let empty = try Assignment(parsing: "label=", option: "--set")
        #expect(empty.name == "label" && empty.value == "")
    }

    @Test(arguments: [
        ("density", "there is no '='"),
        ("=0.5", "the name before '=' is empty"),
        ("  =x", "the name before '=' is empty"),
        ("my name=1", "contains a space"),
    ])
    func refusesWithAReason(text: String, reason: String) {
        do {
            _ = try Assignment(parsing: text, option: "--param")
            Issue.record("'\(text)' was accepted")
        } catch let error as SeedloraError {
            #expect(error.kind == .usage)
            #expect(error.message.hasPrefix("--param takes name=value, got '\(text)'"))
            #expect(error.message.contains(reason), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func refusesANameGivenTwice() {
        #expect(throws: SeedloraError(.usage, "--set sets 'n' twice")) {
            try Assignment.parseAll(["n=1", "m=2", "n=3"], option: "--set")
        }
        #expect((try? Assignment.parseAll(["n=1", "m=2"], option: "--set").map(\.pair).map(\.0)) == ["n", "m"])
    }
}
