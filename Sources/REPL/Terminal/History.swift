internal import CReadline
#if canImport(Glibc)
import Glibc
#endif

/// The history file: read at start, appended one entry at a time (so a crash or a second
/// session loses nothing), capped at `limit` lines. An entry of several lines (a block typed
/// on `...` lines) is one entry: Up recalls all of it.
struct History {
    let path: String
    static let limit: Int32 = 5000

    /// `$SEEDLORA_HISTORY`, else `~/.seedlora_history`.
    static var defaultPath: String {
        if let p = getenv("SEEDLORA_HISTORY") { return String(cString: p) }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.seedlora_history"
    }

    /// Reads the file. Each entry is written after a "#<time>" line, so an entry of several
    /// lines comes back as one; a file from before that (one line per entry, no time lines) is
    /// read line by line once and rewritten in the new form.
    func load() {
        guard let first = History.firstLine(of: path), !History.isTimeLine(first) else {
            seedlora_history_use_timestamps(1)
            _ = read_history(path)
            return
        }
        seedlora_history_use_timestamps(0)
        _ = read_history(path)
        let base = seedlora_history_base(), count = seedlora_history_length()
        let entries = (0..<count).compactMap { history_get(base + $0)?.pointee.line.map { String(cString: $0) } }
        clear_history()
        seedlora_history_use_timestamps(1)
        for entry in entries { add_history(entry) }
        // Rewritten through a temporary file, so a failure leaves the old history intact.
        let temporary = path + ".tmp"
        if write_history(temporary) == 0 { _ = rename(temporary, path) } else { _ = unlink(temporary) }
    }

    static func isTimeLine(_ line: String) -> Bool {
        line.first == "#" && line.dropFirst().first.map { $0.isASCII && $0.isNumber } == true
    }

    /// The first line of a file, nil when it is missing or empty.
    static func firstLine(of path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
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
