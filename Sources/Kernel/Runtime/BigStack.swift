#if canImport(Glibc)
import Glibc
#endif

/// Runs work on a thread with a large stack and waits for it.
///
/// The tree-walking interpreter recurses once per nested call and expression; test runners
/// and REPL threads may have small stacks. A 512 MiB stack (only touched pages cost memory)
/// lets the call-depth limit, not the machine, decide when recursion is too deep.
enum BigStack {
    static let size = 512 << 20

    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run(_ body: () -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let job = Unmanaged.passRetained(Job(escapable)).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, size)
            var thread = pthread_t()
            let status = pthread_create(&thread, &attributes, { context in
                guard let context else { return nil }
                Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
                return nil
            }, job)
            if status == 0 {
                pthread_join(thread, nil)
            } else {
                // No thread (resource limits): run here, with the smaller stack.
                Unmanaged<Job>.fromOpaque(job).takeRetainedValue().body()
            }
        }
    }
}
