import Foundation
import Kernel
import Ops

/// `seedlora kernel --connection-file FILE`: binds the five sockets and serves requests until
/// a shutdown request.
///
/// Threads: the caller's thread runs shell requests (and the cells, one at a time); a control
/// thread answers control requests while a cell runs (interrupt, shutdown, kernel_info); a
/// heartbeat thread echoes pings. IOPub is shared behind a lock (`Publisher`). Interrupts
/// only set `cancellation`, which the interpreter polls.
public enum NotebookKernel {
    public static func run(connectionFile: String, session: Session) throws {
        let text: String
        do { text = try String(contentsOfFile: connectionFile, encoding: .utf8) } catch {
            throw SeedloraError(path: connectionFile, "cannot read the connection file")
        }
        let info: ConnectionInfo
        do { info = try ConnectionInfo.parse(text) } catch let error as SeedloraError { throw error } catch {
            throw SeedloraError(path: connectionFile, "connection file is not JSON: \(error)")
        }
        let signer = Signer(key: info.key)
        let kernelSession = UUID().uuidString.lowercased()

        let context = try SocketContext()
        let shell = try Socket(context, .router, name: "shell")
        let control = try Socket(context, .router, name: "control")
        let stdin = try Socket(context, .router, name: "stdin")
        let iopub = try Socket(context, .publisher, name: "iopub")
        let heartbeat = try Socket(context, .reply, name: "heartbeat")
        try shell.bind(info.endpoint(info.shellPort))
        try control.bind(info.endpoint(info.controlPort))
        try stdin.bind(info.endpoint(info.stdinPort))
        try iopub.bind(info.endpoint(info.iopubPort))
        try heartbeat.bind(info.endpoint(info.heartbeatPort))

        let publisher = Publisher(socket: iopub, signer: signer, session: kernelSession)
        let stopping = Cancellation()
        let requests = Requests(publisher: publisher, stopping: stopping, cancellation: session.cancellation)

        Threads.start {
            while true {
                do {
                    let frames = try heartbeat.receive()
                    try heartbeat.send(frames)
                } catch let error as SocketError where error.isInterrupted {
                    continue
                } catch {
                    break   // ETERM: the context is shutting down
                }
            }
            heartbeat.close()
        }
        Threads.start {
            serve(control, name: "control", requests: requests, stopping: stopping) { message in
                requests.handleControl(message, on: control)
            }
            control.close()
        }

        let cells = CellRunner(session: session, requests: requests)
        serve(shell, name: "shell", requests: requests, stopping: stopping, also: stdin) { message in
            cells.handleShell(message, on: shell)
        }
        shell.close()
        stdin.close()
        publisher.close()
        context.shutdown()
        context.terminate()
    }

    /// Polls `socket` until `stopping`; every well-formed message goes to `handle`, every
    /// malformed or badly signed one is logged and dropped. `also` is drained and ignored
    /// (stdin: the kernel never asks for input).
    static func serve(_ socket: Socket, name: String, requests: Requests, stopping: Cancellation, also: Socket? = nil,
                      handle: (Message) -> Void) {
        let sockets = [socket] + (also.map { [$0] } ?? [])
        while !stopping.isCancelled {
            let ready = Socket.poll(sockets, timeout: 100)
            if ready.count > 1, ready[1], let also { _ = try? also.receive() }
            guard ready.first == true else { continue }
            let frames: [[UInt8]]
            do { frames = try socket.receive() } catch {
                if let error = error as? SocketError, error.isInterrupted { continue }
                Log.write("\(name): \(error)")
                continue
            }
            do {
                handle(try Message.decode(frames, signer: requests.publisher.signer))
            } catch {
                Log.write("\(name): dropped a message: \(error)")
            }
        }
    }
}
