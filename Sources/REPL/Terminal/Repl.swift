#if canImport(Glibc)
import Glibc
#endif
import Kernel
import Ops
import Plugins

/// The interactive loop: read (with continuation lines while the entry is incomplete), run,
/// print. Ctrl-C clears the line at the prompt and interrupts a running entry; Ctrl-D exits.
struct Repl {
    let historyPath: String?

    static let primaryPrompt = ">>> "
    static let continuationPrompt = "... "

    func run() {
        let session = ScriptRunner.makeSession()
        Interrupts.install(session.cancellation)
        guard isatty(0) != 0 else {
            runPiped(session)
            return
        }
        let editor = LineEditor(interrupts: session.cancellation, historyPath: historyPath ?? History.defaultPath,
                                completer: Repl.completer(for: session))
        Output.write("\(KernelInfo.banner). Type :help for help, Ctrl-D to exit.\n")
        var entry = ""
        var entryCount = 0
        while true {
            switch editor.read(prompt: entry.isEmpty ? Repl.primaryPrompt : Repl.continuationPrompt) {
            case .endOfInput:
                Output.write("\n")
                return
            case .interrupted:
                entry = ""
            case .line(let line):
                if entry.isEmpty, line.trimmingLeadingSpaces().hasPrefix(":") {
                    editor.addHistory(line)
                    if !MetaCommands.run(line, session: session) { return }
                    Completer.shared.withLock { $0 = Repl.completer(for: session) }
                    continue
                }
                entry += entry.isEmpty ? line : "\n" + line
                guard Session.isComplete(entry) else { continue }
                // The whole entry is one history item, however many lines it took.
                editor.addHistory(entry)
                entryCount += 1
                Repl.evaluate(entry, name: "<stdin:\(entryCount)>", session: session)
                entry = ""
                Completer.shared.withLock { $0 = Repl.completer(for: session) }
            }
        }
    }

    /// Runs one entry, echoing expression values; errors go to stderr and leave the session as it was.
    static func evaluate(_ text: String, name: String, session: Session) {
        session.cancellation.reset()
        let diagnostics = session.run(text, name: name, options: .init(echo: true))
        session.cancellation.reset()
        for diagnostic in diagnostics {
            if diagnostic.kind == .interrupted {
                // The terminal echoed "^C" where the cursor was; start a line of our own.
                Terminal.printError("\ninterrupted (at \(diagnostic.span?.position ?? name)); variables are kept")
            } else {
                Terminal.printError(diagnostic.rendered())
            }
        }
    }

    /// Input from a pipe or file: run it as one script, like `seedlora run`.
    private func runPiped(_ session: Session) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer.prefix(n)
        }
        ScriptRunner.finish(session.run(String(decoding: bytes, as: UTF8.self), name: "<stdin>"), closing: session)
    }

    static func completer(for session: Session) -> Completer {
        Completer(names: session.completionNames(), moduleNames: session.moduleNames(),
                  metaCommands: MetaCommands.names)
    }
}

/// `:help [name]`, `:who`, `:time expr`, `:load file`, `:reset`, `:quit`.
enum MetaCommands {
    static let names = ["help", "who", "time", "load", "reset", "quit"]

    static let usage = """
        Meta commands:
          :help [name]   this text, or the help of a builtin, function or keyword
          :who           the variables of the session
          :time expr     run an entry and print how long it took
          :load file     run a .seed file in this session
          :reset         forget every variable, function and strategy
          :quit          leave (as does Ctrl-D)
        Ctrl-C clears the line, or interrupts a running computation (variables are kept).
        """

    /// Runs a meta command; false means "quit".
    static func run(_ line: String, session: Session) -> Bool {
        let text = line.trimmingLeadingSpaces().dropFirst()
        let command = String(text.prefix { $0 != " " })
        let argument = String(text.dropFirst(command.count)).trimmingLeadingSpaces()
        switch command {
        case "help", "h", "?":
            if argument.isEmpty {
                Output.write(session.help(nil) + "\n" + usage + "\n")
            } else {
                Output.write(session.help(argument) + "\n")
            }
        case "who":
            let rows = session.variables()
            if rows.isEmpty { Output.write("no variables\n") }
            else { Output.write(Terminal.table(["name", "type", "value"], rows.map { [$0.name, $0.type, $0.summary] }) + "\n") }
        case "time":
            let start = Terminal.now()
            Repl.evaluate(argument, name: "<time>", session: session)
            Output.write(String(format: "time: %.3f s\n", Terminal.now() - start))
        case "load":
            guard !argument.isEmpty else { Terminal.printError(":load needs a file name"); return true }
            session.cancellation.reset()
            for diagnostic in session.runFile(argument) { Terminal.printError(diagnostic.rendered()) }
        case "reset":
            session.reset()
            Output.write("session reset\n")
        case "quit", "q", "exit":
            return false
        default:
            let hint = Suggest.closest(to: command, in: names).map { " Did you mean :\($0)?" } ?? ""
            Terminal.printError("unknown meta command :\(command).\(hint) Type :help for the list.")
        }
        return true
    }
}
