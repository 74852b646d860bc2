internal import CReadline
#if canImport(Glibc)
import Glibc
#endif
import Kernel
import Ops
import Synchronization

/// The readline line editor, through its callback interface: we wait for input with `poll`,
/// so a Ctrl-C at the prompt (SIGINT sets the flag and interrupts `poll`) can clear the line
/// without readline's own signal handling. This is the one file that calls readline.
final class LineEditor {
    enum Input {
        case line(String)
        /// Ctrl-C at the prompt: the line was discarded.
        case interrupted
        /// Ctrl-D on an empty line.
        case endOfInput
    }

    private let interrupts: Cancellation
    let history: History

    init(interrupts: Cancellation, historyPath: String, completer: Completer) {
        self.interrupts = interrupts
        history = History(path: historyPath)
        seedlora_rl_set_name("seedlora")
        seedlora_rl_set_catch_signals(0)
        // Breaks between words of code; quotes too, so a string's text is completed as a whole.
        // readline keeps these pointers for the life of the process, so they are never freed.
        seedlora_rl_set_word_breaks(strdup(" \t\n()[]{},=+-*/%@<>!:;"))
        seedlora_rl_set_quote_characters(strdup("\"'"))
        seedlora_rl_set_completion(LineEditor.complete)
        Completer.shared.withLock { $0 = completer }
        // Initialise first, so the user's inputrc is read before Tab gets our binding.
        rl_initialize()
        rl_bind_key(9, LineEditor.tab)
        history.load()
    }

    /// What the line handler received (set from inside `rl_callback_read_char`).
    private static let received = Mutex<ReceivedLine?>(nil)
    private enum ReceivedLine: Sendable { case text(String), end }

    func read(prompt: String) -> Input {
        LineEditor.received.withLock { $0 = nil }
        rl_callback_handler_install(prompt, { line in
            // Called by readline with a malloc'ed line (NULL at end of input); ours to free.
            rl_callback_handler_remove()
            if let line {
                let text = String(cString: line)
                free(line)
                LineEditor.received.withLock { $0 = .text(text) }
            } else {
                LineEditor.received.withLock { $0 = .end }
            }
        })
        while true {
            var descriptor = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, -1)
            if interrupts.isCancelled {
                interrupts.reset()
                discardLine()
                return .interrupted
            }
            if ready < 0 {
                if errno == EINTR { continue }
                rl_callback_handler_remove()
                return .endOfInput
            }
            if descriptor.revents & Int16(POLLERR | POLLNVAL) != 0 {
                // The terminal is gone: nothing more will come.
                rl_callback_handler_remove()
                return .endOfInput
            }
            if descriptor.revents & Int16(POLLIN | POLLHUP) == 0 { continue }
            rl_callback_read_char()
            switch LineEditor.received.withLock({ $0 }) {
            case .text(let text)?:
                return .line(text)
            case .end?:
                return .endOfInput
            case nil:
                continue
            }
        }
    }

    /// Ctrl-C at the prompt: forget the typed text and start a fresh prompt below it.
    private func discardLine() {
        // "^C" first: removing the handler resets the terminal, which returns the cursor
        // to the start of the line (readline ends bracketed-paste mode with "\r").
        Output.write("^C")
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_replace_line("", 0)
        rl_callback_handler_remove()
        Output.write("\n")
    }

    func addHistory(_ line: String) {
        history.add(line)
    }

    // MARK: completion

    /// The line and cursor after the last Tab, and whether its completion was ambiguous.
    private struct TabState: Sendable {
        var line = ""
        var point: Int32 = -1
        var ambiguous = false
    }
    private static let lastTab = Mutex(TabState())

    /// Tab: readline's completion, except that a Tab right after an ambiguous completion lists
    /// the choices even when that completion inserted their common prefix (readline itself
    /// would first try again, beep, and list only on the third Tab).
    private static let tab: @convention(c) (Int32, Int32) -> Int32 = { count, key in
        let line = seedlora_rl_line_buffer().map { String(cString: $0) } ?? ""
        let point = seedlora_rl_point()
        let listNow = lastTab.withLock { $0.ambiguous && $0.line == line && $0.point == point }
        Completer.matches.withLock { $0 = [] }
        let result = listNow ? rl_complete_internal(Int32(UInt8(ascii: "?"))) : rl_complete(count, key)
        let ambiguous = Completer.matches.withLock { $0.count > 1 }
        let after = seedlora_rl_line_buffer().map { String(cString: $0) } ?? ""
        lastTab.withLock { $0 = TabState(line: after, point: seedlora_rl_point(), ambiguous: ambiguous) }
        return result
    }

    /// readline's attempted-completion hook: names, keywords and builtins in code; module
    /// names and file paths inside a string.
    private static let complete: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
        seedlora_rl_set_completion_over(1)
        let word = text.map { String(cString: $0) } ?? ""
        let buffer = seedlora_rl_line_buffer().map { String(cString: $0) } ?? ""
        let before = String(decoding: Array(buffer.utf8.prefix(Int(max(0, start)))), as: UTF8.self)
        let inString = seedlora_rl_completion_quote() != 0 || Session.isInsideString(before)
        var candidates = Completer.shared.withLock { $0?.candidates(for: word, inString: inString, lineStart: before) ?? [] }
        if inString {
            seedlora_rl_set_append_character(0)
            seedlora_rl_set_suppress_quote(1)
            // Paths are listed by their last component, as readline lists file names; readline
            // then marks directories (and adds the "/" after a completed one) itself.
            if candidates.contains(where: { $0.contains("/") }) {
                seedlora_rl_set_filename_completion(1)
                candidates = candidates.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
            }
        } else {
            seedlora_rl_set_append_character(candidates.count == 1 && candidates[0].hasSuffix("(") ? 0 : 32)
        }
        Completer.matches.withLock { $0 = candidates }
        return rl_completion_matches(word, { _, state in
            // readline calls this with state 0, 1, 2, ... and frees what we return.
            let next = Completer.matches.withLock { list -> String? in
                Int(state) < list.count ? list[Int(state)] : nil
            }
            return next.flatMap { strdup($0) }
        })
    }
}
