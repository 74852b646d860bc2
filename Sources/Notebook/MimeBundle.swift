import Kernel
import Ops

/// Representations as a Jupyter MIME bundle: `data` keyed by type (PNG as base64, with its
/// size in `metadata`), `metadata`. Text never holds NaN (Seed prints it as `nan`), and the
/// JSON writer turns any non-finite number into null.
enum MimeBundle {
    static func make(_ representations: [RichRepresentation]) -> (data: JSON, metadata: JSON) {
        var data: [(String, JSON)] = []
        var metadata: [(String, JSON)] = []
        for representation in representations where !data.contains(where: { $0.0 == representation.mimeType }) {
            switch representation {
            case let .plainText(text), let .html(text), let .svg(text):
                data.append((representation.mimeType, .string(text)))
            case let .png(bytes, width, height):
                data.append((representation.mimeType, .string(Base64.encode(bytes))))
                metadata.append((representation.mimeType, .object([("width", .number(Double(width))),
                                                                   ("height", .number(Double(height)))])))
            }
        }
        return (.object(data), .object(metadata))
    }
}

enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(triple >> 18 & 63)])
            out.append(alphabet[Int(triple >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(triple & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
