#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(worker)` on `count` threads at once (the calling thread is worker 0) and returns
/// when all have finished.
///
/// For long-running workers that pull their own items: `DispatchQueue.concurrentPerform` may
/// start fewer threads than iterations when the dispatch pool thinks the machine busy, and then
/// runs the iterations one after another (measured: a 2-worker dense merge on 2 idle cores ran
/// at 1 core, 161 s instead of 61 s). Plain threads always run side by side. A thread that
/// cannot be created (resource limits) leaves its worker to run on the calling thread afterwards.
public enum WorkerThreads {
    private final class Job: @unchecked Sendable {
        let body: (Int) -> Void
        let worker: Int
        init(_ body: @escaping (Int) -> Void, worker: Int) {
            self.body = body
            self.worker = worker
        }
    }

    /// Online cores (at least 1), read once: glibc reads /sys/devices/system/cpu/online on
    /// every call, and a streamed merge asked once per module.
    public static let cores: Int = {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()

    public static func run(count: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        // Before any worker exists: a thread that allocates before the single-arena setting
        // gets an arena of its own, which later workers would inherit (fresh pages for every
        // module-sized block: 3.6M minor faults on a W7B TIES merge instead of 0.3M).
        AllocatorTuning.reuseLargeBlocks()
        withoutActuallyEscaping(body) { escapable in
            var threads: [pthread_t] = []
            var leftover: [Int] = []
            for worker in 1..<count {
                let job = Unmanaged.passRetained(Job(escapable, worker: worker)).toOpaque()
                var thread = pthread_t()
                let status = pthread_create(&thread, nil, { context in
                    guard let context else { return nil }
                    let job = Unmanaged<Job>.fromOpaque(context).takeRetainedValue()
                    job.body(job.worker)
                    return nil
                }, job)
                if status == 0 {
                    threads.append(thread)
                } else {
                    Unmanaged<Job>.fromOpaque(job).release()
                    leftover.append(worker)
                }
            }
            escapable(0)
            for thread in threads { pthread_join(thread, nil) }
            for worker in leftover { escapable(worker) }
        }
    }
}
