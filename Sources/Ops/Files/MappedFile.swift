#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the last reference goes away.
///
/// Adapters of 7B-70B models are hundreds of MB: mapping lets the kernel page in only what we
/// touch and share the page cache with other readers. Immutable after init, hence Sendable.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer (forever); it is
        // refused below as not a regular file. Regular files ignore the flag.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw SeedloraError(.io, path: path, "cannot open: \(MappedFile.errnoText())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SeedloraError(.io, path: path, "cannot stat: \(MappedFile.errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SeedloraError(path: path, "not a regular file (it is \(FilePaths.kind(of: info.st_mode)))")
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
        } else {
            // No MAP_POPULATE: measured slower on W7B (it prefaults tensors the caller may skip).
            let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
            guard let mapped, mapped != MAP_FAILED else {
                throw SeedloraError(.io, path: path, "cannot map into memory: \(MappedFile.errnoText())")
            }
            base = UnsafeRawPointer(mapped)
        }
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The bytes in `range`; the caller has checked that the range lies inside the file.
    public func withBytes<R>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let base, !range.isEmpty else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// Drops the resident pages of `range` (they are re-read from the page cache if touched
    /// again). Streaming readers call it after each tensor, so the process's resident memory
    /// does not grow with the size of the files it walks through.
    public func releasePages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min(size, range.upperBound)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    /// Maps the pages of `range` into this process in one call (`MADV_POPULATE_READ`, Linux
    /// 5.14+) instead of one page fault per 64 KiB as a reader walks them. A hint: kernels
    /// without it refuse the call and the reader faults as before.
    public func populate(_ range: Range<Int>) {
        #if os(Linux)
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min(size, range.upperBound)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, 22 /* MADV_POPULATE_READ */)
        #endif
    }

    static func errnoText() -> String { FilePaths.errnoText() }
}
