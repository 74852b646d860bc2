internal import CHDF5
import Foundation

/// A thin, checked layer over the HDF5 C library: the only file that sees its API.
///
/// - Every C call runs inside `HDF5.locked`, one process-wide recursive lock. HDF5 builds differ
///   (Debian 12's libhdf5 1.10.8 says "Threadsafety: yes" in libhdf5.settings, others say no), so
///   we never rely on the library's own lock. Callers take the same lock around a whole store
///   operation so that its calls are not interleaved with another thread's.
/// - In a thread-safe build the error stack and its automatic printing are per thread, so
///   printing is turned off on whichever thread takes the lock.
/// - Every id is owned by an `H5Handle`, closed by `close()` or at the latest by `deinit`.
/// - HDF5's automatic error printing is turned off; a failed call becomes a `SeedloraError`
///   naming the file, what we were doing, and the messages from HDF5's error stack.
/// - Text is variable-length UTF-8 (h5py reads it as `str`); names are created as UTF-8.
enum HDF5 {
    private static let lock = NSRecursiveLock()

    /// Runs `body` holding the process-wide HDF5 lock (re-entrant).
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        // Initialises the library if needed; the error settings belong to the calling thread.
        _ = seedlora_H5_silence_errors()
        return try body()
    }

    /// The version of the HDF5 library in use ("1.10.8").
    static var libraryVersion: String {
        locked {
            var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
            guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
            return "\(major).\(minor).\(release)"
        }
    }

    /// The messages on HDF5's error stack, outermost call first; clears the stack.
    static func errorStackMessage() -> String {
        var entries: [(function: String, description: String)] = []
        withUnsafeMutablePointer(to: &entries) { pointer in
            _ = H5Ewalk2(seedlora_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, error, data in
                guard let error, let data else { return 0 }
                let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
                let description = error.pointee.desc.map { String(cString: $0) } ?? ""
                data.assumingMemoryBound(to: [(function: String, description: String)].self).pointee
                    .append((function, description))
                return 0
            }, pointer)
        }
        _ = H5Eclear2(seedlora_H5E_DEFAULT())
        guard let outer = entries.first else { return "HDF5 reported no details" }
        var text = "\(outer.function)(): \(outer.description)"
        if entries.count > 1, let inner = entries.last, inner.description != outer.description {
            text += " (\(inner.function)(): \(inner.description))"
        }
        return text
    }

    /// The error for a failed call: where, what, and HDF5's own words.
    static func failure(_ path: String, _ what: String) -> SeedloraError {
        SeedloraError(.io, path: path, "\(what): \(errorStackMessage())")
    }

    static func check(_ status: herr_t, _ path: String, _ what: @autoclosure () -> String) throws {
        if status < 0 { throw failure(path, what()) }
    }

    static func handle(_ id: hid_t, _ kind: H5Handle.Kind, _ path: String,
                       _ what: @autoclosure () -> String) throws -> H5Handle {
        guard id >= 0 else { throw failure(path, what()) }
        return H5Handle(id, kind)
    }

    /// Largest element count we agree to read from a file (a guard against corrupt headers).
    static let maxElements = 1 << 31

    /// A chunk shape of at most ~1 MiB for a dataset of `shape` (halving the largest dimension).
    static func chunkShape(_ shape: [Int], elementSize: Int) -> [Int] {
        var chunk = shape.map { max($0, 1) }
        while chunk.reduce(elementSize, *) > 1 << 20 {
            guard let largest = chunk.indices.max(by: { chunk[$0] < chunk[$1] }), chunk[largest] > 1 else { break }
            chunk[largest] = (chunk[largest] + 1) / 2
        }
        return chunk
    }
}

/// Owns one HDF5 identifier and closes it exactly once.
final class H5Handle {
    enum Kind { case file, group, dataset, attribute, datatype, dataspace, propertyList, object }
    let id: hid_t
    let kind: Kind
    private var isOpen = true

    init(_ id: hid_t, _ kind: Kind) {
        self.id = id
        self.kind = kind
    }

    deinit { _ = close() }

    /// Closes the identifier (once); returns HDF5's status.
    @discardableResult
    func close() -> herr_t {
        HDF5.locked {
            guard isOpen else { return 0 }
            isOpen = false
            switch kind {
            case .file: return H5Fclose(id)
            case .group: return H5Gclose(id)
            case .dataset: return H5Dclose(id)
            case .attribute: return H5Aclose(id)
            case .datatype: return H5Tclose(id)
            case .dataspace: return H5Sclose(id)
            case .propertyList: return H5Pclose(id)
            case .object: return H5Oclose(id)
            }
        }
    }
}

/// Property lists and datatypes built the same way every time.
private enum Make {
    /// Link creation: names in UTF-8.
    static func linkCreation(_ path: String) throws -> H5Handle {
        let plist = try HDF5.handle(H5Pcreate(seedlora_H5P_LINK_CREATE()), .propertyList, path, "cannot create a property list")
        try HDF5.check(H5Pset_char_encoding(plist.id, H5T_CSET_UTF8), path, "cannot set UTF-8 link names")
        return plist
    }

    /// Group creation: members and attributes keep their creation order; no timestamps, so the
    /// same values give the same bytes.
    static func groupCreation(_ path: String) throws -> H5Handle {
        let plist = try HDF5.handle(H5Pcreate(seedlora_H5P_GROUP_CREATE()), .propertyList, path, "cannot create a property list")
        let order = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
        try HDF5.check(H5Pset_link_creation_order(plist.id, order), path, "cannot track link order")
        try HDF5.check(H5Pset_attr_creation_order(plist.id, order), path, "cannot track attribute order")
        try HDF5.check(H5Pset_obj_track_times(plist.id, false), path, "cannot turn off timestamps")
        return plist
    }

    static func datasetCreation(_ path: String) throws -> H5Handle {
        let plist = try HDF5.handle(H5Pcreate(seedlora_H5P_DATASET_CREATE()), .propertyList, path, "cannot create a property list")
        let order = UInt32(H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)
        try HDF5.check(H5Pset_attr_creation_order(plist.id, order), path, "cannot track attribute order")
        try HDF5.check(H5Pset_obj_track_times(plist.id, false), path, "cannot turn off timestamps")
        return plist
    }

    static func attributeCreation(_ path: String) throws -> H5Handle {
        let plist = try HDF5.handle(H5Pcreate(seedlora_H5P_ATTRIBUTE_CREATE()), .propertyList, path, "cannot create a property list")
        try HDF5.check(H5Pset_char_encoding(plist.id, H5T_CSET_UTF8), path, "cannot set UTF-8 attribute names")
        return plist
    }

    /// Variable-length UTF-8 strings (read by h5py as `str`).
    static func utf8String(_ path: String) throws -> H5Handle {
        let type = try HDF5.handle(H5Tcopy(seedlora_H5T_C_S1()), .datatype, path, "cannot create a string type")
        try HDF5.check(H5Tset_size(type.id, seedlora_H5T_VARIABLE()), path, "cannot make a variable-length string type")
        try HDF5.check(H5Tset_cset(type.id, H5T_CSET_UTF8), path, "cannot make a UTF-8 string type")
        return type
    }

    /// h5py's boolean: an int8 enum with FALSE = 0 and TRUE = 1 (read by numpy as `bool`).
    static func boolEnum(_ path: String) throws -> H5Handle {
        let type = try HDF5.handle(H5Tenum_create(seedlora_H5T_NATIVE_INT8()), .datatype, path, "cannot create a bool type")
        var no: Int8 = 0, yes: Int8 = 1
        try HDF5.check(H5Tenum_insert(type.id, "FALSE", &no), path, "cannot create a bool type")
        try HDF5.check(H5Tenum_insert(type.id, "TRUE", &yes), path, "cannot create a bool type")
        return type
    }

    /// A scalar dataspace for `nil`, else a simple one with these dimensions.
    static func dataspace(_ shape: [Int]?, _ path: String) throws -> H5Handle {
        guard let shape else {
            return try HDF5.handle(H5Screate(H5S_SCALAR), .dataspace, path, "cannot create a dataspace")
        }
        if shape.isEmpty { return try HDF5.handle(H5Screate(H5S_SCALAR), .dataspace, path, "cannot create a dataspace") }
        let dims = shape.map { hsize_t($0) }
        return try HDF5.handle(H5Screate_simple(Int32(dims.count), dims, nil), .dataspace, path, "cannot create a dataspace")
    }
}

/// C strings for a write of variable-length strings, freed on deinit.
private final class CStrings {
    var pointers: [UnsafePointer<CChar>?] = []

    init(_ strings: [String], _ path: String, _ what: String) throws {
        for string in strings {
            guard !string.utf8.contains(0) else {
                throw SeedloraError(path: path, "\(what): text contains a NUL character, which HDF5 strings cannot hold")
            }
            guard let copy = strdup(string) else { throw SeedloraError(.io, path: path, "\(what): out of memory") }
            pointers.append(UnsafePointer(copy))
        }
    }

    deinit { for pointer in pointers { free(UnsafeMutableRawPointer(mutating: pointer)) } }
}

/// Reads variable-length strings with `read` into C pointers, decodes them as UTF-8, reclaims the memory.
private func readVariableStrings(count: Int, space: hid_t, _ path: String, _ what: String,
                                 _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
    let type = try Make.utf8String(path)
    var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
    if count == 0 { return [] }
    let status = pointers.withUnsafeMutableBytes { raw in raw.baseAddress.map { read(type.id, $0) } ?? -1 }
    try HDF5.check(status, path, what)
    defer {
        _ = pointers.withUnsafeMutableBytes { raw in
            raw.baseAddress.map { H5Dvlen_reclaim(type.id, space, seedlora_H5P_DEFAULT(), $0) } ?? 0
        }
    }
    return try pointers.map { pointer in
        guard let pointer else { return "" }
        guard let text = String(validatingCString: pointer) else {
            throw SeedloraError(path: path, "\(what): text is not valid UTF-8")
        }
        return text
    }
}

/// The element type of a dataset or attribute, as far as the store cares.
enum H5ElementType: Equatable {
    case integer(size: Int, signed: Bool)
    case float(size: Int)
    case string(variable: Bool)
    case enumeration
    case other

    /// Call with the HDF5 lock held.
    fileprivate init(_ type: hid_t) {
        switch H5Tget_class(type) {
        case H5T_INTEGER: self = .integer(size: H5Tget_size(type), signed: H5Tget_sign(type) == H5T_SGN_2)
        case H5T_FLOAT: self = .float(size: H5Tget_size(type))
        case H5T_STRING: self = .string(variable: H5Tis_variable_str(type) > 0)
        case H5T_ENUM: self = .enumeration
        default: self = .other
        }
    }
}

/// A dataset or attribute shape: `[]` for a scalar.
private func shapeOf(space: hid_t, _ path: String, _ what: String) throws -> [Int] {
    let rank = H5Sget_simple_extent_ndims(space)
    guard rank >= 0 else { throw HDF5.failure(path, what) }
    if rank == 0 { return [] }
    var dims = [hsize_t](repeating: 0, count: Int(rank))
    guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else { throw HDF5.failure(path, what) }
    var shape: [Int] = []
    var count = 1
    for dim in dims {
        guard dim <= UInt64(HDF5.maxElements) else { throw SeedloraError(path: path, "\(what): dimension \(dim) is too large") }
        shape.append(Int(dim))
        count *= Int(dim)
        guard count <= HDF5.maxElements else { throw SeedloraError(path: path, "\(what): shape \(dims) is too large") }
    }
    return shape
}

/// An open HDF5 file.
final class HDF5File {
    let path: String
    private let handle: H5Handle

    private init(path: String, handle: H5Handle) {
        self.path = path
        self.handle = handle
    }

    /// Creates a new file; fails if `path` exists. Closing it closes everything still open in it
    /// (HDF5's "strong" close), so `close()` returning means the bytes were handed to the OS.
    static func create(_ path: String) throws -> HDF5File {
        try HDF5.locked {
            let fapl = try HDF5.handle(H5Pcreate(seedlora_H5P_FILE_ACCESS()), .propertyList, path, "cannot create a property list")
            try HDF5.check(H5Pset_fclose_degree(fapl.id, H5F_CLOSE_STRONG), path, "cannot set the close degree")
            // A user block for the integrity seal (HDF5Seal), written after the file is closed.
            let fcpl = try HDF5.handle(H5Pcreate(seedlora_H5P_FILE_CREATE()), .propertyList, path, "cannot create a property list")
            try HDF5.check(H5Pset_userblock(fcpl.id, hsize_t(HDF5Seal.userBlockSize)), path, "cannot reserve the user block")
            let id = H5Fcreate(path, seedlora_H5F_ACC_EXCL(), fcpl.id, fapl.id)
            return HDF5File(path: path, handle: try HDF5.handle(id, .file, path, "cannot create HDF5 file"))
        }
    }

    /// Runs `body` on the root group of the file at `path`, opened read-only, and closes it.
    static func reading<T>(_ path: String, _ body: (HDF5Group) throws -> T) throws -> T {
        try HDF5.locked {
            let file = try openReadOnly(path)
            let result = try { try body(try file.root()) }()
            try file.close()
            return result
        }
    }

    /// Writes a new HDF5 file that appears at `path` whole or not at all: `body` fills a file at
    /// `temporaryPath` (same directory), which is closed, fsynced and renamed over `path`. On any
    /// error the temporary file is removed. The caller fsyncs the directory.
    static func writeAtomically(_ path: String, temporaryPath: String, _ body: (HDF5Group) throws -> Void) throws {
        try HDF5.locked {
            do {
                let file = try create(temporaryPath)
                try { try body(try file.root()) }()
                try file.close()
                try HDF5Seal.seal(temporaryPath)
                try FilePaths.syncFile(temporaryPath)
                guard rename(temporaryPath, path) == 0 else {
                    throw SeedloraError(.io, path: path, "cannot move into place: \(MappedFile.errnoText())")
                }
            } catch {
                unlink(temporaryPath)
                throw error
            }
        }
    }

    static func openReadOnly(_ path: String) throws -> HDF5File {
        try HDF5.locked {
            // libhdf5 reads no byte of a file whose seal does not match (see HDF5Seal).
            try HDF5Seal.verify(path)
            let id = H5Fopen(path, seedlora_H5F_ACC_RDONLY(), seedlora_H5P_DEFAULT())
            return HDF5File(path: path, handle: try HDF5.handle(id, .file, path, "cannot open HDF5 file"))
        }
    }

    func root() throws -> HDF5Group {
        try HDF5.locked {
            let id = H5Gopen2(handle.id, "/", seedlora_H5P_DEFAULT())
            return HDF5Group(try HDF5.handle(id, .group, path, "cannot open the root group"), file: path, at: "/")
        }
    }

    /// Closes the file, reporting a failed final flush. Open objects must be closed first.
    func close() throws {
        try HDF5.locked { try HDF5.check(handle.close(), path, "cannot close HDF5 file") }
    }
}

/// A group or dataset: something that carries attributes.
protocol HDF5Node: AnyObject {
    var handle: H5Handle { get }
    var file: String { get }
    var objectPath: String { get }
}

func joinPath(_ base: String, _ name: String) -> String {
    base == "/" ? "/" + name : base + "/" + name
}

extension HDF5Node {
    func hasAttribute(_ name: String) throws -> Bool {
        try HDF5.locked {
            let found = H5Aexists(handle.id, name)
            guard found >= 0 else { throw HDF5.failure(file, "cannot look for attribute '\(name)' on \(objectPath)") }
            return found > 0
        }
    }

    private func createAttribute(_ name: String, type: hid_t, shape: [Int]?, _ write: (hid_t) -> herr_t) throws {
        let what = "cannot write attribute '\(name)' on \(objectPath)"
        let space = try Make.dataspace(shape, file)
        let acpl = try Make.attributeCreation(file)
        let attribute = try HDF5.handle(H5Acreate2(handle.id, name, type, space.id, acpl.id, seedlora_H5P_DEFAULT()),
                                        .attribute, file, what)
        try HDF5.check(write(attribute.id), file, what)
        try HDF5.check(attribute.close(), file, what)
    }

    /// A scalar variable-length UTF-8 string attribute.
    func setAttribute(_ name: String, _ value: String) throws {
        try HDF5.locked {
            let type = try Make.utf8String(file)
            let text = try CStrings([value], file, "attribute '\(name)' on \(objectPath)")
            try createAttribute(name, type: type.id, shape: nil) { id in
                text.pointers.withUnsafeBytes { H5Awrite(id, type.id, $0.baseAddress) }
            }
        }
    }

    /// A one-dimensional attribute of variable-length UTF-8 strings.
    func setAttribute(_ name: String, strings: [String]) throws {
        try HDF5.locked {
            let type = try Make.utf8String(file)
            let text = try CStrings(strings, file, "attribute '\(name)' on \(objectPath)")
            try createAttribute(name, type: type.id, shape: [strings.count]) { id in
                strings.isEmpty ? 0 : text.pointers.withUnsafeBytes { H5Awrite(id, type.id, $0.baseAddress) }
            }
        }
    }

    /// A scalar int64 attribute.
    func setAttribute(_ name: String, _ value: Int64) throws {
        try HDF5.locked {
            var copy = value
            try createAttribute(name, type: seedlora_H5T_STD_I64LE(), shape: nil) { id in
                H5Awrite(id, seedlora_H5T_NATIVE_INT64(), &copy)
            }
        }
    }

    private func withAttribute<T>(_ name: String, _ body: (hid_t, hid_t, [Int], String) throws -> T) throws -> T? {
        try HDF5.locked {
            guard try hasAttribute(name) else { return nil }
            let what = "cannot read attribute '\(name)' on \(objectPath)"
            let attribute = try HDF5.handle(H5Aopen(handle.id, name, seedlora_H5P_DEFAULT()), .attribute, file, what)
            let space = try HDF5.handle(H5Aget_space(attribute.id), .dataspace, file, what)
            let type = try HDF5.handle(H5Aget_type(attribute.id), .datatype, file, what)
            let shape = try shapeOf(space: space.id, file, what)
            // Attribute data sits in the object header: a corrupt shape cannot be larger than it.
            let (needed, overflow) = UInt64(shape.reduce(1, *)).multipliedReportingOverflow(by: UInt64(H5Tget_size(type.id)))
            guard !overflow, needed <= UInt64(H5Aget_storage_size(attribute.id)) else {
                throw SeedloraError(path: file, "\(what): declares shape \(shape) but the file holds only \(H5Aget_storage_size(attribute.id)) bytes of it (corrupt file?)")
            }
            return try body(attribute.id, type.id, shape, what) as T
        }
    }

    /// The strings of a string attribute (one for a scalar), or nil when there is no such attribute.
    func stringsAttribute(_ name: String) throws -> [String]? {
        try withAttribute(name) { attribute, type, shape, what in
            guard H5ElementType(type) == .string(variable: true) else {
                throw SeedloraError(path: file, "\(what): expected variable-length strings")
            }
            let space = try HDF5.handle(H5Aget_space(attribute), .dataspace, file, what)
            return try readVariableStrings(count: shape.reduce(1, *), space: space.id, file, what) { type, buffer in
                H5Aread(attribute, type, buffer)
            }
        }
    }

    /// A scalar string attribute, or nil when absent.
    func stringAttribute(_ name: String) throws -> String? {
        guard let strings = try stringsAttribute(name) else { return nil }
        guard strings.count == 1, let text = strings.first else {
            throw SeedloraError(path: file, "attribute '\(name)' on \(objectPath): expected one string, found \(strings.count)")
        }
        return text
    }

    /// A scalar integer attribute, or nil when absent.
    func int64Attribute(_ name: String) throws -> Int64? {
        try withAttribute(name) { attribute, type, shape, what in
            guard case .integer = H5ElementType(type), shape.isEmpty else {
                throw SeedloraError(path: file, "\(what): expected a scalar integer")
            }
            var value: Int64 = 0
            try HDF5.check(H5Aread(attribute, seedlora_H5T_NATIVE_INT64(), &value), file, what)
            return value
        }
    }
}

/// An open group.
final class HDF5Group: HDF5Node {
    let handle: H5Handle
    let file: String
    let objectPath: String

    init(_ handle: H5Handle, file: String, at objectPath: String) {
        self.handle = handle
        self.file = file
        self.objectPath = objectPath
    }

    /// Whether a link `name` (one component) exists in this group.
    func linkExists(_ name: String) throws -> Bool {
        try HDF5.locked {
            let found = H5Lexists(handle.id, name, seedlora_H5P_DEFAULT())
            guard found >= 0 else { throw HDF5.failure(file, "cannot look up '\(name)' in \(objectPath)") }
            return found > 0
        }
    }

    /// Creates a member group (one path component).
    func createGroup(_ name: String) throws -> HDF5Group {
        try HDF5.locked {
            let lcpl = try Make.linkCreation(file), gcpl = try Make.groupCreation(file)
            let path = joinPath(objectPath, name)
            let id = H5Gcreate2(handle.id, name, lcpl.id, gcpl.id, seedlora_H5P_DEFAULT())
            return HDF5Group(try HDF5.handle(id, .group, file, "cannot create group \(path)"), file: file, at: path)
        }
    }

    /// Opens a group by a path relative to this one.
    func openGroup(_ name: String) throws -> HDF5Group {
        try HDF5.locked {
            let path = joinPath(objectPath, name)
            let id = H5Gopen2(handle.id, name, seedlora_H5P_DEFAULT())
            return HDF5Group(try HDF5.handle(id, .group, file, "cannot open group \(path)"), file: file, at: path)
        }
    }

    enum Member {
        case group(HDF5Group)
        case dataset(HDF5Dataset)
    }

    /// Opens a group or dataset by a path relative to this group.
    func open(_ name: String) throws -> Member {
        try HDF5.locked {
            let path = joinPath(objectPath, name)
            let object = try HDF5.handle(H5Oopen(handle.id, name, seedlora_H5P_DEFAULT()), .object, file, "cannot open \(path)")
            switch H5Iget_type(object.id) {
            case H5I_GROUP:
                let id = H5Gopen2(handle.id, name, seedlora_H5P_DEFAULT())
                return .group(HDF5Group(try HDF5.handle(id, .group, file, "cannot open group \(path)"), file: file, at: path))
            case H5I_DATASET:
                let id = H5Dopen2(handle.id, name, seedlora_H5P_DEFAULT())
                return .dataset(HDF5Dataset(try HDF5.handle(id, .dataset, file, "cannot open dataset \(path)"), file: file, at: path))
            default:
                throw SeedloraError(path: file, "\(path) is neither a group nor a dataset")
            }
        }
    }

    func openDataset(_ name: String) throws -> HDF5Dataset {
        guard case let .dataset(dataset) = try open(name) else {
            throw SeedloraError(path: file, "\(joinPath(objectPath, name)) is a group, expected a dataset")
        }
        return dataset
    }

    /// An external link `name` in this group to `object` (an absolute path) in the file `target`
    /// (resolved by HDF5 relative to the directory of the file holding the link).
    func createExternalLink(_ name: String, target: String, object: String) throws {
        try HDF5.locked {
            let lcpl = try Make.linkCreation(file)
            try HDF5.check(H5Lcreate_external(target, object, handle.id, name, lcpl.id, seedlora_H5P_DEFAULT()),
                           file, "cannot link \(joinPath(objectPath, name)) to \(target):\(object)")
        }
    }

    private func createDataset(_ name: String, fileType: hid_t, shape: [Int]?, compress: Bool,
                               elementSize: Int, _ write: (HDF5Dataset) -> herr_t) throws -> HDF5Dataset {
        let path = joinPath(objectPath, name)
        let what = "cannot write dataset \(path)"
        let space = try Make.dataspace(shape, file)
        let lcpl = try Make.linkCreation(file), dcpl = try Make.datasetCreation(file)
        if compress, let shape, !shape.isEmpty {
            let chunk = HDF5.chunkShape(shape, elementSize: elementSize).map { hsize_t($0) }
            try HDF5.check(H5Pset_chunk(dcpl.id, Int32(chunk.count), chunk), file, what)
            try HDF5.check(H5Pset_shuffle(dcpl.id), file, what)
            try HDF5.check(H5Pset_deflate(dcpl.id, 4), file, what)
        }
        let id = H5Dcreate2(handle.id, name, fileType, space.id, lcpl.id, dcpl.id, seedlora_H5P_DEFAULT())
        let dataset = HDF5Dataset(try HDF5.handle(id, .dataset, file, what), file: file, at: path)
        try HDF5.check(write(dataset), file, what)
        return dataset
    }

    /// A dataset of fixed-size numbers; `shape` nil is a scalar. Shuffle + gzip when `compress`.
    private func writeNumbers<T>(_ name: String, _ values: [T], shape: [Int]?, fileType: hid_t, memoryType: hid_t,
                                 compress: Bool) throws -> HDF5Dataset {
        try HDF5.locked {
            try createDataset(name, fileType: fileType, shape: shape, compress: compress,
                              elementSize: MemoryLayout<T>.stride) { dataset in
                values.isEmpty ? 0 : values.withUnsafeBytes {
                    H5Dwrite(dataset.handle.id, memoryType, seedlora_H5S_ALL(), seedlora_H5S_ALL(), seedlora_H5P_DEFAULT(),
                             $0.baseAddress)
                }
            }
        }
    }

    func writeFloats(_ name: String, _ values: [Float], shape: [Int], compress: Bool) throws -> HDF5Dataset {
        try writeNumbers(name, values, shape: shape, fileType: seedlora_H5T_IEEE_F32LE(),
                         memoryType: seedlora_H5T_NATIVE_FLOAT(), compress: compress)
    }

    func writeDoubles(_ name: String, _ values: [Double], shape: [Int]?, compress: Bool = false) throws -> HDF5Dataset {
        try writeNumbers(name, values, shape: shape, fileType: seedlora_H5T_IEEE_F64LE(),
                         memoryType: seedlora_H5T_NATIVE_DOUBLE(), compress: compress)
    }

    func writeInt64s(_ name: String, _ values: [Int64], shape: [Int]?, compress: Bool = false) throws -> HDF5Dataset {
        try writeNumbers(name, values, shape: shape, fileType: seedlora_H5T_STD_I64LE(),
                         memoryType: seedlora_H5T_NATIVE_INT64(), compress: compress)
    }

    /// A scalar h5py-style boolean.
    func writeBool(_ name: String, _ value: Bool) throws -> HDF5Dataset {
        try HDF5.locked {
            let type = try Make.boolEnum(file)
            var byte: Int8 = value ? 1 : 0
            return try createDataset(name, fileType: type.id, shape: nil, compress: false, elementSize: 1) { dataset in
                H5Dwrite(dataset.handle.id, type.id, seedlora_H5S_ALL(), seedlora_H5S_ALL(), seedlora_H5P_DEFAULT(), &byte)
            }
        }
    }

    /// Variable-length UTF-8 strings; `shape` nil is a scalar (then `values` has one element).
    func writeStrings(_ name: String, _ values: [String], shape: [Int]?) throws -> HDF5Dataset {
        try HDF5.locked {
            let type = try Make.utf8String(file)
            let text = try CStrings(values, file, "dataset \(joinPath(objectPath, name))")
            return try createDataset(name, fileType: type.id, shape: shape, compress: false, elementSize: 16) { dataset in
                values.isEmpty ? 0 : text.pointers.withUnsafeBytes {
                    H5Dwrite(dataset.handle.id, type.id, seedlora_H5S_ALL(), seedlora_H5S_ALL(), seedlora_H5P_DEFAULT(),
                             $0.baseAddress)
                }
            }
        }
    }
}

/// An open dataset.
final class HDF5Dataset: HDF5Node {
    let handle: H5Handle
    let file: String
    let objectPath: String

    init(_ handle: H5Handle, file: String, at objectPath: String) {
        self.handle = handle
        self.file = file
        self.objectPath = objectPath
    }

    private var what: String { "cannot read dataset \(objectPath)" }

    /// The dimensions (`[]` for a scalar).
    func shape() throws -> [Int] {
        try HDF5.locked {
            let space = try HDF5.handle(H5Dget_space(handle.id), .dataspace, file, what)
            return try shapeOf(space: space.id, file, what)
        }
    }

    func elementType() throws -> H5ElementType {
        try HDF5.locked {
            let type = try HDF5.handle(H5Dget_type(handle.id), .datatype, file, what)
            return H5ElementType(type.id)
        }
    }

    /// Whether the dataset is an enum with exactly h5py's boolean members.
    func isBoolEnum() throws -> Bool {
        try HDF5.locked {
            let type = try HDF5.handle(H5Dget_type(handle.id), .datatype, file, what)
            let expected = try Make.boolEnum(file)
            return H5Tequal(type.id, expected.id) > 0
        }
    }

    /// A corrupt file can declare a dataset far larger than the file (shapes are only bounded by
    /// `HDF5.maxElements`, 2^31): refuse before allocating for it. Contiguous and compact data take
    /// at least count x element size bytes in the file; chunked data may be compressed, by deflate
    /// at most 1032:1.
    private func checkStorage(count: Int) throws {
        guard count > 0 else { return }
        try HDF5.locked {
            let type = try HDF5.handle(H5Dget_type(handle.id), .datatype, file, what)
            let plist = try HDF5.handle(H5Dget_create_plist(handle.id), .propertyList, file, what)
            let stored = UInt64(H5Dget_storage_size(handle.id))
            let ratio: UInt64 = H5Pget_layout(plist.id) == H5D_CHUNKED ? 1100 : 1
            let (needed, overflow) = UInt64(count).multipliedReportingOverflow(by: UInt64(H5Tget_size(type.id)))
            let (allowed, overflow2) = stored.multipliedReportingOverflow(by: ratio)
            guard !overflow, overflow2 || needed <= allowed else {
                throw SeedloraError(path: file, "\(what): declares \(count) elements but the file holds only \(stored) bytes of them (corrupt file?)")
            }
        }
    }

    private func readNumbers<T>(_ memoryType: hid_t, zero: T) throws -> [T] {
        try HDF5.locked {
            let count = try shape().reduce(1, *)
            try checkStorage(count: count)
            var values = [T](repeating: zero, count: count)
            if count == 0 { return values }
            let status = values.withUnsafeMutableBytes {
                H5Dread(handle.id, memoryType, seedlora_H5S_ALL(), seedlora_H5S_ALL(), seedlora_H5P_DEFAULT(), $0.baseAddress)
            }
            try HDF5.check(status, file, what)
            return values
        }
    }

    func readFloats() throws -> [Float] { try readNumbers(seedlora_H5T_NATIVE_FLOAT(), zero: 0) }
    func readDoubles() throws -> [Double] { try readNumbers(seedlora_H5T_NATIVE_DOUBLE(), zero: 0) }
    func readInt64s() throws -> [Int64] { try readNumbers(seedlora_H5T_NATIVE_INT64(), zero: 0) }

    func readBools() throws -> [Bool] {
        try HDF5.locked {
            let type = try Make.boolEnum(file)
            return try readNumbers(type.id, zero: Int8(0)).map { $0 != 0 }
        }
    }

    func readStrings() throws -> [String] {
        try HDF5.locked {
            let count = try shape().reduce(1, *)
            try checkStorage(count: count)
            let space = try HDF5.handle(H5Dget_space(handle.id), .dataspace, file, what)
            return try readVariableStrings(count: count, space: space.id, file, what) { type, buffer in
                H5Dread(handle.id, type, seedlora_H5S_ALL(), seedlora_H5S_ALL(), seedlora_H5P_DEFAULT(), buffer)
            }
        }
    }

    /// Names the dimensions with HDF5 dimension-scale labels (`ds.dims[i].label` in h5py).
    func setDimensionLabels(_ labels: [String]) throws {
        try HDF5.locked {
            for (index, label) in labels.enumerated() {
                _ = try CStrings([label], file, "dimension label of \(objectPath)")
                try HDF5.check(H5DSset_label(handle.id, UInt32(index), label), file,
                               "cannot label dimension \(index) of \(objectPath)")
            }
        }
    }
}
