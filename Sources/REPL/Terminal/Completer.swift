import Ops
import Synchronization

/// What tab completion can offer, as a snapshot the REPL refreshes after every entry (the C
/// completion hook cannot reach the session itself).
struct Completer: Sendable {
    var names: [String]
    var moduleNames: [String]
    /// Meta command names without the colon.
    var metaCommands: [String]

    /// The current snapshot, read by the completion hook.
    static let shared = Mutex<Completer?>(nil)
    /// The matches of the completion in progress, handed out one by one.
    static let matches = Mutex<[String]>([])

    func candidates(for word: String, inString: Bool, lineStart: String) -> [String] {
        if inString {
            let modules = moduleNames.filter { $0.hasPrefix(word) }
            return modules + Completer.paths(matching: word)
        }
        // ":" breaks words, so after ":he" the word is "he" and the line so far is ":".
        if lineStart.trimmingLeadingSpaces() == ":" {
            return metaCommands.filter { $0.hasPrefix(word) }
        }
        return names.filter { $0.hasPrefix(word) }
    }

    /// Files and directories whose path starts with `prefix` (directories end in "/").
    static func paths(matching prefix: String) -> [String] {
        let (dir, partial): (String, String)
        if let slash = prefix.lastIndex(of: "/") {
            dir = String(prefix[...slash])
            partial = String(prefix[prefix.index(after: slash)...])
        } else {
            dir = ""
            partial = prefix
        }
        guard let entries = try? FilePaths.list(dir.isEmpty ? "." : dir) else { return [] }
        return entries.filter { $0.hasPrefix(partial) && ($0.first != "." || partial.hasPrefix(".")) }.sorted().map { name in
            let path = dir + name
            return FilePaths.isDirectory(path) ? path + "/" : path
        }
    }
}

extension String {
    func trimmingLeadingSpaces() -> String { String(drop { $0 == " " || $0 == "\t" }) }
}
