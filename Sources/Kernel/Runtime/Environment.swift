/// Variables of one scope. A function call gets a fresh scope whose parent is the scope the
/// function was defined in (a closure), so reads see enclosing names; assignments bind in the
/// current function's scope, as in Python. Blocks (`if`, `for`) do not open scopes.
public final class Environment {
    private(set) var values: [String: Value] = [:]
    let parent: Environment?
    /// When set, names found in this scope are recorded (the cell runner's input tracking).
    var readLog: Set<String>?
    /// Noted by the session's `CycleRegistry`.
    var inCycleRegistry = false

    init(parent: Environment?) {
        self.parent = parent
    }

    func lookup(_ name: String) -> Value? {
        var scope: Environment? = self
        while let s = scope {
            if let v = s.values[name] {
                if s.readLog != nil { s.readLog?.insert(name) }
                return v
            }
            scope = s.parent
        }
        return nil
    }

    func define(_ name: String, _ value: Value) {
        values[name] = value
    }

    func remove(_ name: String) {
        values[name] = nil
    }

    /// Forgets every name, keeping the object (functions that close over it stay attached).
    func removeAll() {
        values = [:]
    }

    /// Every name visible from here (for "did you mean" and completion).
    var visibleNames: [String] {
        var names = Set<String>()
        var scope: Environment? = self
        while let s = scope {
            names.formUnion(s.values.keys)
            scope = s.parent
        }
        return names.sorted()
    }
}
