/// The one error type that crosses layer boundaries.
///
/// Every error says *where* (a file path, and a module or key inside it when known) and *what was
/// expected*, so a user can fix the input without reading our source. `kind` decides the exit code
/// of the command-line tool.
public struct SeedloraError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The user's files or arguments are wrong (exit code 1).
        case badInput
        /// The command line asks for something that does not exist (exit code 2).
        case usage
        /// The operating system refused (disk full, permissions) (exit code 1).
        case io
        /// A numerical routine failed (LAPACK did not converge, ...).
        case numerical
    }

    public let kind: Kind
    /// A file or directory path, when the problem is in one.
    public let path: String?
    public let message: String

    public init(_ kind: Kind, path: String? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// A bad-input error in `path`.
    public init(path: String?, _ message: String) {
        self.init(.badInput, path: path, message)
    }

    /// A bad-input error whose file the caller adds (see `located(in:)`).
    public init(_ message: String) {
        self.init(.badInput, path: nil, message)
    }

    public var description: String {
        if let path { return "\(path): \(message)" }
        return message
    }

    /// The same error, located in `path` when it did not know its file yet.
    public func located(in path: String) -> SeedloraError {
        self.path == nil ? SeedloraError(kind, path: path, message) : self
    }
}
