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
/// file, never a truncated destination; the next writer of the same path removes it.
public final class AtomicFile {
    public let path: String
    let tempPath: String
    private var fd: Int32
    private var committed = false

    public init(path: String) throws {
        self.path = path
        let (dir, name) = FilePaths.split(path)
        FilePaths.removeStaleTemporaries(of: name, in: dir)
        tempPath = FilePaths.temporaryName(for: name, in: dir)
        fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SeedloraError(.io, path: path, "cannot create file: \(FilePaths.errnoText())") }
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
                throw SeedloraError(.io, path: path, "cannot write: \(FilePaths.errnoText())")
            }
            offset += n
        }
    }

    /// Writes all bytes at `offset` (pwrite), retrying short writes.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SeedloraError(.io, path: path, "cannot write: \(FilePaths.errnoText())")
            }
            done += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Asks the kernel to start writing the bytes written so far to disk, without waiting, so a
    /// large file's disk writes overlap the work that produces the rest and `commit`'s fsync
    /// waits only for the tail. A hint: failures are ignored (fsync reports real errors).
    public func startWriteback() {
        #if os(Linux)
        if let start = AtomicFile.syncFileRange { _ = start(fd, 0, 0, 2 /* SYNC_FILE_RANGE_WRITE */) }
        #endif
    }

    #if os(Linux)
    /// glibc's `sync_file_range`, which the Swift Glibc module does not export (it is a GNU
    /// extension); looked up once.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
    }()
    #endif

    /// Flushes to disk and moves the file into place.
    public func commit() throws {
        // A full disk can also surface here (delayed allocation, network file systems).
        guard fsync(fd) == 0 else { throw SeedloraError(.io, path: path, "cannot flush to disk: \(FilePaths.errnoText())") }
        guard close(fd) == 0 else { fd = -1; throw SeedloraError(.io, path: path, "cannot close: \(FilePaths.errnoText())") }
        fd = -1
        guard rename(tempPath, path) == 0 else {
            throw SeedloraError(.io, path: path, "cannot move into place: \(FilePaths.errnoText())")
        }
        committed = true
        FilePaths.syncDirectory(FilePaths.split(path).dir)
    }
}
