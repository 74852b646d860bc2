#if canImport(Glibc)
import Glibc
#endif
import Ops
import Synchronization

/// The IOPub socket, shared by the shell loop, the control thread and the interpreter's
/// output callback; one lock serialises its sends.
final class Publisher: Sendable {
    private let socket: Mutex<Socket>
    let signer: Signer
    /// The kernel's session id (every message's `header.session`).
    let session: String

    init(socket: sending Socket, signer: Signer, session: String) {
        self.socket = Mutex(socket)
        self.signer = signer
        self.session = session
    }

    func publish(_ type: String, _ content: JSON, parent: JSON) {
        let message = Message.make(type, content: content, parent: parent, session: session,
                                   identities: [Array("kernel.\(session).\(type)".utf8)])
        let frames = message.encode(signer: signer)
        socket.withLock { socket in
            do { try socket.send(frames) } catch { Log.write("iopub: \(error)") }
        }
    }

    func status(_ state: String, parent: JSON) {
        publish("status", .object([("execution_state", .string(state))]), parent: parent)
    }

    func close() { socket.withLock { $0.close() } }
}

/// Kernel diagnostics go to stderr (the client shows or logs them); never to the protocol.
enum Log {
    static func write(_ text: String) {
        var bytes = Array("seedlora kernel: \(text)\n".utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let n = Glibc.write(2, base + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}
