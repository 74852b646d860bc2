import Ops
import Plugins

/// A Seed session: variables, defined functions and strategies, and the host callbacks.
///
/// This is the whole public API of the language: front ends (the REPL, `seedlora run`,
/// tests, a future notebook) create a session, feed it text, and get diagnostics back.
/// A session never stops the process; a failed or interrupted entry leaves every variable
/// assigned before it in place.
public final class Session {
    let interpreter: Interpreter
    public let cancellation: Cancellation

    /// `fileAccess: false` makes a session whose builtins and imports refuse to read or write
    /// any file (load, export, save, savefig, read_results, import, ...): the fuzz harness runs
    /// arbitrary programs in one.
    public init(host: Host, cancellation: Cancellation = Cancellation(), limits: ResourceLimits = .standard, fileAccess: Bool = true) {
        self.cancellation = cancellation
        interpreter = Interpreter(host: host, cancellation: cancellation, builtins: BuiltinTable.make(), limits: limits)
        interpreter.recorder.fileAccess = fileAccess
    }

    /// Frees what the program built, cycles included (see `CycleRegistry`).
    deinit { close() }

    /// Frees every value, function and strategy the program made (cycles included); the session
    /// stays usable, empty. Front ends call it before exiting with an error, so that nothing
    /// the program built is still alive at exit (LeakSanitizer counts such memory as leaked
    /// when it is reachable only through Swift's tagged enum pointers).
    public func close() {
        interpreter.cycles.breakAll()
        interpreter.globals.removeAll()
        interpreter.strategies.removeAll()
        interpreter.imported = []
    }

    public struct Options: Sendable {
        /// Echo the value of top-level expression statements (the REPL).
        public var echo = false
        /// After an error in one top-level statement, go on with the next (golden tests).
        public var continueAfterError = false
        public init(echo: Bool = false, continueAfterError: Bool = false) {
            self.echo = echo
            self.continueAfterError = continueAfterError
        }
    }

    /// Parses and runs `source`. Returns the diagnostics: every syntax error (nothing runs
    /// then), or the runtime errors (one, unless `continueAfterError`).
    @discardableResult
    public func run(_ source: String, name: String = "<input>", directory: String = ".", options: Options = .init()) -> [Diagnostic] {
        let file = SourceFile(name: name, text: source)
        var errors: [Diagnostic] = []
        // Parse, run and free the tree on the large stack (all three recurse as deep as the code).
        BigStack.run {
            let (program, syntax) = Parser.parse(file)
            if !syntax.isEmpty {
                errors = syntax
                return
            }
            let saved = interpreter.currentDirectory
            interpreter.resetSteps()
            interpreter.currentDirectory = directory
            interpreter.currentScript = name
            defer { interpreter.currentDirectory = saved }
            for statement in program.statements {
                switch interpreter.runTopLevel(statement, returningValue: options.echo) {
                case let .success(value):
                    if let value, !value.isNil { interpreter.host.write(Printer.repr(value) + "\n") }
                case let .failure(diagnostic):
                    errors.append(diagnostic)
                    if !options.continueAfterError || diagnostic.kind == .interrupted { return }
                }
            }
        }
        return errors
    }

    /// Runs a script file; relative imports resolve against its directory.
    @discardableResult
    public func runFile(_ path: String, options: Options = .init()) -> [Diagnostic] {
        let text: String
        do { text = try SourceLoader.read(path) } catch {
            return [Diagnostic(.runtime, "\(error)", at: nil)]
        }
        return run(text, name: path, directory: SourceLoader.directory(of: path), options: options)
    }

    /// Whether `source` is a complete entry; false means "ask for a continuation line"
    /// (an unclosed bracket, block or string, or an operator at the end).
    public static func isComplete(_ source: String) -> Bool {
        completeness(source) != .incomplete
    }

    /// `#%% title` cell markers of a source text: (title, line).
    public static func cells(_ source: String) -> [(title: String, line: Int)] {
        Parser.parse(SourceFile(name: "<cells>", text: source)).program.cells
    }

    /// Binds `name` to a value given as text (`--set k=v`): a number, true/false/nil, or a string.
    public func set(_ name: String, text: String) {
        Session.define(name, text: text, in: interpreter.globals)
    }

    static func define(_ name: String, text: String, in globals: Environment) {
        let value: Value
        if let i = Int(text) { value = .int(i) }
        else if let x = Double(text) { value = .float(x) }
        else if text == "true" || text == "false" { value = .bool(text == "true") }
        else if text == "nil" { value = .nil }
        else { value = .string(text) }
        globals.define(name, value)
    }

    /// Names of the strategies defined in Seed in this session.
    public var seedStrategyNames: [String] { interpreter.strategies.map(\.name) }

    /// Forgets every variable, function and strategy.
    public func reset() {
        close()
        interpreter.globals = Environment(parent: nil)
        interpreter.strategies = []
        interpreter.imported = []
    }

    /// Where relative paths of `load` and `export` start (default: the process's directory).
    public var workingDirectory: String {
        get { interpreter.workingDirectory }
        set { interpreter.workingDirectory = newValue }
    }

    public var host: Host {
        get { interpreter.host }
        set { interpreter.host = newValue }
    }

    // MARK: introspection for front ends

    /// The session's variables: (name, type, short description), sorted by name.
    public func variables() -> [(name: String, type: String, summary: String)] {
        interpreter.globals.values.keys.sorted().compactMap { name in
            guard let value = interpreter.globals.values[name] else { return nil }
            var text = Printer.repr(value).split(separator: "\n").first.map(String.init) ?? ""
            if text.count > 60 { text = String(text.prefix(57)) + "..." }
            return (name, value.typeName, text)
        }
    }

    /// `help` text for a name, or the overview.
    public func help(_ name: String?) -> String {
        Help.text(for: name, interpreter: interpreter)
    }

    public static var keywords: [String] { Keyword.allCases.map(\.rawValue) + ["strategy"] }
    public static var builtinNames: [String] { BuiltinTable.all.map(\.name).sorted() }

    /// Names a completion may offer: variables, builtins, keywords.
    public func completionNames() -> [String] {
        Array(Set(interpreter.globals.visibleNames + interpreter.builtins.keys + Session.keywords + Interpreter.constantNames)).sorted()
    }

    /// Module names of every adapter held in a variable (for completion inside strings).
    public func moduleNames() -> [String] {
        var names = Set<String>()
        for value in interpreter.globals.values.values {
            if case let .adapter(a) = value { names.formUnion(a.modules.map(\.name)) }
            if case let .list(l) = value {
                for item in l.items { if case let .adapter(a) = item { names.formUnion(a.modules.map(\.name)) } }
            }
        }
        return names.sorted()
    }

    /// Every strategy name: the registry's and those defined in this session.
    public func strategyNames() -> [String] {
        StrategyRegistry.all.map(\.info.name) + interpreter.strategies.map(\.name)
    }
}

/// Every builtin, from the topic tables.
/// Each session builds its own table (cheap: a few dozen closures), so no global state is shared.
enum BuiltinTable {
    static func make() -> [String: Builtin] {
        var table: [String: Builtin] = [:]
        for builtin in all { table[builtin.name] = builtin }
        return table
    }

    static var all: [Builtin] {
        GeneralBuiltins.all + TensorBuiltins.all + AdapterBuiltins.all + AnalysisBuiltins.all + MergeBuiltins.all + ExportBuiltins.all
            + DisplayBuiltins.all + ResultsBuiltins.all + PlotBuiltins.all + SweepBuiltins.all + EvaluationBuiltins.all
    }
}
