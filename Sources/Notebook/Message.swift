import Foundation
import Ops

/// Why a received message was dropped (logged, never fatal).
enum WireError: Error, CustomStringConvertible {
    case noDelimiter
    case tooFewFrames(Int)
    case badSignature
    case badJSON(part: String, reason: String)
    case noMessageType

    var description: String {
        switch self {
        case .noDelimiter: return "no <IDS|MSG> delimiter"
        case let .tooFewFrames(n): return "\(n) frames after the delimiter, need 5"
        case .badSignature: return "signature does not match"
        case let .badJSON(part, reason): return "\(part) is not a JSON object: \(reason)"
        case .noMessageType: return "header has no msg_type"
        }
    }
}

/// One Jupyter message (wire protocol 5.3): routing identities, the four JSON dicts, buffers.
struct Message {
    static let delimiter = Array("<IDS|MSG>".utf8)
    static let protocolVersion = "5.3"

    var identities: [[UInt8]]
    var header: JSON
    var parentHeader: JSON
    var metadata: JSON
    var content: JSON

    var type: String { header["msg_type"]?.stringValue ?? "" }
    var id: String { header["msg_id"]?.stringValue ?? "" }

    /// Parses frames as received, verifying the signature over the received bytes.
    static func decode(_ frames: [[UInt8]], signer: Signer) throws -> Message {
        guard let split = frames.firstIndex(of: delimiter) else { throw WireError.noDelimiter }
        let rest = Array(frames[(split + 1)...])
        guard rest.count >= 5 else { throw WireError.tooFewFrames(rest.count) }
        let signed = Array(rest[1...4])
        guard signer.verify(rest[0], signed) else { throw WireError.badSignature }
        func object(_ bytes: [UInt8], _ part: String) throws -> JSON {
            let json: JSON
            do { json = try bytes.withUnsafeBytes { try JSON.parse($0) } } catch {
                throw WireError.badJSON(part: part, reason: "\(error)")
            }
            guard json.objectValue != nil else { throw WireError.badJSON(part: part, reason: "not an object") }
            return json
        }
        let header = try object(signed[0], "header")
        guard header["msg_type"]?.stringValue != nil else { throw WireError.noMessageType }
        return Message(identities: Array(frames[..<split]), header: header,
                       parentHeader: try object(signed[1], "parent_header"),
                       metadata: try object(signed[2], "metadata"), content: try object(signed[3], "content"))
    }

    /// The frames to send: identities, delimiter, signature, header, parent, metadata, content.
    func encode(signer: Signer) -> [[UInt8]] {
        let parts = [header, parentHeader, metadata, content].map { Array($0.serialized().utf8) }
        return identities + [Message.delimiter, Array(signer.signature(parts).utf8)] + parts
    }

    /// A new message with a fresh id, answering `parent` (or no parent).
    static func make(_ type: String, content: JSON, parent: JSON = .object([]), session: String,
                     identities: [[UInt8]] = []) -> Message {
        let header = JSON.object([
            ("msg_id", .string(UUID().uuidString.lowercased())),
            ("session", .string(session)),
            ("username", .string("seedlora")),
            ("date", .string(timestamp())),
            ("msg_type", .string(type)),
            ("version", .string(protocolVersion)),
        ])
        return Message(identities: identities, header: header, parentHeader: parent, metadata: .object([]), content: content)
    }

    /// ISO 8601 UTC with microseconds, as Jupyter writes dates.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }
}

/// Reading request content leniently: a missing or mistyped field gets the default.
extension JSON {
    func string(_ key: String, default value: String = "") -> String { self[key]?.stringValue ?? value }
    func bool(_ key: String, default value: Bool) -> Bool { self[key]?.boolValue ?? value }
    func int(_ key: String, default value: Int) -> Int {
        self[key]?.numberValue.flatMap { Int(exactly: $0) } ?? value
    }
}
