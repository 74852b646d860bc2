import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Ops
import TestSupport

/// Reads back what the renderer wrote: PNG headers and SVG text.
enum FigureChecks {
    /// Width and height from a PNG's IHDR chunk, or nil when the file is not a PNG.
    static func pngSize(_ path: String) throws -> (width: Int, height: Int)? {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(24))
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.count == 24, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8)
        else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// The character data of an SVG file (all text nodes joined by newlines), or the XML parser's
    /// error when the file is not well-formed.
    static func svgText(_ path: String) throws -> Result<String, SVGError> {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let parser = XMLParser(data: data)
        let collector = TextCollector()
        parser.delegate = collector
        guard parser.parse() else {
            return .failure(SVGError(message: parser.parserError.map { "\($0)" } ?? "not well-formed XML"))
        }
        guard collector.root == "svg" else { return .failure(SVGError(message: "root element is <\(collector.root ?? "none")>, not <svg>")) }
        return .success(collector.texts.joined(separator: "\n"))
    }

    /// A directory for rendered figures: `SEEDLORA_PLOT_OUT` when set (kept, to look at them),
    /// else a fresh temporary directory that `cleanUp` removes.
    static func outputDirectory(_ label: String) throws -> (path: String, cleanUp: () -> Void) {
        if let keep = ProcessInfo.processInfo.environment["SEEDLORA_PLOT_OUT"], !keep.isEmpty {
            try FilePaths.makeDirectories(keep)
            return (keep, {})
        }
        let dir = try Fixtures.temporaryDirectory(label)
        return (dir, { FilePaths.removeTree(dir) })
    }
}

struct SVGError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Collects text nodes and the root element's name.
private final class TextCollector: NSObject, XMLParserDelegate {
    var texts: [String] = []
    var root: String?
    private var current = ""

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        if root == nil { root = elementName }
        flush()
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?) {
        flush()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    private func flush() {
        let text = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { texts.append(text) }
        current = ""
    }
}
