#if canImport(Glibc)
import Glibc
#endif

/// Writes script output straight to file descriptor 1: no stdio buffer, so output shows as
/// it happens and interleaves correctly with the line editor and with stderr.
enum Output {
    static func write(_ text: String, fd: Int32 = 1) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                return   // a closed pipe: nothing sensible to do with the output
            }
            offset += n
        }
    }
}
