#if canImport(Glibc)
import Glibc
#endif
import Ops

/// Reads script files (UTF-8) and resolves relative paths, without Foundation.
enum SourceLoader {
    static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SeedloraError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SeedloraError(path: path, "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes += buffer.prefix(n)
            if bytes.count > 64 << 20 { throw SeedloraError(path: path, "script is larger than 64 MiB") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    static func resolve(_ path: String, relativeTo directory: String) -> String {
        path.hasPrefix("/") || directory == "." ? path : directory + "/" + path
    }
}
