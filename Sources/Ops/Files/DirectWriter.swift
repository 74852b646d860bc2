#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization
internal import CKernels

/// Writes an `AtomicFile`'s bytes in order with direct I/O: the bytes are copied into aligned
/// buffers and written from there to the device, past the page cache, by a writer thread.
///
/// On the project's 2-core machine the kernel's copy into the page cache is the dearest part of
/// writing a large file: `dd` of 2.5 GB with `conv=fsync` used 6.3-9.4 s of system time, with
/// `oflag=direct` 0.34-0.47 s; half the CPU of a W70B merge was that copy. A direct write waits
/// for the device, so it runs on its own thread while the caller fills the next buffer. Three
/// buffers of 4 MiB rotate (8 MiB ones measured no faster on W7B). Direct writes must start at
/// multiples of the block size and cover whole blocks, so everything but the file's last
/// partial block goes out in aligned writes, and that tail is written through the ordinary
/// descriptor, which `AtomicFile.commit` then fsyncs with the rest.
///
/// Unchecked Sendable: `current`, `filled` and `offset` belong to the thread that writes; the
/// writer's queue reads only the descriptor, the file (for `pwrite`), the buffer it was handed
/// (which the writing thread does not touch until `free` says so) and `failure`, behind a mutex.
final class DirectWriter: @unchecked Sendable {
    static let alignment = 4096
    static let bufferSize = 4 << 20
    static let bufferCount = 3

    private let file: AtomicFile
    private let fd: Int32
    private let buffers: [UnsafeMutableRawPointer]
    private let queue = DispatchQueue(label: "seedlora.direct-writer")
    /// Buffers the writer has finished with (the one being filled is not counted).
    private let free: DispatchSemaphore
    private let failure = Mutex<SeedloraError?>(nil)
    private var current = 0
    /// Bytes in the current buffer, and the file offset of its first byte.
    private var filled = 0
    private var offset = 0

    /// Nil when the file system does not do direct I/O; the caller writes as usual then.
    init?(file: AtomicFile) {
        // Mapped, not from malloc: page-aligned, and given back to the system when the file is
        // done (malloc keeps large blocks for reuse here, see AllocatorTuning, and aligned ones
        // fragmented the heap: a 4-shard checkpoint merge peaked at 82-124 MB instead of 64 MB).
        var buffers: [UnsafeMutableRawPointer] = []
        for _ in 0..<Self.bufferCount {
            let memory = mmap(nil, Self.bufferSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let memory, memory != MAP_FAILED else {
                buffers.forEach { munmap($0, Self.bufferSize) }
                return nil
            }
            buffers.append(memory)
        }
        let fd = file.tempPath.withCString { seedlora_open_direct($0) }
        guard fd >= 0 else {
            buffers.forEach { munmap($0, Self.bufferSize) }
            return nil
        }
        self.file = file
        self.fd = fd
        self.buffers = buffers
        free = DispatchSemaphore(value: Self.bufferCount - 1)
    }

    deinit {
        queue.sync {}   // no write may still use a buffer
        close(fd)
        buffers.forEach { munmap($0, Self.bufferSize) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var source = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(left, Self.bufferSize - filled)
            (buffers[current] + filled).copyMemory(from: source, byteCount: n)
            filled += n
            source += n
            left -= n
            if filled == Self.bufferSize { try submit(count: filled) }
        }
    }

    /// Writes `byteCount` bytes that `produce(destination, offset)` makes straight in the aligned
    /// buffers: it fills `destination` with the piece's bytes `offset ..< offset + destination.count`,
    /// always a multiple of `granularity` (the element size; `byteCount` must be one too). An
    /// encoded tensor so skips its copy from a temporary array into the buffers.
    func write(byteCount: Int, granularity: Int, produce: (UnsafeMutableRawBufferPointer, Int) -> Void) throws {
        var done = 0
        while done < byteCount {
            let n = min(byteCount - done, Self.bufferSize - filled) / granularity * granularity
            if n == 0 {
                // Less than one element of room left in this buffer: that element goes by copy.
                let element = UnsafeMutableRawBufferPointer.allocate(byteCount: granularity, alignment: 16)
                defer { element.deallocate() }
                produce(element, done)
                try write(UnsafeRawBufferPointer(element))
                done += granularity
                continue
            }
            produce(UnsafeMutableRawBufferPointer(start: buffers[current] + filled, count: n), done)
            filled += n
            done += n
            if filled == Self.bufferSize { try submit(count: filled) }
        }
    }

    /// Writes what is buffered and waits for every write: the whole blocks directly, the last
    /// partial block through the ordinary descriptor. Call once, after the last `write`.
    func finish() throws {
        let whole = filled / Self.alignment * Self.alignment
        let tail = filled - whole
        let tailStart = buffers[current] + whole
        let tailOffset = offset + whole
        if whole > 0 {
            // The tail stays in this buffer: the writer does not reuse it before `queue.sync`.
            nonisolated(unsafe) let buffer = buffers[current]
            let at = offset
            queue.async { self.writeDirect(buffer, count: whole, at: at) }
        }
        queue.sync {}
        if let error = failure.withLock({ $0 }) { throw error }
        if tail > 0 { try file.write(UnsafeRawBufferPointer(start: tailStart, count: tail), at: tailOffset) }
        filled = 0
    }

    /// Hands the full current buffer to the writer and moves to the next free one.
    private func submit(count: Int) throws {
        if let error = failure.withLock({ $0 }) { throw error }
        nonisolated(unsafe) let buffer = buffers[current]
        let at = offset
        queue.async {
            self.writeDirect(buffer, count: count, at: at)
            self.free.signal()
        }
        offset += count
        filled = 0
        current = (current + 1) % Self.bufferCount
        // Writes finish in order, so the buffer freed first is the oldest: the next in turn.
        free.wait()
    }

    /// On the writer's queue: `count` bytes (a multiple of the alignment) at `offset`.
    private func writeDirect(_ buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) {
        if failure.withLock({ $0 != nil }) { return }
        var done = 0
        do {
            while done < count {
                let n = pwrite(fd, buffer + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    // A file system that opened the file for direct I/O but refuses the write
                    // (EINVAL: alignment rules of its own) gets the bytes through the page cache.
                    if errno == EINVAL {
                        try file.write(UnsafeRawBufferPointer(start: buffer + done, count: count - done), at: offset + done)
                        return
                    }
                    throw SeedloraError(.io, path: file.path, "cannot write: \(FilePaths.errnoText())")
                }
                if n == 0 || n % Self.alignment != 0 {
                    // A short direct write that is not a whole number of blocks: the rest goes
                    // through the ordinary descriptor, which has no alignment rules.
                    try file.write(UnsafeRawBufferPointer(start: buffer + done + n, count: count - done - n), at: offset + done + n)
                    return
                }
                done += n
            }
        } catch let error as SeedloraError {
            failure.withLock { if $0 == nil { $0 = error } }
        } catch {
            failure.withLock { if $0 == nil { $0 = SeedloraError(.io, path: file.path, "cannot write: \(error)") } }
        }
    }
}
