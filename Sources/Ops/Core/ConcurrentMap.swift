import Dispatch


/// Maps over modules on all cores, in order, checking for cancellation between modules.
public enum ConcurrentMap {
    public static func run<T: Sendable, R>(_ items: [T], cancellation: Cancellation,
                                    _ body: @Sendable (T) throws -> R) throws -> [R] {
        // Parallelism is ours: BLAS calls inside run on one thread each.
        LinearAlgebra.setBLASThreads(1)
        var results = [Result<R, Error>?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let base = slots.baseAddress
            DispatchQueue.concurrentPerform(iterations: items.count) { i in
                let result: Result<R, Error> = cancellation.isCancelled
                    ? .failure(SeedloraError("cancelled"))
                    : Result { try body(items[i]) }
                base?[i] = result   // each iteration writes its own slot only
            }
        }
        return try results.map { slot in
            guard let slot else { throw SeedloraError("internal: a module was skipped") }
            return try slot.get()
        }
    }
}
