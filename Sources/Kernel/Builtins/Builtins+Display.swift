#if canImport(Glibc)
import Glibc
#endif
import Ops

/// display and display_image: rich output for notebooks (plain text in the REPL).
enum DisplayBuiltins {
    static var all: [Builtin] { [
        Builtin("display(*values)", .general,
                "Shows each value in its richest form: a table or tensor as HTML in a notebook, a plot as an image; text in the REPL.",
                example: "display(stat(m))") { args, interp in
            for value in args.rest { show(Rich.representations(of: value), interp) }
            return .nil
        },
        Builtin("display_image(path)", .general,
                "Shows a PNG or SVG file inline in a notebook (its path in the REPL).",
                example: "display_image(\"out/figure.png\")") { args, interp in
            let path = try args.string(0)
            let bytes: [UInt8]
            do { bytes = try readBytes(interp.resolvePath(path)) } catch {
                throw args.bad(0, "a readable PNG or SVG file", got: "\(error)")
            }
            guard let image = Rich.image(bytes: bytes, path: path) else {
                throw args.bad(0, "a PNG or SVG file", got: "'\(path)'")
            }
            show([.plainText("<image \(path)>"), image], interp)
            return .nil
        },
    ] }

    /// The whole file (images are small; a 64 MiB cap keeps a wrong path from eating memory).
    static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SeedloraError(path: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 64 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw SeedloraError(path: path, "cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += buffer.prefix(n)
        }
        return bytes
    }

    private static func show(_ representations: [RichRepresentation], _ interp: Interpreter) {
        if let display = interp.host.display {
            display(representations)
        } else if case let .plainText(text)? = representations.first {
            interp.host.write(text + "\n")
        }
    }
}
