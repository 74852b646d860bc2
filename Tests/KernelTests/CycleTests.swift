@testable import Kernel
import Testing

/// Reference cycles a program builds are freed when its session ends (found by the interpreter
/// fuzz target's leak checker: a function stored in the scope it closes over leaked every
/// session).
@Suite struct CycleTests {
    /// Runs `source`, hands the finished session to `grab` (which keeps weak references), and
    /// ends the session.
    func afterSession(_ source: String, grab: (Session) -> Void) {
        let session = Session(host: Host(write: { _ in }), fileAccess: false)
        #expect(session.run(source).isEmpty)
        grab(session)
    }

    func list(_ session: Session, _ name: String) -> ListRef? {
        if case let .list(l)? = session.interpreter.globals.lookup(name) { return l }
        return nil
    }

    @Test func selfContainingContainersAreFreed() {
        weak var xs: ListRef?, ys: ListRef?, d: DictRef?, hidden: ListRef?
        afterSession("xs = [1]\nxs.append(xs)\nys = [0]\nys[0] = ys\nd = {}\nd[\"me\"] = d\nh = [[]]\nh[0].append(h)\nkeep = h[0]\nh = nil") { session in
            xs = list(session, "xs")
            ys = list(session, "ys")
            if case let .dict(x)? = session.interpreter.globals.lookup("d") { d = x }
            hidden = list(session, "keep")
            #expect(xs != nil && ys != nil && d != nil && hidden != nil)
            // Dropping the only name of a cycle leaves it alive until the session ends.
            #expect(session.run("keep = nil").isEmpty)
        }
        #expect(xs == nil)
        #expect(ys == nil)
        #expect(d == nil)
        #expect(hidden == nil)
    }

    @Test func functionsAndTheirScopesAreFreed() {
        weak var scope: Environment?, outerScope: Environment?, table: ListRef?
        afterSession("""
            fn outer() { fn inner() { return inner }; return inner }
            g = outer()
            fn top() { return 1 }
            rows = [top]
            rows.append(table({"f": rows}))
            """) { session in
            if case let .function(f)? = session.interpreter.globals.lookup("g") { scope = f.closure }
            if case let .function(f)? = session.interpreter.globals.lookup("top") { outerScope = f.closure }
            table = list(session, "rows")
            #expect(scope != nil && table != nil)
        }
        #expect(scope == nil)
        #expect(table == nil)
        _ = outerScope
    }

    /// Appending numbers notes nothing: the registry stays empty on the hot path.
    @Test func plainDataIsNotNoted() {
        let session = Session(host: Host(write: { _ in }))
        #expect(session.run("xs = []\nfor i in range(1000) { xs.append(i); xs.append(\"s\") }\nd = {}\nd[1] = 2.5").isEmpty)
        #expect(session.interpreter.cycles.count == 0)
    }
}
