import Foundation

/// Builds torch.save-like archives byte by byte, for tests of the restricted reader: hand-written
/// pickles (with `Pickle`) inside a zip of stored entries (with `StoredZip`), so every rule can be
/// broken on purpose without Python.
public enum Pickle {
    public static let proto2: [UInt8] = [0x80, 0x02]
    public static let stop: [UInt8] = [0x2E]
    public static let mark: [UInt8] = [0x28]
    public static let emptyDict: [UInt8] = [0x7D]
    public static let emptyTuple: [UInt8] = [0x29]
    public static let tuple: [UInt8] = [0x74]
    public static let tuple1: [UInt8] = [0x85]
    public static let reduce: [UInt8] = [0x52]
    public static let setItems: [UInt8] = [0x75]
    public static let setItem: [UInt8] = [0x73]
    public static let persistentID: [UInt8] = [0x51]
    public static let newFalse: [UInt8] = [0x89]

    public static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [0x58] + withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) } + utf8
    }

    /// BININT1, BININT2 or BININT, whichever fits.
    public static func int(_ value: Int) -> [UInt8] {
        if (0..<256).contains(value) { return [0x4B, UInt8(value)] }
        if (0..<65536).contains(value) { return [0x4D] + withUnsafeBytes(of: UInt16(value).littleEndian) { Array($0) } }
        return [0x4A] + withUnsafeBytes(of: Int32(truncatingIfNeeded: value).littleEndian) { Array($0) }
    }

    public static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    /// A tuple of integers (TUPLE from a MARK).
    public static func ints(_ values: [Int]) -> [UInt8] {
        mark + values.flatMap(int) + tuple
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` as torch writes it.
    public static func tensor(storage key: String, type: String = "FloatStorage", count: Int, offset: Int = 0,
                              shape: [Int], strides: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + mark
            + mark + string("storage") + global("torch", type) + string(key) + string("cpu") + int(count) + tuple + persistentID
            + int(offset) + ints(shape) + ints(strides) + newFalse
            + global("collections", "OrderedDict") + emptyTuple + reduce
            + tuple + reduce
    }

    /// A whole pickle: `{name: tensor, ...}`.
    public static func stateDict(_ items: [(String, [UInt8])]) -> [UInt8] {
        proto2 + emptyDict + mark + items.flatMap { string($0.0) + $0.1 } + setItems + stop
    }
}

/// A zip archive of stored (uncompressed) entries with correct CRCs, as torch.save writes.
public struct StoredZip {
    public var entries: [(name: String, data: [UInt8])] = []
    /// Overrides the compression method written for every entry (to test refusals).
    public var method: UInt16 = 0

    public init(_ entries: [(String, [UInt8])] = []) { self.entries = entries.map { (name: $0.0, data: $0.1) } }

    /// A torch archive: `archive/data.pkl`, the storages as `archive/data/<key>`, version, byteorder.
    public static func torch(pickle: [UInt8], storages: [(String, [UInt8])], byteorder: String = "little") -> StoredZip {
        StoredZip([("archive/data.pkl", pickle), ("archive/byteorder", Array(byteorder.utf8))]
                  + storages.map { ("archive/data/" + $0.0, $0.1) } + [("archive/version", Array("3\n".utf8))])
    }

    public func bytes() -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, data) in entries {
            let offset = out.count, nameBytes = Array(name.utf8), crc = StoredZip.crc32(data)
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count)) + le16(0) + nameBytes + data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(method) + le16(0) + le16(0) + le32(crc)
                + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(nameBytes.count)) + le16(0) + le16(0)
                + le16(0) + le16(0) + le32(0) + le32(UInt32(offset)) + nameBytes
        }
        let start = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
            + le32(UInt32(central.count)) + le32(UInt32(start)) + le16(0)
        return out
    }

    public func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path))
    }

    private func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    /// Bitwise CRC-32 (independent of the reader's table-driven one).
    public static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Little-endian float32 bytes.
public func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}
