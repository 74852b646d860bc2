/// A `torch.save` file of a state dict (`adapter_model.bin`), read without running it.
///
/// The format since PyTorch 1.6 is a zip archive of stored entries under one top directory:
/// `<dir>/data.pkl` (the pickled state dict, whose tensors name their storages by key),
/// `<dir>/data/<key>` (each storage's raw little-endian bytes), `<dir>/version`, `<dir>/byteorder`.
/// The pickle is read by `TorchUnpickler`, which refuses anything but tensor records; every storage
/// a tensor uses must exist, hold exactly the bytes its record declares, and pass its CRC. The
/// older non-zip format (PyTorch < 1.6, `_use_new_zipfile_serialization=False`) is refused with
/// advice: PEFT has never written it. See docs/formats.md.
///
/// `TensorEntry.begin`/`end` are byte offsets in the archive of the span a tensor's view covers.
public final class TorchCheckpoint: TensorFile, @unchecked Sendable {
    /// The largest `data.pkl` read (a state dict of 10,000 tensors pickles to about 2 MB).
    public static let maxPickleBytes = 64 << 20

    public let path: String
    public let entries: [TensorEntry]
    private let file: MappedFile
    private let views: [String: View]

    /// Where a tensor's elements are: its record and the archive offset of its storage's bytes.
    struct View {
        let record: TorchTensorRecord
        let storageStart: Int
    }

    /// The validated contents of an archive, before any tensor is converted.
    struct Layout {
        var entries: [TensorEntry] = []
        var views: [String: View] = [:]
    }

    public convenience init(path: String) throws {
        try self.init(path: path, verifyChecksums: true)
    }

    /// `verifyChecksums: false` skips the CRC checks (for fuzzing the structure below them).
    init(path: String, verifyChecksums: Bool) throws {
        self.path = path
        let file = try MappedFile(path: path)
        self.file = file
        do {
            let layout = try file.withBytes(0..<file.size) { try Self.layout($0, verifyChecksums: verifyChecksums) }
            entries = layout.entries
            views = layout.views
        } catch let error as SeedloraError {
            throw error.located(in: path)
        }
    }

    public func tensor(_ entry: TensorEntry) throws -> Tensor {
        guard let view = views[entry.name] else { throw SeedloraError(path: path, "no tensor named '\(entry.name)'") }
        do {
            return try file.withBytes(0..<file.size) { try Self.tensor(view, name: entry.name, in: $0) }
        } catch let error as SeedloraError {
            throw error.located(in: path)
        }
    }

    // MARK: layout

    /// The legacy (non-zip) format starts with the pickled magic number 0x1950a86a20f9469cfc6c.
    private static let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    static func layout(_ bytes: UnsafeRawBufferPointer, verifyChecksums: Bool) throws -> Layout {
        guard bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) else {
            if bytes.starts(with: legacyMagic) {
                throw SeedloraError("legacy torch.save format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which seedlora does not read; re-save it with a current torch, or convert the adapter to safetensors with PEFT: model.save_pretrained(dir, safe_serialization=True)")
            }
            throw SeedloraError("not a torch.save archive (expected a zip file starting with 'PK')")
        }
        let archive: ZipArchive
        do { archive = try ZipArchive(bytes) } catch let error as SeedloraError {
            throw SeedloraError("not a readable torch.save archive: \(error.message)")
        }
        guard let first = archive.entries.first, let slash = first.name.firstIndex(of: "/") else {
            throw SeedloraError("torch.save archive has no top directory (expected entries such as archive/data.pkl)")
        }
        let prefix = String(first.name[...slash])
        let reader = ByteReader(bytes)
        if let order = archive.entry(prefix + "byteorder") {
            let text = try reader.slice(order.data.lowerBound, order.data.count, prefix + "byteorder")
            guard text.elementsEqual("little".utf8) else {
                throw SeedloraError("\(prefix)byteorder is '\(String(decoding: text, as: UTF8.self))'; only little-endian archives are read")
            }
        }
        guard let pickleEntry = archive.entry(prefix + "data.pkl") else {
            throw SeedloraError("torch.save archive has no \(prefix)data.pkl")
        }
        guard pickleEntry.data.count <= maxPickleBytes else {
            throw SeedloraError("\(pickleEntry.name) is \(pickleEntry.data.count) bytes, more than the limit of \(maxPickleBytes)")
        }
        let pickle = try contents(of: pickleEntry, in: reader, verify: verifyChecksums)
        let state: [(name: String, tensor: TorchTensorRecord)]
        do { state = try TorchUnpickler.stateDict(pickle) } catch let error as SeedloraError {
            throw SeedloraError("\(pickleEntry.name): \(error.message)")
        }
        var layout = Layout()
        var storages: [String: (ref: TorchStorageRef, start: Int)] = [:]
        for (name, record) in state {
            let storage = record.storage
            let start: Int
            if let known = storages[storage.key] {
                guard known.ref.dtype == storage.dtype, known.ref.count == storage.count else {
                    throw SeedloraError("storage '\(storage.key)' is declared as \(known.ref.count) x \(known.ref.typeName) and as \(storage.count) x \(storage.typeName)")
                }
                start = known.start
            } else {
                start = try storageStart(storage, prefix: prefix, archive: archive, reader: reader, verify: verifyChecksums)
                storages[storage.key] = (storage, start)
            }
            let size = storage.dtype.size
            layout.entries.append(TensorEntry(name: name, dtype: storage.dtype, shape: record.shape,
                                              begin: start + record.offset * size, end: start + record.extent * size))
            layout.views[name] = View(record: record, storageStart: start)
        }
        return layout
    }

    /// Checks the storage's entry (present, of the declared size, CRC) and returns where its bytes start.
    private static func storageStart(_ storage: TorchStorageRef, prefix: String, archive: ZipArchive, reader: ByteReader,
                                     verify: Bool) throws -> Int {
        let name = prefix + "data/" + storage.key
        guard let entry = archive.entry(name) else {
            throw SeedloraError("storage '\(storage.key)' is used by a tensor but the archive has no \(name)")
        }
        let (bytes, overflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.size)
        guard !overflow, bytes == entry.data.count else {
            throw SeedloraError("\(name) holds \(entry.data.count) bytes but its record declares \(storage.count) x torch.\(storage.typeName)")
        }
        _ = try contents(of: entry, in: reader, verify: verify)
        return entry.data.lowerBound
    }

    /// An entry's bytes, after checking its CRC when `verify`.
    private static func contents(of entry: ZipArchive.Entry, in reader: ByteReader, verify: Bool) throws -> UnsafeRawBufferPointer {
        let bytes = try reader.slice(entry.data.lowerBound, entry.data.count, entry.name)
        if verify {
            let crc = CRC32.checksum(bytes)
            guard crc == entry.crc32 else {
                throw SeedloraError("\(entry.name) is corrupt: its CRC-32 is \(hex(crc)) but the archive records \(hex(entry.crc32))")
            }
        }
        return bytes
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    // MARK: conversion

    /// The view's elements in row-major order, converted to Float32.
    static func tensor(_ view: View, name: String, in bytes: UnsafeRawBufferPointer) throws -> Tensor {
        let record = view.record, size = record.storage.dtype.size
        let storage = try ByteReader(bytes).slice(view.storageStart, record.storage.count * size, "storage '\(record.storage.key)'")
        let data: [Float]
        if record.isContiguous {
            let raw = try ByteReader(storage).slice(record.offset * size, record.count * size, "tensor '\(name)'")
            data = try DTypeConversion.toFloat(raw, dtype: record.storage.dtype, count: record.count, name: name)
        } else {
            let gathered = try gather(record, from: storage, name: name)
            data = try gathered.withUnsafeBytes {
                try DTypeConversion.toFloat($0, dtype: record.storage.dtype, count: record.count, name: name)
            }
        }
        return try Tensor(shape: record.shape, data: data)
    }

    /// Copies a strided view's elements into row-major order (the record's extent is inside `storage`).
    private static func gather(_ record: TorchTensorRecord, from storage: UnsafeRawBufferPointer, name: String) throws -> [UInt8] {
        let size = record.storage.dtype.size
        guard record.extent * size <= storage.count else {
            throw SeedloraError("tensor '\(name)' reaches past the end of storage '\(record.storage.key)'")
        }
        var out = [UInt8](repeating: 0, count: record.count * size)
        var index = [Int](repeating: 0, count: record.shape.count)
        var source = record.offset
        for n in 0..<record.count {
            for k in 0..<size { out[n * size + k] = storage[source * size + k] }
            var d = record.shape.count - 1
            while d >= 0 {
                index[d] += 1
                source += record.strides[d]
                if index[d] < record.shape[d] { break }
                source -= record.strides[d] * record.shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
