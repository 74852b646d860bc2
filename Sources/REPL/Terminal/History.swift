internal import CReadline
#if canImport(Glibc)
import Glibc
#endif

/// The history file: read at start, appended one entry at a time (so a crash or a second
/// session loses nothing), capped at `limit` lines.
struct History {
    let path: String
    static let limit: Int32 = 5000

    /// `$SEEDLORA_HISTORY`, else `~/.seedlora_history`.
    static var defaultPath: String {
        if let p = getenv("SEEDLORA_HISTORY") { return String(cString: p) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.seedlora_history"
    }

    func load() {
        _ = read_history(path)
    }

    func add(_ line: String) {
        guard !line.allSatisfy({ $0 == " " || $0 == "\t" }) else { return }
        add_history(line)
        // append_history needs the file to exist.
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        if fd >= 0 { close(fd) }
        _ = append_history(1, path)
        _ = history_truncate_file(path, History.limit)
    }
}
