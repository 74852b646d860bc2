import Ops

/// The connection file a Jupyter client writes for a kernel it starts.
struct ConnectionInfo {
    var transport: String
    var ip: String
    var shellPort: Int
    var iopubPort: Int
    var stdinPort: Int
    var controlPort: Int
    var heartbeatPort: Int
    var key: [UInt8]

    static func parse(_ text: String) throws -> ConnectionInfo {
        let json = try JSON.parse(text)
        func port(_ name: String) throws -> Int {
            guard let n = json[name]?.numberValue.flatMap({ Int(exactly: $0) }), (0...65535).contains(n) else {
                throw SeedloraError("connection file: '\(name)' must be a port number")
            }
            return n
        }
        let scheme = json["signature_scheme"]?.stringValue ?? "hmac-sha256"
        guard scheme == "hmac-sha256" else {
            throw SeedloraError("connection file: signature_scheme '\(scheme)' is not supported (only hmac-sha256)")
        }
        return ConnectionInfo(transport: json["transport"]?.stringValue ?? "tcp", ip: json["ip"]?.stringValue ?? "127.0.0.1",
                              shellPort: try port("shell_port"), iopubPort: try port("iopub_port"),
                              stdinPort: try port("stdin_port"), controlPort: try port("control_port"),
                              heartbeatPort: try port("hb_port"), key: Array((json["key"]?.stringValue ?? "").utf8))
    }

    /// `tcp://ip:port`, or `ipc://ip-port` for the ipc transport.
    func endpoint(_ port: Int) -> String {
        transport == "ipc" ? "ipc://\(ip)-\(port)" : "\(transport)://\(ip):\(port)"
    }
}
