#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears whole at its final path or not at all.
///
/// Bytes go to a hidden temporary file in the same directory; `commit()` fsyncs it, renames it over
/// the destination and fsyncs the directory. If the writer is dropped without commit (an error, a
/// thrown cancellation) the temporary file is removed. A SIGKILL can leave only a hidden `.tmp`
/// file, never a truncated destination.
public final class AtomicFile {
    public let path: String
    let tempPath: String
    private var fd: Int32
    private var committed = false

    public init(path: String) throws {
        self.path = path
        let (dir, name) = FilePaths.split(path)
        tempPath = "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SeedloraError(.io, path: path, "cannot create file: \(MappedFile.errnoText())") }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(tempPath) }
    }

    /// Writes all bytes, retrying short writes; a full disk becomes a clear error.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = errno == ENOSPC ? "no space left on device" : MappedFile.errnoText()
                throw SeedloraError(.io, path: path, "cannot write: \(reason)")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Flushes to disk and moves the file into place.
    public func commit() throws {
        guard fsync(fd) == 0 else { throw SeedloraError(.io, path: path, "cannot flush to disk: \(MappedFile.errnoText())") }
        guard close(fd) == 0 else { fd = -1; throw SeedloraError(.io, path: path, "cannot close: \(MappedFile.errnoText())") }
        fd = -1
        guard rename(tempPath, path) == 0 else {
            throw SeedloraError(.io, path: path, "cannot move into place: \(MappedFile.errnoText())")
        }
        committed = true
        FilePaths.syncDirectory(FilePaths.split(path).dir)
    }
}

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
            throw SeedloraError(.io, path: base, "cannot create a temporary directory: \(MappedFile.errnoText())")
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
}

/// A directory that appears whole at its final path or not at all (an exported adapter).
///
/// Files are written into a hidden sibling directory; `commit()` renames it into place. An
/// existing destination is replaced only when `replace` is true: it is first renamed aside, so a
/// crash leaves either the old directory, the new one, or the old one under a `.old-` name.
public final class AtomicDirectory {
    public let path: String
    public let tempPath: String
    private var committed = false

    public init(path: String, replace: Bool) throws {
        self.path = path
        if FilePaths.exists(path) && !replace {
            throw SeedloraError(path: path, "output already exists; choose another --out or pass --force to replace it")
        }
        let (dir, name) = FilePaths.split(path)
        if !FilePaths.isDirectory(dir) { try FilePaths.makeDirectories(dir) }
        tempPath = "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(tempPath, 0o755) == 0 else {
            throw SeedloraError(.io, path: path, "cannot create a temporary directory: \(MappedFile.errnoText())")
        }
    }

    deinit {
        if !committed { FilePaths.removeTree(tempPath) }
    }

    /// The path of a file inside the directory being written.
    public func file(_ name: String) -> String { tempPath + "/" + name }

    public func commit() throws {
        FilePaths.syncDirectory(tempPath)
        var aside: String?
        if FilePaths.exists(path) {
            let (dir, name) = FilePaths.split(path)
            let old = "\(dir)/.\(name).old-\(getpid())"
            guard rename(path, old) == 0 else {
                throw SeedloraError(.io, path: path, "cannot move the existing output aside: \(MappedFile.errnoText())")
            }
            aside = old
        }
        guard rename(tempPath, path) == 0 else {
            let reason = MappedFile.errnoText()
            if let aside { _ = rename(aside, path) }
            throw SeedloraError(.io, path: path, "cannot move the output into place: \(reason)")
        }
        committed = true
        FilePaths.syncDirectory(FilePaths.split(path).dir)
        if let aside { FilePaths.removeTree(aside) }
    }
}
