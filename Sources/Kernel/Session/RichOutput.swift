import Ops

/// One way to show a value in a front end that can do more than text (a notebook).
///
/// Every value has `.plainText`; tensors and tables add `.html`; a value that can draw itself
/// (a plot) adds `.png` and/or `.svg`. The notebook kernel turns these into a MIME bundle.
public enum RichRepresentation: Sendable, Equatable {
    case plainText(String)
    case html(String)
    /// PNG bytes and the image's size in pixels (sent as `width`/`height` metadata).
    case png([UInt8], width: Int, height: Int)
    case svg(String)

    public var mimeType: String {
        switch self {
        case .plainText: return "text/plain"
        case .html: return "text/html"
        case .png: return "image/png"
        case .svg: return "image/svg+xml"
        }
    }
}

/// The hook for values that can offer images: a plot value adopts this, and
/// `Value.richRepresentable` returns it, so `display(...)` and cell results show the image.
public protocol RichRepresentable {
    /// Representations beyond text/plain, best first (PNG before SVG is fine: clients choose).
    func richRepresentations() -> [RichRepresentation]
}

extension Value {
    /// The payload that can draw itself, if any.
    var richRepresentable: RichRepresentable? {
        if case let .figure(figure) = self { return figure }
        return nil
    }
}

/// Text, HTML and image forms of a value.
public enum Rich {
    /// At most this many table rows or tensor rows go into HTML.
    static let maxHTMLRows = 50

    static func representations(of value: Value) -> [RichRepresentation] {
        var out: [RichRepresentation] = [.plainText(Printer.repr(value))]
        switch value {
        case let .tensor(t): out.append(.html(tensorHTML(t)))
        case let .table(t): out.append(.html(tableHTML(t)))
        default: break   // scalars, lists, dicts, adapters: text says it all
        }
        if let drawable = value.richRepresentable { out += drawable.richRepresentations() }
        return out
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// 1-D and 2-D tensors as a table of numbers (head only when long); others as preformatted text.
    static func tensorHTML(_ t: Tensor) -> String {
        let caption = "<small>tensor, shape \(escape(Printer.shape(t.shape))), dtype \(TensorArithmetic.dtypeName(t))</small>"
        guard t.rank == 1 || t.rank == 2, t.count > 0 else {
            return "<pre>\(escape(Printer.repr(.tensor(t))))</pre>"
        }
        let rows = t.rank == 1 ? 1 : t.shape[0]
        let cols = t.rank == 1 ? t.shape[0] : t.shape[1]
        let shownCols = min(cols, 20)
        var html = "<table class=\"seed-tensor\">"
        for r in 0..<min(rows, maxHTMLRows) {
            html += "<tr>"
            for c in 0..<shownCols {
                let i = r * cols + c
                let x = i < t.data.count ? Printer.leaf(TensorArithmetic.element(t.data[i], dtype: t.dtype)) : ""
                html += "<td>\(x)</td>"
            }
            if shownCols < cols { html += "<td>...</td>" }
            html += "</tr>"
        }
        if rows > maxHTMLRows { html += "<tr><td colspan=\"\(shownCols)\">... \(rows - maxHTMLRows) more rows</td></tr>" }
        return html + "</table>" + caption
    }

    static func tableHTML(_ t: Table) -> String {
        var html = "<table class=\"seed-table\"><thead><tr>"
        for name in t.columns { html += "<th>\(escape(name))</th>" }
        html += "</tr></thead><tbody>"
        for row in t.rows.prefix(maxHTMLRows) {
            html += "<tr>"
            for j in t.columns.indices {
                let cell = j < row.count ? row[j] : .nil
                html += "<td>\(escape(Printer.str(cell)))</td>"
            }
            html += "</tr>"
        }
        html += "</tbody></table>"
        if t.rows.count > maxHTMLRows { html += "<p>... \(t.rows.count - maxHTMLRows) more rows</p>" }
        return html + "<small>\(t.rows.count) rows x \(t.columns.count) columns</small>"
    }

    /// An image file as a representation: PNG (size read from its IHDR chunk) or SVG.
    static func image(bytes: [UInt8], path: String) -> RichRepresentation? {
        let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 24, Array(bytes[0..<8]) == pngSignature {
            func u32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
            return .png(bytes, width: u32(16), height: u32(20))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if path.lowercased().hasSuffix(".svg") || text.contains("<svg") { return .svg(text) }
        return nil
    }
}
