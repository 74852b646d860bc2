#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A directory that appears whole at its final path or not at all (an exported adapter).
///
/// Files are written into a hidden sibling directory; `commit()` renames it into place. An
/// existing destination is replaced only when `replace` is true, by an atomic exchange of the two
/// directories (`renameat2(RENAME_EXCHANGE)`, Linux 3.15+), so at every instant the path holds the
/// complete old directory or the complete new one; the old one, now under the hidden name, is
/// then removed. Where the exchange is not supported the old directory is first renamed aside
/// (`.<name>.old-<pid>`), so a crash in between leaves no directory at the path but the old one
/// intact beside it. Temporaries of a writer that died are removed by the next writer of the path.
public final class AtomicDirectory {
    public let path: String
    public let tempPath: String
    private var committed = false

    public init(path: String, replace: Bool) throws {
        self.path = path
        if FilePaths.exists(path) && !replace {
            throw SeedloraError(path: path, "output already exists; choose another --out or pass --force to replace it")
        }
        let (dir, name) = FilePaths.split(path)
        if !FilePaths.isDirectory(dir) { try FilePaths.makeDirectories(dir) }
        FilePaths.removeStaleTemporaries(of: name, in: dir)
        tempPath = FilePaths.temporaryName(for: name, in: dir)
        guard mkdir(tempPath, 0o755) == 0 else {
            throw SeedloraError(.io, path: path, "cannot create a temporary directory: \(FilePaths.errnoText())")
        }
    }

    deinit {
        if !committed { FilePaths.removeTree(tempPath) }
    }

    /// The path of a file inside the directory being written.
    public func file(_ name: String) -> String { tempPath + "/" + name }

    /// Runs `body` (which writes the files); an error about a file under the temporary directory
    /// is reported at the path the file will have, which is the one the user knows.
    public func writing<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error as SeedloraError {
            guard let location = error.path, location.hasPrefix(tempPath) else { throw error }
            throw SeedloraError(error.kind, path: path + location.dropFirst(tempPath.count), error.message)
        }
    }

    public func commit() throws {
        FilePaths.syncDirectory(tempPath)
        let parent = FilePaths.split(path).dir
        if FilePaths.exists(path) {
            if FilePaths.exchange(tempPath, path) {
                committed = true
                FilePaths.syncDirectory(parent)
                FilePaths.removeTree(tempPath)  // now the old directory
                return
            }
            try commitAside(parent: parent)
        } else {
            guard rename(tempPath, path) == 0 else {
                throw SeedloraError(.io, path: path, "cannot move the output into place: \(FilePaths.errnoText())")
            }
            committed = true
            FilePaths.syncDirectory(parent)
        }
    }

    /// Replacement without an atomic exchange: old aside, new in, old removed.
    private func commitAside(parent: String) throws {
        let old = "\(parent)/.\(FilePaths.split(path).name).old-\(getpid())"
        guard rename(path, old) == 0 else {
            throw SeedloraError(.io, path: path, "cannot move the existing output aside: \(FilePaths.errnoText())")
        }
        guard rename(tempPath, path) == 0 else {
            let reason = FilePaths.errnoText()
            _ = rename(old, path)
            throw SeedloraError(.io, path: path, "cannot move the output into place: \(reason)")
        }
        committed = true
        FilePaths.syncDirectory(parent)
        FilePaths.removeTree(old)
    }
}
