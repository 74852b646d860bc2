import Ops
import Plugins

/// What the host gives the interpreter: where output goes. The kernel itself does no
/// terminal I/O, so the REPL, the script runner and the tests each decide where text lands.
public struct Host {
    /// Receives everything `print` writes (with its newlines).
    public var write: (String) -> Void
    /// Receives `display(...)` output in rich forms (a notebook); nil means "write the text".
    public var display: (([RichRepresentation]) -> Void)? = nil
    /// Receives warnings (a merge that is probably a mistake); nil writes them with `write`.
    public var warn: ((String) -> Void)? = nil

    public init(write: @escaping (String) -> Void) {
        self.write = write
    }
}

/// Walks the syntax tree. One instance per `Session`; it holds the global scope, the call
/// stack, and the strategies defined in Seed.
final class Interpreter {
    var host: Host
    let cancellation: Cancellation
    var globals: Environment
    let builtins: [String: Builtin]
    /// Active Seed calls, outermost first: the function's name and where it was called.
    var frames: [(name: String, call: Span)] = []
    /// Merge strategies written in Seed, by name, in definition order.
    var strategies: [(name: String, function: FunctionValue)] = []
    /// Files imported so far (absolute paths) and the chain being imported now.
    var imported: Set<String> = []
    var importing: [String] = []
    /// The file whose statements are running, for relative imports.
    var currentDirectory: String = "."
    /// Relative paths given to `load` and `export` resolve against this (the process's
    /// working directory by default; tests set the repository root).
    var workingDirectory: String = "."
    /// The results store, and what the running cell reads and writes (`Recorder`).
    let recorder = Recorder()
    /// Lists, dicts and scopes that may be in a reference cycle, broken when the session ends.
    let cycles = CycleRegistry()

    /// A function closing over `env`: the scope may come to hold the function (a cycle).
    func makeFunction(_ decl: FunctionDecl, in env: Environment) -> FunctionValue {
        cycles.note(env)
        return FunctionValue(decl: decl, closure: env)
    }
    /// The script (or entry name) whose statements are running, for provenance.
    var currentScript: String = "<input>"

    /// The absolute path of a file a builtin reads or writes. Every builtin that touches a file
    /// comes through here (or through `recorder` for the store), so a session without file
    /// access refuses them all.
    func resolvePath(_ path: String) throws -> String {
        try requireFileAccess(path)
        return SourceLoader.resolve(path, relativeTo: workingDirectory)
    }

    func requireFileAccess(_ path: String) throws {
        guard recorder.fileAccess else {
            throw BuiltinError("this session has no file access (it cannot read or write \(Printer.repr(.string(path))))")
        }
    }

    /// Sizes, depth and (optionally) steps a program may use; see `ResourceLimits`.
    let limits: ResourceLimits
    /// Statements and loop iterations left in this `Session.run` when `limits.steps` is set.
    var stepsLeft = Int.max
    /// Statements until the next look at the memory budget: reading /proc/self/statm costs
    /// as much as a few dozen statements, so only every 512th.
    var memoryCheckCountdown = 0
    static let memoryCheckInterval = 512
    /// What the process held when the running entry began: between statements, only growth
    /// past the budget is an error, so an entry that frees values (`a = nil`) always runs.
    var memoryAtEntry = 0

    init(host: Host, cancellation: Cancellation, builtins: [String: Builtin], limits: ResourceLimits = .standard) {
        self.host = host
        self.cancellation = cancellation
        self.builtins = builtins
        self.limits = limits
        globals = Environment(parent: nil)
    }

    /// How a statement finished.
    enum Flow {
        case normal
        case breakLoop
        case continueLoop
        case returned(Value)
    }

    // MARK: errors

    /// A runtime error at `span`, with the current Seed call stack.
    func fail(_ message: String, at span: Span) -> Diagnostic {
        Diagnostic(.runtime, message, at: span, stack: stack(endingAt: span))
    }

    func stack(endingAt span: Span) -> [Diagnostic.StackFrame] {
        var result: [Diagnostic.StackFrame] = []
        var name = "<script>"
        for frame in frames {
            result.append(.init(function: name, span: frame.call))
            name = frame.name
        }
        result.append(.init(function: name, span: span))
        return result
    }

    /// A new entry (a `Session.run`, a notebook cell, a script cell) gets the whole step budget.
    func resetSteps() {
        stepsLeft = limits.steps ?? Int.max
        memoryAtEntry = limits.memoryBytes == nil ? 0 : MemoryBudget.inUse()
    }

    /// Runs one top-level statement in the global scope. An error comes back as a diagnostic,
    /// with the Seed call stack cleared, so each front end decides whether to go on. With
    /// `returningValue`, an expression statement's value is returned instead of dropped (the
    /// REPL's echo, a notebook cell's result).
    func runTopLevel(_ statement: Stmt, returningValue: Bool = false) -> Result<Value?, Diagnostic> {
        do {
            if returningValue, case let .expression(expr) = statement {
                try checkInterrupt(at: statement.span)
                return .success(try evaluate(expr, in: globals))
            }
            _ = try execute(statement, in: globals)
            return .success(nil)
        } catch let diagnostic as Diagnostic {
            frames.removeAll()
            return .failure(diagnostic)
        } catch {
            frames.removeAll()
            return .failure(Diagnostic(.runtime, "\(error)", at: statement.span))
        }
    }

    /// Called before every statement and loop iteration: Ctrl-C, and the step limit.
    func checkInterrupt(at span: Span) throws {
        if cancellation.isCancelled {
            throw Diagnostic(.interrupted, "interrupted", at: span, stack: stack(endingAt: span))
        }
        stepsLeft -= 1
        memoryCheckCountdown -= 1
        if memoryCheckCountdown <= 0 {
            memoryCheckCountdown = Interpreter.memoryCheckInterval
            if let message = limits.memoryExceeded(since: memoryAtEntry) { throw fail(message, at: span) }
        }
        if stepsLeft < 0 {
            throw fail("the program ran more than \(limits.steps ?? 0) statements and loop iterations (the step limit)", at: span)
        }
    }

    // MARK: statements

    func execute(_ statements: [Stmt], in env: Environment) throws -> Flow {
        for statement in statements {
            let flow = try execute(statement, in: env)
            if case .normal = flow { continue }
            return flow
        }
        return .normal
    }

    /// Dispatches on the statement kind; loops and assignments have their own methods below.
    func execute(_ statement: Stmt, in env: Environment) throws -> Flow {
        try checkInterrupt(at: statement.span)
        switch statement {
        case let .expression(expr):
            _ = try evaluate(expr, in: env)
            return .normal
        case let .assign(target, op, valueExpr, span):
            try executeAssignment(target, op, valueExpr, span: span, in: env)
            return .normal
        case let .function(decl):
            env.define(decl.name, .function(makeFunction(decl, in: env)))
            return .normal
        case let .strategy(decl):
            try defineStrategy(decl, in: env)
            return .normal
        case let .if(condition, then, otherwise, _):
            if try truthy(try evaluate(condition, in: env), at: condition.span) {
                return try execute(then, in: env)
            } else if let otherwise {
                return try execute(otherwise, in: env)
            }
            return .normal
        case let .while(condition, body, span):
            return try executeWhile(condition, body, span: span, in: env)
        case let .for(names, iterableExpr, body, span):
            return try executeFor(names, iterableExpr, body, span: span, in: env)
        case let .return(expr, _):
            return .returned(try expr.map { try evaluate($0, in: env) } ?? .nil)
        case .break:
            return .breakLoop
        case .continue:
            return .continueLoop
        case let .import(path, span):
            try importFile(path, at: span)
            return .normal
        }
    }

    /// `target = value`, or `target op= value` (read, combine, write back).
    func executeAssignment(_ target: Expr, _ op: BinaryOp?, _ valueExpr: Expr, span: Span, in env: Environment) throws {
        var value = try evaluate(valueExpr, in: env)
        if let op {
            let current = try evaluate(target, in: env)
            value = try binary(op, current, value, span: span)
        }
        try assign(target, value, in: env)
    }

    func executeWhile(_ condition: Expr, _ body: [Stmt], span: Span, in env: Environment) throws -> Flow {
        while try truthy(try evaluate(condition, in: env), at: condition.span) {
            try checkInterrupt(at: span)
            switch try execute(body, in: env) {
            case .breakLoop: return .normal
            case let .returned(v): return .returned(v)
            case .normal, .continueLoop: continue
            }
        }
        return .normal
    }

    func executeFor(_ names: [String], _ iterableExpr: Expr, _ body: [Stmt], span: Span, in env: Environment) throws -> Flow {
        let iterable = try evaluate(iterableExpr, in: env)
        var result = Flow.normal
        try iterate(iterable, at: iterableExpr.span) { item in
            try checkInterrupt(at: span)
            try bindLoopVariables(names, item, in: env, at: span)
            switch try execute(body, in: env) {
            case .breakLoop: return false
            case let .returned(v): result = .returned(v); return false
            case .normal, .continueLoop: return true
            }
        }
        return result
    }

    func bindLoopVariables(_ names: [String], _ item: Value, in env: Environment, at span: Span) throws {
        if names.count == 1 {
            env.define(names[0], item)
            return
        }
        let parts: [Value]
        switch item {
        case let .list(l): parts = l.items
        default: throw fail("cannot unpack \(item.typeNameWithArticle) into \(names.count) loop variables", at: span)
        }
        guard parts.count == names.count else {
            throw fail("cannot unpack \(parts.count) values into \(names.count) loop variables", at: span)
        }
        for (name, part) in zip(names, parts) { env.define(name, part) }
    }

    /// Calls `body` with each element of a list, range, string, dict (keys), tensor (rows or
    /// numbers), table (rows as dicts) or adapter (module names) until it returns false.
    func iterate(_ value: Value, at span: Span, _ body: (Value) throws -> Bool) throws {
        switch value {
        case let .list(l):
            var i = 0
            // The list may change while we walk it; read it afresh each step, as Python does.
            while i < l.items.count {
                if try !body(l.items[i]) { return }
                i += 1
            }
        case let .range(start, stop, step):
            var i = start
            while step > 0 ? i < stop : i > stop {
                if try !body(.int(i)) { return }
                let (next, overflow) = i.addingReportingOverflow(step)
                if overflow { return }
                i = next
            }
        case let .string(s):
            for c in s { if try !body(.string(String(c))) { return } }
        case let .dict(d):
            for key in d.keys { if try !body(key) { return } }
        case let .tensor(t):
            guard t.rank >= 1 else { throw fail("cannot iterate over a 0-D tensor", at: span) }
            for i in 0..<(t.shape.first ?? 0) {
                if try !body(TensorArithmetic.row(t, i)) { return }
            }
        case let .table(table):
            for i in table.rows.indices { if try !body(table.row(i)) { return } }
        case let .adapter(adapter):
            for module in adapter.modules { if try !body(.string(module.name)) { return } }
        default:
            throw fail("cannot iterate over \(value.typeNameWithArticle)", at: span)
        }
    }

    func truthy(_ value: Value, at span: Span) throws -> Bool {
        switch value {
        case .nil: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .float(x): return x != 0
        case let .string(s): return !s.isEmpty
        case let .list(l): return !l.items.isEmpty
        case let .dict(d): return d.count > 0
        case let .range(a, b, step): return step > 0 ? a < b : a > b
        case let .tensor(t):
            guard t.count == 1, let x = t.data.first else {
                throw fail("the truth value of a tensor with \(t.count) elements is ambiguous; use any(t) or all(t)", at: span)
            }
            return x != 0
        case let .table(t): return !t.rows.isEmpty
        case .adapter, .delta, .function, .builtin, .figure: return true
        }
    }

    // MARK: assignment

    func assign(_ target: Expr, _ value: Value, in env: Environment) throws {
        switch target {
        case let .name(name, _):
            env.define(name, value)
        case let .index(containerExpr, items, span):
            let container = try evaluate(containerExpr, in: env)
            let indices = try evaluateIndex(items, in: env)
            if let updated = try setIndex(container, indices, value, at: span) {
                // Tensors are values: write the changed tensor back to where it came from.
                try assign(containerExpr, updated, in: env)
            }
        case let .attribute(objectExpr, name, span):
            let object = try evaluate(objectExpr, in: env)
            guard case let .dict(d) = object else {
                throw fail("cannot set attribute '\(name)' on \(object.typeNameWithArticle) (only dicts take new attributes)", at: span)
            }
            _ = d.set(.string(name), value)
        default:
            throw fail("cannot assign to this expression", at: target.span)
        }
    }

    // MARK: strategies

    func defineStrategy(_ decl: FunctionDecl, in env: Environment) throws {
        guard decl.parameters.count >= 2, decl.parameters[0].defaultValue == nil, decl.parameters[1].defaultValue == nil else {
            throw fail("a strategy takes (deltas, weights, ...params with defaults): the dense deltas of one module and one weight per input come first", at: decl.span)
        }
        if StrategyRegistry.all.contains(where: { $0.info.name == decl.name }) {
            throw fail("strategy '\(decl.name)' is built in; choose another name", at: decl.span)
        }
        let function = makeFunction(decl, in: env)
        strategies.removeAll { $0.name == decl.name }
        strategies.append((decl.name, function))
        env.define(decl.name, .function(function))
    }
}
