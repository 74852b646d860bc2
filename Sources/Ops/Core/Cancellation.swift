import Synchronization

/// A flag that long computations poll between modules, so Ctrl-C (or a notebook interrupt)
/// stops them at the next safe point. Set from a signal handler: an atomic store is all it does.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public func reset() { flag.store(false, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// Throws `SeedloraError` "cancelled" when the flag is set.
    public func check() throws {
        if isCancelled { throw SeedloraError("cancelled") }
    }
}
