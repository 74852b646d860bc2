#if canImport(Glibc)
import Glibc
#endif

/// Makes glibc's malloc keep freed large blocks for reuse instead of returning them to the
/// kernel at once.
///
/// By default glibc serves blocks from 128 KiB up with fresh `mmap`s and unmaps them on `free`,
/// so a merge that allocates and frees a few MB per module takes a page fault for every 4 KiB
/// of every buffer, every module: on W7B that was 85,000 faults and most of the system time.
/// With a 32 MiB mmap threshold (the most glibc accepts) and a 512 MiB trim threshold, module-sized buffers come from
/// (and go back to) the heap, whose pages stay mapped; with `M_MMAP_MAX` 0 so do the dense
/// modules of dense merges, whose fresh pages were 30 % of a TIES merge's CPU time (kernel page
/// clearing and faults, measured with perf). Called by the merge engines before they stream
/// modules; idempotent.
public enum AllocatorTuning {
    public static func reuseLargeBlocks() {
        _ = applied
    }

    private static let applied: Bool = {
        #if canImport(Glibc)
        // mallopt is not in the Swift Glibc module (malloc.h); looked up like sync_file_range.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 32 << 20)   // glibc refuses more than 32 MiB
        _ = mallopt(-1 /* M_TRIM_THRESHOLD */, 512 << 20)
        // Dense modules (up to 180 MB on 7B shapes, 940 MB on 70B) are above any mmap threshold:
        // with no mmapped blocks at all they come from the heap too, and are reused.
        _ = mallopt(-4 /* M_MMAP_MAX */, 0)
        // One arena: a worker thread's own arena grows in heaps of at most 64 MiB, so a module
        // larger than that would still get fresh pages there on every allocation.
        _ = mallopt(-8 /* M_ARENA_MAX */, 1)
        #endif
        return true
    }()
}
