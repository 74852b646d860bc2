/// The directory of a zip archive whose entries are stored uncompressed, as `torch.save` writes them.
///
/// Only what torch's writer (miniz, "stored" entries, zip64 records) produces is accepted: one
/// disk, no encryption, no compression. Entry data are located from the central directory and the
/// local headers, and every offset and length is checked against the file, so a corrupt archive
/// gives a message, never a read out of bounds. Nothing is decompressed, so nothing can expand.
struct ZipArchive {
    struct Entry: Equatable {
        let name: String
        /// Byte range of the entry's data in the archive.
        let data: Range<Int>
        let crc32: UInt32
    }

    /// Most entries we agree to list (torch writes a handful plus one per storage).
    static let maxEntries = 1_000_000

    let entries: [Entry]
    private let index: [String: Int]

    func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    private static let localHeader: UInt32 = 0x0403_4B50
    private static let centralHeader: UInt32 = 0x0201_4B50
    private static let endOfDirectory: UInt32 = 0x0605_4B50
    private static let zip64End: UInt32 = 0x0606_4B50
    private static let zip64Locator: UInt32 = 0x0706_4B50

    /// Reads the directory of the archive in `bytes`; errors carry no path (callers add it).
    init(_ bytes: UnsafeRawBufferPointer) throws {
        let reader = ByteReader(bytes)
        let directory = try ZipArchive.directoryRange(reader)
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        var offset = directory.start
        for number in 0..<directory.count {
            let (entry, next) = try ZipArchive.centralEntry(reader, at: offset, number: number, directoryStart: directory.start)
            guard index[entry.name] == nil else { throw SeedloraError("zip entry '\(entry.name)' appears twice") }
            index[entry.name] = entries.count
            entries.append(entry)
            offset = next
        }
        guard offset <= directory.start + directory.size else {
            throw SeedloraError("zip central directory is longer than its recorded \(directory.size) bytes")
        }
        self.entries = entries
        self.index = index
    }

    /// Where the central directory is and how many entries it lists (zip64 records when present).
    private static func directoryRange(_ reader: ByteReader) throws -> (start: Int, size: Int, count: Int) {
        guard reader.count >= 22 else { throw SeedloraError("file is \(reader.count) bytes, too short for a zip archive") }
        // The end record is the last 22 bytes plus a comment of at most 65535 bytes.
        var end = reader.count - 22
        let lowest = max(0, reader.count - 22 - 65_535)
        while end >= lowest && !reader.hasSignature(endOfDirectory, at: end) { end -= 1 }
        guard end >= lowest else { throw SeedloraError("no zip end-of-central-directory record (truncated or not a zip archive)") }
        let what = "zip end-of-central-directory record"
        let disk = try reader.u16(end + 4, what), directoryDisk = try reader.u16(end + 6, what)
        var count = Int(try reader.u16(end + 10, what))
        var size = Int(try reader.u32(end + 12, what))
        var start = Int(try reader.u32(end + 16, what))
        if reader.hasSignature(zip64Locator, at: end - 20) {
            let record = Int(clamping: try reader.u64(end - 20 + 8, "zip64 end-of-central-directory locator"))
            guard reader.hasSignature(zip64End, at: record) else {
                throw SeedloraError("zip64 locator points at offset \(record), where there is no zip64 end record")
            }
            let what64 = "zip64 end-of-central-directory record"
            guard try reader.u32(record + 16, what64) == 0, try reader.u32(record + 20, what64) == 0 else {
                throw SeedloraError("zip archive spans several disks; only single-file archives are read")
            }
            count = Int(clamping: try reader.u64(record + 32, what64))
            size = Int(clamping: try reader.u64(record + 40, what64))
            start = Int(clamping: try reader.u64(record + 48, what64))
        } else if disk != 0 || directoryDisk != 0 {
            throw SeedloraError("zip archive spans several disks; only single-file archives are read")
        }
        guard count <= maxEntries else { throw SeedloraError("zip archive lists \(count) entries, more than the limit of \(maxEntries)") }
        guard start <= end, size <= end - start else {
            throw SeedloraError("zip central directory (offset \(start), \(size) bytes) lies outside the archive")
        }
        // Each central entry takes at least 46 bytes.
        guard count <= size / 46 else {
            throw SeedloraError("zip central directory of \(size) bytes cannot hold \(count) entries")
        }
        return (start, size, count)
    }

    /// One central-directory entry and the offset of the next.
    private static func centralEntry(_ reader: ByteReader, at offset: Int, number: Int, directoryStart: Int)
        throws -> (Entry, Int)
    {
        let what = "zip central directory entry \(number)"
        guard reader.hasSignature(centralHeader, at: offset) else {
            throw SeedloraError("\(what): no entry signature at offset \(offset)")
        }
        let flags = try reader.u16(offset + 8, what), method = try reader.u16(offset + 10, what)
        let crc = try reader.u32(offset + 16, what)
        var compressed = UInt64(try reader.u32(offset + 20, what)), size = UInt64(try reader.u32(offset + 24, what))
        let nameLength = Int(try reader.u16(offset + 28, what)), extraLength = Int(try reader.u16(offset + 30, what))
        let commentLength = Int(try reader.u16(offset + 32, what))
        var local = UInt64(try reader.u32(offset + 42, what))
        let nameBytes = try reader.slice(offset + 46, nameLength, what)
        guard let name = String(validating: nameBytes, as: UTF8.self) else { throw SeedloraError("\(what): name is not UTF-8") }
        // zip64: the 0xFFFFFFFF fields are in the 0x0001 extra block, in this order.
        let extra = ByteReader(try reader.slice(offset + 46 + nameLength, extraLength, what))
        var cursor = 0
        while cursor + 4 <= extra.count {
            let id = try extra.u16(cursor, what), length = Int(try extra.u16(cursor + 2, what))
            if id == 0x0001 {
                var field = cursor + 4
                if size == 0xFFFF_FFFF { size = try extra.u64(field, "\(what) zip64 size"); field += 8 }
                if compressed == 0xFFFF_FFFF { compressed = try extra.u64(field, "\(what) zip64 size"); field += 8 }
                if local == 0xFFFF_FFFF { local = try extra.u64(field, "\(what) zip64 offset"); field += 8 }
            }
            cursor += 4 + length
        }
        let entryWhat = "zip entry '\(name)'"
        guard flags & 1 == 0 else { throw SeedloraError("\(entryWhat) is encrypted") }
        guard method == 0 else {
            throw SeedloraError("\(entryWhat) is compressed (method \(method)); torch.save stores entries uncompressed and only such archives are read")
        }
        guard compressed == size else {
            throw SeedloraError("\(entryWhat) is stored but its compressed size \(compressed) differs from its size \(size)")
        }
        let data = try dataRange(reader, local: local, size: size, name: nameBytes, what: entryWhat, directoryStart: directoryStart)
        return (Entry(name: name, data: data, crc32: crc), offset + 46 + nameLength + extraLength + commentLength)
    }

    /// The data of an entry: after its local header, which must name the same file, and before the directory.
    private static func dataRange(_ reader: ByteReader, local: UInt64, size: UInt64, name: UnsafeRawBufferPointer,
                                  what: String, directoryStart: Int) throws -> Range<Int> {
        guard local < UInt64(directoryStart), size <= UInt64(directoryStart) else {
            throw SeedloraError("\(what): local header offset \(local) or size \(size) lies outside the archive")
        }
        let header = Int(local)
        guard reader.hasSignature(localHeader, at: header) else {
            throw SeedloraError("\(what): no local header at offset \(header)")
        }
        let nameLength = Int(try reader.u16(header + 26, what)), extraLength = Int(try reader.u16(header + 28, what))
        let localName = try reader.slice(header + 30, nameLength, what)
        guard localName.elementsEqual(name) else { throw SeedloraError("\(what): the local header names another file") }
        let start = header + 30 + nameLength + extraLength
        guard start <= directoryStart, Int(size) <= directoryStart - start else {
            throw SeedloraError("\(what): its \(size) bytes at offset \(start) run into the central directory")
        }
        return start..<(start + Int(size))
    }
}
