import Dispatch
import Ops

/// Computes items on every core, taking the next one as soon as a core is free, and hands the
/// results to a serial consumer in item order with a bounded number waiting.
///
/// Modules differ in size (an MLP module of a 7B model is 2.7x an attention one), so running
/// them in fixed windows of one per core leaves a core idle while its partner finishes the
/// larger one. Here each worker takes the next item when it is done, stores its result, and
/// whichever worker finds the next result in order delivers it (one consumer at a time, in
/// order). At most `workers + 1` results are computed and not yet consumed, which bounds
/// memory the way the windows did. The first failure in item order is thrown; after a failure
/// no new item is started.
enum OrderedStream {
    static func run<R>(count: Int, workers: Int, cancellation: Cancellation,
                       compute: @Sendable (Int) throws -> R,
                       consume: (Int, R) throws -> Void) throws {
        guard count > 0 else { return }
        LinearAlgebra.setBLASThreads(1)   // parallelism is ours: each BLAS call runs on one thread
        let workers = max(1, min(workers, count))
        let state = OrderedStreamState<R>(count: count, slack: workers + 1)
        try withoutActuallyEscaping(consume) { consume in
            nonisolated(unsafe) let deliver = consume
            WorkerThreads.run(count: workers) { _ in
                while let index = state.take(cancellation: cancellation) {
                    let result = Result { try compute(index) }
                    state.store(result, at: index)
                    state.drain(deliver)
                }
            }
        }
        if let failure = state.firstFailure { throw failure }
    }
}

/// The shared state of `OrderedStream.run`, behind a serial queue.
private final class OrderedStreamState<R>: @unchecked Sendable {
    private let lock = DispatchQueue(label: "seedlora.ordered-stream")
    private let room: DispatchSemaphore
    private let count: Int
    /// Results that may be computed and not yet delivered.
    private let slack: Int
    private var next = 0
    private var slots: [Result<R, Error>?]
    private var delivered = 0
    private var delivering = false
    private var failures: [(Int, Error)] = []
    private var stopped = false

    init(count: Int, slack: Int) {
        self.count = count
        self.slack = slack
        room = DispatchSemaphore(value: slack)
        slots = Array(repeating: nil, count: count)
    }

    /// The next item to compute, or nil when all are taken or the run stopped. Waits while
    /// `slack` results are computed but not delivered.
    func take(cancellation: Cancellation) -> Int? {
        room.wait()
        let index: Int? = lock.sync {
            if stopped || next >= count { return nil }
            if cancellation.isCancelled {
                fail(at: next, SeedloraError("cancelled"))
                return nil
            }
            defer { next += 1 }
            return next
        }
        if index == nil { room.signal() }
        return index
    }

    func store(_ result: Result<R, Error>, at index: Int) {
        lock.sync {
            slots[index] = result
            if case let .failure(error) = result { fail(at: index, error) }
        }
    }

    /// Delivers the results that are next in order, unless another worker is delivering (it
    /// will find this result when it looks for the next one).
    func drain(_ deliver: (Int, R) throws -> Void) {
        while true {
            let item: (Int, R)? = lock.sync {
                guard !delivering, !stopped, delivered < count, let slot = slots[delivered] else { return nil }
                slots[delivered] = nil
                guard case let .success(value) = slot else { return nil }
                delivering = true
                return (delivered, value)
            }
            guard let (index, value) = item else { return }
            var failure: Error?
            do { try deliver(index, value) } catch { failure = error }
            lock.sync {
                delivering = false
                delivered += 1
                if let failure { fail(at: index, failure) }
            }
            room.signal()
        }
    }

    var firstFailure: Error? {
        lock.sync { failures.min { $0.0 < $1.0 }?.1 }
    }

    /// Records a failure and stops the run; wakes every worker waiting for room. Call on `lock`.
    private func fail(at index: Int, _ error: Error) {
        failures.append((index, error))
        if !stopped {
            stopped = true
            for _ in 0..<slack { room.signal() }
        }
    }
}
