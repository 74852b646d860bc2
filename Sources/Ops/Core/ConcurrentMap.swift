import Synchronization

/// Maps over modules on all cores, in order, checking for cancellation between modules.
public enum ConcurrentMap {
    public static func run<T: Sendable, R>(_ items: [T], cancellation: Cancellation,
                                    _ body: @Sendable (T) throws -> R) throws -> [R] {
        // Parallelism is ours: BLAS calls inside run on one thread each.
        LinearAlgebra.setBLASThreads(1)
        var results = [Result<R, Error>?](repeating: nil, count: items.count)
        let next = ItemCounter()
        results.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let base = slots.baseAddress
            // One thread per core, each taking the next item when it is free (WorkerThreads:
            // `concurrentPerform` may run its iterations on fewer threads than cores).
            WorkerThreads.run(count: min(WorkerThreads.cores, items.count)) { _ in
                while let i = next.take(below: items.count) {
                    let result: Result<R, Error> = cancellation.isCancelled
                        ? .failure(SeedloraError("cancelled"))
                        : Result { try body(items[i]) }
                    base?[i] = result   // each item writes its own slot only
                }
            }
        }
        return try results.map { slot in
            guard let slot else { throw SeedloraError("internal: a module was skipped") }
            return try slot.get()
        }
    }
}

/// Hands out 0, 1, 2, ... to whichever thread asks.
private final class ItemCounter: Sendable {
    private let value = Atomic<Int>(0)

    func take(below count: Int) -> Int? {
        let i = value.add(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }
}
