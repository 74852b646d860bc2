#if canImport(Glibc)
import Glibc
#endif
import Ops
import Synchronization

/// Collects a cell's `print` output and sends it as `stream` messages at most every 50 ms (or
/// every 64 KiB), instead of one signed message per `print`: a loop printing 5000 lines sends a
/// handful of messages. A ticker thread flushes while the cell runs, so progress lines still
/// show up during long computations; `finish` sends the rest.
final class StreamBuffer: Sendable {
    private let pending = Mutex<String>("")
    /// Held across take-and-send so two flushes (ticker, cell thread) cannot swap their order.
    private let sending = Mutex<Int>(0)
    private let finished = Cancellation()
    private let publisher: Publisher
    private let parent: JSON
    static let interval: useconds_t = 50_000
    static let maxPending = 64 << 10

    init(publisher: Publisher, parent: JSON) {
        self.publisher = publisher
        self.parent = parent
    }

    func startTicker() {
        let started = Threads.start { [self] in
            while !finished.isCancelled {
                usleep(StreamBuffer.interval)
                flush()
            }
        }
        if !started { Log.write("no thread for output batching; output arrives when the cell ends") }
    }

    func write(_ text: String) {
        let full = pending.withLock { buffer -> Bool in
            buffer += text
            return buffer.utf8.count >= StreamBuffer.maxPending
        }
        if full { flush() }
    }

    /// Sends what is pending (call before any other output of the cell, to keep the order).
    func flush() {
        sending.withLock { count in
            let text = pending.withLock { buffer -> String in
                let taken = buffer
                buffer = ""
                return taken
            }
            guard !text.isEmpty else { return }
            count += 1
            publisher.publish("stream", .object([("name", .string("stdout")), ("text", .string(text))]), parent: parent)
        }
    }

    func finish() {
        finished.cancel()
        flush()
    }
}
