#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Path helpers shared by the atomic writers.
public enum FilePaths {
    /// Splits "a/b/c" into ("a/b", "c"); a bare name lives in ".".
    public static func split(_ path: String) -> (dir: String, name: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", trimmed) }
        let dir = String(trimmed[..<slash])
        return (dir.isEmpty ? "/" : dir, String(trimmed[trimmed.index(after: slash)...]))
    }

    /// An absolute, normalised path ("." and ".." folded) without touching the file system
    /// beyond reading the working directory.
    public static func absolute(_ path: String) -> String {
        var full = path
        if !path.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: 4096)
            let cwd = getcwd(&buffer, buffer.count).map { _ in String(cString: buffer) } ?? "."
            full = cwd + "/" + path
        }
        var parts: [Substring] = []
        for part in full.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `target` relative to the directory `base` (both absolute and normalised).
    public static func relative(_ target: String, from base: String) -> String {
        let t = target.split(separator: "/"), b = base.split(separator: "/")
        var common = 0
        while common < min(t.count, b.count) && t[common] == b[common] { common += 1 }
        let ups = Array(repeating: "..", count: b.count - common)
        let rest = t[common...].map(String.init)
        let joined = (ups + rest).joined(separator: "/")
        return joined.isEmpty ? "." : joined
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Flushes a closed file's bytes to disk (before it is renamed into place).
    static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SeedloraError(.io, path: path, "cannot open to flush: \(MappedFile.errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SeedloraError(.io, path: path, "cannot flush to disk: \(MappedFile.errnoText())") }
    }

    /// fsync on a directory makes a rename inside it durable; failures are harmless here.
    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    /// Creates a directory and its missing parents.
    public static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SeedloraError(.io, path: current, "cannot create directory: \(MappedFile.errnoText())")
            }
        }
    }

    /// A new private directory under $TMPDIR (or /tmp); the caller removes it.
    public static func temporaryDirectory(prefix: String) throws -> String {
        let base = (getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp")
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> UnsafeMutablePointer<CChar>? in
            guard let base = buffer.baseAddress else { return nil }
            return mkdtemp(base)
        }
        guard let made else {
            throw SeedloraError(.io, path: base, "cannot create a temporary directory: \(errnoText())")
        }
        return String(cString: made)
    }

    /// Names in a directory (not "." and ".."), sorted.
    public static func list(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else {
            throw SeedloraError(.io, path: path, "cannot list directory: \(MappedFile.errnoText())")
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes a file or a directory tree (used on our own temporary directories only).
    public static func removeTree(_ path: String) {
        guard let dir = opendir(path) else { unlink(path); return }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if isDirectory(child) { removeTree(child) } else { unlink(child) }
        }
        closedir(dir)
        rmdir(path)
    }

    /// "a directory", "a FIFO", ... for messages about a path that should be a regular file.
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// When `exists(path)` is false: nil if the path plainly does not exist, else why it cannot
    /// be used (a symbolic link to nothing, or a parent directory that cannot be searched).
    public static func unusableReason(_ path: String) -> String? {
        var info = stat()
        if stat(path, &info) != 0 && errno != ENOENT { return "cannot be accessed: \(errnoText())" }
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buffer, buffer.count - 1)
            let target = n >= 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            return "is a symbolic link to '\(target)', which does not exist"
        }
        return nil
    }

    // MARK: temporaries of the atomic writers

    /// A hidden sibling name for a temporary: `.<name>.tmp-<pid>-<random>`.
    static func temporaryName(for name: String, in dir: String) -> String {
        "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Removes `.<name>.tmp-<pid>-*` and `.<name>.old-<pid>` siblings left by a writer that died
    /// (its pid is gone). A live writer's, or this process's, are left alone.
    static func removeStaleTemporaries(of name: String, in dir: String) {
        guard let names = try? list(dir) else { return }
        for entry in names {
            let rest: Substring
            if entry.hasPrefix(".\(name).tmp-") { rest = entry.dropFirst(name.count + 6) }
            else if entry.hasPrefix(".\(name).old-") { rest = entry.dropFirst(name.count + 6) }
            else { continue }
            guard let pid = Int32(rest.prefix(while: { $0 != "-" })), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { removeTree(dir + "/" + entry) }
        }
    }

    /// Atomically swaps two paths (Linux `renameat2(RENAME_EXCHANGE)`); false where unsupported.
    static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        // glibc has renameat2 since 2.28, but its header does not import into Swift.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
        #else
        return false
        #endif
    }

    /// strerror(errno), naming the limits a write can run into.
    static func errnoText() -> String {
        let code = errno
        switch code {
        case ENOSPC: return "no space left on device"
        case EFBIG: return "file too large (the process's file size limit, ulimit -f, or the file system's)"
        case EDQUOT: return "disk quota exceeded"
        default: return String(cString: strerror(code))
        }
    }
}

