#if canImport(Glibc)
import Glibc
#endif
import Ops

/// A per-process scratch directory in /dev/shm (or /tmp) for targets whose reader takes a path:
/// each input is written to the same file, so an iteration costs one small write, not a new file.
public enum Scratch {
    public static let directory: String = {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(base)/seedlora-fuzz-\(getpid())"
        mkdir(path, 0o700)
        atexit { FilePaths.removeTree(Scratch.directory) }
        return path
    }()

    /// Writes `bytes` to `name` in the scratch directory (replacing it) and returns the path.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        write(bytes, toPath: directory + "/" + name)
    }

    /// Writes `bytes` to `path` (replacing it) and returns the path.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, toPath path: String) -> String {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return path }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n <= 0 { break }
            offset += n
        }
        return path
    }
}

/// The bytes libFuzzer hands to LLVMFuzzerTestOneInput.
public func fuzzBytes(_ start: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count)
}
