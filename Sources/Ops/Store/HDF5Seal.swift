#if canImport(Glibc)
import Glibc
#endif

/// A CRC-32 seal in the 512-byte user block of every HDF5 file the results store writes,
/// checked before libhdf5 reads a byte of the file.
///
/// libhdf5 (1.10.8, as h5py's) trusts the structures it reads: fuzzing found damaged files that
/// crash it (a memcpy with a length from a corrupt global heap), hang it (its global-heap
/// decoder) or make it ask for terabytes. A damaged store (a failed copy, a disk error, a crash
/// of another program writing to it) must instead be an error with a message and leave the REPL
/// running. The store's files are immutable once written (the index is replaced whole), so a
/// checksum of the file's bytes fits. The user block is HDF5's own place for foreign data: the
/// library and h5py skip it, so the files stay plain HDF5 for other tools.
///
/// A file is refused when its seal is missing or does not match. A forged file with a correct
/// seal is not defended against: stores are seedlora's own output, not an exchange format
/// (docs/store.md, "Safety").
enum HDF5Seal {
    /// The user block size (HDF5 requires a power of two >= 512).
    static let userBlockSize = 512
    /// "seedlora-h5-crc1": marks a sealed file and the seal's layout version.
    static let magic: [UInt8] = Array("seedlora-h5-crc1".utf8)

    /// Layout of the user block: magic (16 bytes), the length of what follows the user block
    /// (UInt64, little-endian), its CRC-32 (UInt32, little-endian), zeros.
    static func header(length: Int, crc: UInt32) -> [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: UInt64(length).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
        return bytes
    }

    /// Seals the closed file at `path` (written with a user block by `HDF5File.create`).
    static func seal(_ path: String) throws {
        let file = try MappedFile(path: path)
        guard file.size >= userBlockSize else {
            throw SeedloraError(.io, path: path, "cannot seal: the file is shorter than its user block")
        }
        let crc = file.withBytes(userBlockSize..<file.size) { CRC32.checksum($0) }
        let bytes = header(length: file.size - userBlockSize, crc: crc)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SeedloraError(.io, path: path, "cannot open to seal: \(MappedFile.errnoText())") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == bytes.count else {
            throw SeedloraError(.io, path: path, "cannot write the seal: \(MappedFile.errnoText())")
        }
    }

    /// Throws unless the file at `path` carries a seal that matches its bytes.
    static func verify(_ path: String) throws {
        // Checked at every open (the CRC runs at memory speed): a cache keyed by inode and time
        // could be fooled by a file replaced within the file system's timestamp granularity.
        let file = try MappedFile(path: path)
        let damaged = "is damaged or was not written by seedlora"
        let advice = "it was not opened (libhdf5 can crash on damaged files); delete the store directory, or move it away, and run again"
        guard file.size >= userBlockSize else {
            throw SeedloraError(path: path, "\(damaged): it is \(file.size) bytes, shorter than the \(userBlockSize)-byte seal; \(advice)")
        }
        let stored = file.withBytes(0..<(magic.count + 12)) { Array($0) }
        guard Array(stored.prefix(magic.count)) == magic else {
            throw SeedloraError(path: path, "\(damaged): its first bytes are not seedlora's integrity seal; \(advice)")
        }
        let length = stored[magic.count..<(magic.count + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let crc = stored[(magic.count + 8)...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard length == UInt64(file.size - userBlockSize) else {
            throw SeedloraError(path: path, "\(damaged): it is \(file.size - userBlockSize) bytes after the seal, the seal says \(length) (truncated or appended to?); \(advice)")
        }
        let actual = file.withBytes(userBlockSize..<file.size) { CRC32.checksum($0) }
        guard actual == crc else {
            throw SeedloraError(path: path, "\(damaged): its CRC-32 is \(hex(actual)), the seal says \(hex(crc)) (changed after it was written); \(advice)")
        }
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
