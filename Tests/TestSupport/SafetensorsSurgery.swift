import Foundation
import Ops

/// Builds deliberately broken safetensors files for the bad-input tests.
public struct SafetensorsSurgery {
    /// Header entries in file order (including `__metadata__`).
    public var header: [(String, JSON)]
    public var data: [UInt8]

    /// Reads a (valid) file into its header entries and data bytes.
    public init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.1) << (8 * $1.0)) }
        let json = try bytes[8..<(8 + n)].withUnsafeBytes { try JSON.parse($0) }
        header = json.objectValue ?? []
        data = Array(bytes[(8 + n)...])
    }

    /// Replaces one field of one tensor entry.
    public mutating func set(_ tensor: String, _ field: String, to value: JSON) {
        guard let i = header.firstIndex(where: { $0.0 == tensor }), var fields = header[i].1.objectValue,
              let j = fields.firstIndex(where: { $0.0 == field }) else { return }
        fields[j].1 = value
        header[i].1 = .object(fields)
    }

    public func entry(_ tensor: String) -> JSON? { header.first(where: { $0.0 == tensor })?.1 }

    /// Removes an entry (leaving its bytes in place).
    public mutating func remove(_ tensor: String) {
        header.removeAll { $0.0 == tensor }
    }

    /// The file bytes: length prefix, header text (or `rawHeader` verbatim), data.
    public func bytes(rawHeader: String? = nil, declaredLength: UInt64? = nil) -> [UInt8] {
        var text = Array((rawHeader ?? JSON.object(header).serialized()).utf8)
        while rawHeader == nil && text.count % 8 != 0 { text.append(0x20) }
        var out = withUnsafeBytes(of: (declaredLength ?? UInt64(text.count)).littleEndian) { Array($0) }
        out += text
        out += data
        return out
    }

    public func write(to path: String, rawHeader: String? = nil, declaredLength: UInt64? = nil) throws {
        try Data(bytes(rawHeader: rawHeader, declaredLength: declaredLength)).write(to: URL(fileURLWithPath: path))
    }
}
