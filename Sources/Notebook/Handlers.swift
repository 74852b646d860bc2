#if canImport(Glibc)
import Glibc
#endif
import Kernel
import Ops

/// Requests any thread may answer: kernel_info, shutdown, interrupt, and the reply plumbing.
/// Every request is wrapped in `status: busy` / `status: idle` on IOPub.
struct Requests: Sendable {
    let publisher: Publisher
    let stopping: Cancellation
    let cancellation: Cancellation

    func reply(_ request: Message, _ type: String, _ content: JSON, on socket: Socket) {
        let message = Message.make(type, content: content, parent: request.header, session: publisher.session,
                                   identities: request.identities)
        do { try socket.send(message.encode(signer: publisher.signer)) } catch { Log.write("\(socket.name): \(error)") }
    }

    /// Runs `body` between busy and idle.
    func busy(_ request: Message, _ body: () -> Void) {
        publisher.status("busy", parent: request.header)
        body()
        publisher.status("idle", parent: request.header)
    }

    func handleControl(_ request: Message, on socket: Socket) {
        busy(request) {
            if !answerCommon(request, on: socket) {
                Log.write("control: unsupported request '\(request.type)' ignored")
            }
        }
    }

    /// Answers the requests valid on both shell and control; false if `request` is not one.
    func answerCommon(_ request: Message, on socket: Socket) -> Bool {
        switch request.type {
        case "kernel_info_request":
            reply(request, "kernel_info_reply", Requests.kernelInfo, on: socket)
        case "interrupt_request":
            cancellation.cancel()
            reply(request, "interrupt_reply", .object([("status", .string("ok"))]), on: socket)
        case "shutdown_request":
            let restart = request.content.bool("restart", default: false)
            let content = JSON.object([("status", .string("ok")), ("restart", .bool(restart))])
            reply(request, "shutdown_reply", content, on: socket)
            publisher.publish("shutdown_reply", content, parent: request.header)
            stopping.cancel()
            cancellation.cancel()   // a running cell stops at its next statement
        default:
            return false
        }
        return true
    }

    static var kernelInfo: JSON {
        .object([
            ("status", .string("ok")),
            ("protocol_version", .string(Message.protocolVersion)),
            ("implementation", .string("seedlora")),
            ("implementation_version", .string(SeedloraVersion.string)),
            ("language_info", .object([
                ("name", .string(KernelInfo.languageName)),
                ("version", .string(SeedloraVersion.string)),
                ("mimetype", .string("text/x-seed")),
                ("file_extension", .string(KernelInfo.fileExtension)),
            ])),
            ("banner", .string(KernelInfo.banner)),
            ("help_links", .array([])),
        ])
    }
}

/// The shell requests, on the kernel's main thread: cells, completion, inspection, history.
final class CellRunner {
    let session: Session
    let requests: Requests
    private var executionCount = 0
    /// (line, input, text/plain output) of every cell run with store_history.
    private var history: [(line: Int, input: String, output: String)] = []
    /// Jupyter numbers sessions; this kernel keeps one history session.
    static let historySession = 1

    init(session: Session, requests: Requests) {
        self.session = session
        self.requests = requests
    }

    /// Set by a failed cell with `stop_on_error`: the requests that were already queued when
    /// it failed. Their execute requests are answered `aborted` instead of run (what "Run all"
    /// expects); anything else is answered normally. Taken before the failed cell's reply goes
    /// out, so a request sent in reaction to that reply is never aborted.
    private var queuedBehindError: [Message] = []
    private var abortQueued = false

    func handleShell(_ request: Message, on socket: Socket) {
        handleOne(request, on: socket)
        let queued = queuedBehindError
        queuedBehindError = []
        for message in queued {
            if message.type == "execute_request" {
                requests.busy(message) {
                    requests.reply(message, "execute_reply", .object([("status", .string("aborted"))]), on: socket)
                }
            } else {
                handleOne(message, on: socket)
            }
        }
    }

    /// Every request waiting on `socket` now (malformed ones logged and dropped).
    private func takeQueued(_ socket: Socket) -> [Message] {
        var queued: [Message] = []
        while Socket.poll([socket], timeout: 0).first == true {
            do { queued.append(try Message.decode(try socket.receive(), signer: requests.publisher.signer)) } catch {
                Log.write("shell: dropped a message: \(error)")
            }
        }
        return queued
    }

    private func handleOne(_ request: Message, on socket: Socket) {
        requests.busy(request) {
            let content = request.content
            switch request.type {
            case "execute_request":
                let reply = execute(request)
                if abortQueued {
                    abortQueued = false
                    queuedBehindError = takeQueued(socket)
                }
                requests.reply(request, "execute_reply", reply, on: socket)
            case "complete_request":
                let code = content.string("code")
                let found = session.completions(code, cursor: content.int("cursor_pos", default: code.unicodeScalars.count))
                requests.reply(request, "complete_reply", .object([
                    ("status", .string("ok")), ("matches", .array(found.matches.map { .string($0) })),
                    ("cursor_start", .number(Double(found.start))), ("cursor_end", .number(Double(found.end))),
                    ("metadata", .object([])),
                ]), on: socket)
            case "inspect_request":
                let code = content.string("code")
                let text = session.inspection(code, cursor: content.int("cursor_pos", default: code.unicodeScalars.count))
                requests.reply(request, "inspect_reply", .object([
                    ("status", .string("ok")), ("found", .bool(text != nil)),
                    ("data", .object(text.map { [("text/plain", .string($0))] } ?? [])), ("metadata", .object([])),
                ]), on: socket)
            case "is_complete_request":
                let status = Session.completeness(content.string("code"))
                var reply: [(String, JSON)] = [("status", .string(status.rawValue))]
                if status == .incomplete { reply.append(("indent", .string("    "))) }
                requests.reply(request, "is_complete_reply", .object(reply), on: socket)
            case "history_request":
                requests.reply(request, "history_reply", historyReply(content), on: socket)
            case "comm_info_request":
                requests.reply(request, "comm_info_reply", .object([("status", .string("ok")), ("comms", .object([]))]), on: socket)
            default:
                if !requests.answerCommon(request, on: socket) {
                    Log.write("shell: unsupported request '\(request.type)' ignored")
                }
            }
        }
    }

    /// Runs one cell: execute_input, streams and displays as they happen, then the result or
    /// the error; returns the execute_reply content.
    func execute(_ request: Message) -> JSON {
        let content = request.content
        let code = content.string("code")
        let silent = content.bool("silent", default: false)
        let storeHistory = content.bool("store_history", default: !silent)
        if storeHistory { executionCount += 1 }
        let count = executionCount
        let publisher = requests.publisher
        let parent = request.header
        if !silent {
            publisher.publish("execute_input", .object([("code", .string(code)), ("execution_count", .number(Double(count)))]),
                              parent: parent)
        }
        let stdout = StreamBuffer(publisher: publisher, parent: parent)
        var host = Host(write: { text in stdout.write(text) })
        host.warn = { message in
            stdout.flush()
            publisher.publish("stream", .object([("name", .string("stderr")), ("text", .string("warning: \(message)\n"))]), parent: parent)
        }
        host.display = { representations in
            stdout.flush()
            let (data, metadata) = MimeBundle.make(representations)
            publisher.publish("display_data", .object([("data", data), ("metadata", metadata), ("transient", .object([]))]),
                              parent: parent)
        }
        session.host = host
        session.cancellation.reset()
        stdout.startTicker()
        let outcome = session.runCell(code, name: "<cell \(count)>")
        let expressions = silent || !outcome.diagnostics.isEmpty ? .object([]) : userExpressions(content["user_expressions"])
        stdout.finish()
        session.cancellation.reset()

        var output = ""
        if let result = outcome.result {
            if case let .plainText(text)? = result.first { output = text }
            if !silent {
                let (data, metadata) = MimeBundle.make(result)
                publisher.publish("execute_result", .object([
                    ("execution_count", .number(Double(count))), ("data", data), ("metadata", metadata),
                ]), parent: parent)
            }
        }
        if storeHistory { history.append((count, code, output)) }

        guard let error = outcome.diagnostics.first else {
            return .object([("status", .string("ok")), ("execution_count", .number(Double(count))),
                            ("payload", .array([])), ("user_expressions", expressions)])
        }
        let ename: String
        switch error.kind {
        case .syntax: ename = "SyntaxError"
        case .runtime: ename = "RuntimeError"
        case .interrupted: ename = "KeyboardInterrupt"
        }
        let evalue = error.kind == .interrupted ? "interrupted (at \(error.span?.position ?? "the cell")); variables are kept"
                                                : error.message
        var traceback = outcome.diagnostics.flatMap { $0.rendered().split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        if error.kind == .interrupted { traceback = [evalue] }
        let fields: [(String, JSON)] = [("ename", .string(ename)), ("evalue", .string(evalue)),
                                        ("traceback", .array(traceback.map { .string($0) }))]
        if !silent { publisher.publish("error", .object(fields), parent: parent) }
        if content.bool("stop_on_error", default: true) { abortQueued = true }
        return .object([("status", .string("error")), ("execution_count", .number(Double(count)))] + fields)
    }

    /// `user_expressions`: each expression evaluated after the cell, as a MIME bundle or an error.
    func userExpressions(_ requested: JSON?) -> JSON {
        guard let pairs = requested?.objectValue else { return .object([]) }
        return .object(pairs.map { name, expression in
            guard let code = expression.stringValue else {
                return (name, .object([("status", .string("error")), ("ename", .string("TypeError")),
                                       ("evalue", .string("not a string")), ("traceback", .array([]))]))
            }
            let outcome = session.runCell(code, name: "<user_expressions>")
            if let error = outcome.diagnostics.first {
                return (name, .object([("status", .string("error")), ("ename", .string("RuntimeError")),
                                       ("evalue", .string(error.message)),
                                       ("traceback", .array([.string(error.rendered())]))]))
            }
            let (data, metadata) = MimeBundle.make(outcome.result ?? [.plainText("nil")])
            return (name, .object([("status", .string("ok")), ("data", data), ("metadata", metadata)]))
        })
    }

    /// tail (last n), range (session, start, stop) and search (glob pattern, unique, n).
    func historyReply(_ content: JSON) -> JSON {
        var entries = history
        switch content.string("hist_access_type", default: "tail") {
        case "range":
            let start = content.int("start", default: 0), stop = content.int("stop", default: Int.max)
            entries = entries.filter { $0.line >= start && $0.line < stop }
        case "search":
            let pattern = content.string("pattern", default: "*")
            entries = entries.filter { fnmatch(pattern, $0.input, 0) == 0 }
            if content.bool("unique", default: false) {
                var seen = Set<String>()
                entries = entries.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            let n = content.int("n", default: 0)
            if n > 0 { entries = Array(entries.suffix(n)) }
        default:
            entries = Array(entries.suffix(max(0, content.int("n", default: 10))))
        }
        let withOutput = content.bool("output", default: false)
        let items: [JSON] = entries.map { entry in
            let input: JSON = withOutput ? .array([.string(entry.input), .string(entry.output)]) : .string(entry.input)
            return .array([.number(Double(CellRunner.historySession)), .number(Double(entry.line)), input])
        }
        return .object([("status", .string("ok")), ("history", .array(items))])
    }
}
