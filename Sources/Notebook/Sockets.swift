#if canImport(Glibc)
import Glibc
#endif
internal import CZMQ

/// A ZeroMQ failure with libzmq's own message.
public struct SocketError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }

    static func last(_ operation: String) -> SocketError { SocketError(operation: operation, code: zmq_errno()) }
    var isInterrupted: Bool { code == EINTR }
    var isTerminated: Bool { code == ETERM }
}

/// The ZeroMQ context: owns the I/O threads; `shutdown` makes blocked calls return ETERM.
/// libzmq documents contexts as thread-safe, and this class holds only the immutable handle.
final class SocketContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws {
        guard let handle = zmq_ctx_new() else { throw SocketError.last("zmq_ctx_new") }
        self.handle = handle
    }

    func shutdown() { zmq_ctx_shutdown(handle) }
    /// Waits until every socket is closed (flushing queued messages within their linger time).
    func terminate() { while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {} }
}

/// One ZeroMQ socket. Not thread-safe: each is used by one thread, or behind a lock.
final class Socket {
    enum Kind { case router, publisher, reply }
    let handle: UnsafeMutableRawPointer
    let name: String
    private var closed = false

    init(_ context: SocketContext, _ kind: Kind, name: String) throws {
        let type: Int32
        switch kind {
        case .router: type = ZMQ_ROUTER
        case .publisher: type = ZMQ_PUB
        case .reply: type = ZMQ_REP
        }
        guard let handle = zmq_socket(context.handle, type) else { throw SocketError.last("zmq_socket(\(name))") }
        self.handle = handle
        self.name = name
        // Queued replies get a second to go out when the kernel shuts down, then are dropped.
        var linger: Int32 = 1000
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        var maxSize = Socket.maxMessageBytes
        zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &maxSize, MemoryLayout<Int64>.size)
    }

    static let maxFrames = 10_000
    /// Larger incoming messages are dropped by libzmq (a request is code and JSON, never this big).
    static let maxMessageBytes: Int64 = 256 << 20

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw SocketError.last("bind \(name) to \(endpoint)") }
    }

    func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    /// Receives one multipart message (blocks; poll first to wait with a timeout).
    func receive() throws -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var tooMany = false
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            if zmq_msg_recv(&message, handle, 0) < 0 {
                let error = SocketError.last("receive on \(name)")
                if error.isInterrupted && frames.isEmpty { throw error }
                if error.isInterrupted { continue }   // mid-message: the rest is queued
                throw error
            }
            // Absurd messages are read to their end (so the next one starts cleanly) but not kept.
            let size = zmq_msg_size(&message)
            if frames.count < Socket.maxFrames {
                if let data = zmq_msg_data(&message), size > 0 {
                    frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
                } else {
                    frames.append([])
                }
            } else {
                tooMany = true
            }
            if zmq_msg_more(&message) == 0 {
                if tooMany { throw SocketError(operation: "receive on \(name): more than \(Socket.maxFrames) frames", code: EMSGSIZE) }
                return frames
            }
        }
    }

    /// Sends frames as one multipart message.
    func send(_ frames: [[UInt8]]) throws {
        for (i, frame) in frames.enumerated() {
            let flags = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            while true {
                let n = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
                if n >= 0 { break }
                let error = SocketError.last("send on \(name)")
                if !error.isInterrupted { throw error }
            }
        }
    }

    /// Which of `sockets` have a message waiting, after at most `timeout` milliseconds.
    /// An interrupted wait (a signal) reports none ready.
    static func poll(_ sockets: [Socket], timeout: Int) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let n = zmq_poll(&items, Int32(items.count), timeout)
        guard n > 0 else { return sockets.map { _ in false } }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}

/// A thread for a loop that owns its sockets (heartbeat, control).
enum Threads {
    private final class Job {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread; false if the system refused one.
    @discardableResult
    static func start(_ body: @escaping () -> Void) -> Bool {
        let job = Unmanaged.passRetained(Job(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, job)
        guard status == 0 else {
            Unmanaged<Job>.fromOpaque(job).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
