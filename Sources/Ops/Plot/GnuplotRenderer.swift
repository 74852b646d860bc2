import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Draws a `Plot` as PNG (pngcairo), SVG or PDF (pdfcairo) by running `gnuplot` as a subprocess.
///
/// gnuplot is started directly (no shell) with default settings (`-d`: no ~/.gnuplot), reads a
/// script from a temporary file, and writes the figure to a hidden temporary name in the target
/// directory; only a successful run is renamed into place, so the path holds the old figure or
/// the complete new one, never a partial file. Errors: gnuplot missing (with the package to
/// install), gnuplot failing (with its own messages), a missing or unwritable directory.
public struct GnuplotRenderer: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case png, svg, pdf

        /// From the path's extension (`.png`, `.svg`, `.pdf`, any case).
        public init(path: String) throws {
            let name = FilePaths.split(path).name
            let ext = name.split(separator: ".").count > 1 ? String(name.split(separator: ".").last ?? "") : ""
            guard let format = Format(rawValue: ext.lowercased()) else {
                throw SeedloraError(.usage, path: path, "unknown figure format '\(ext)'; expected a path ending "
                                    + "in .png, .svg or .pdf")
            }
            self = format
        }
    }

    /// gnuplot's path; nil looks `gnuplot` up in the `PATH` of `environment`.
    public var executable: String?
    /// The environment gnuplot runs with (and whose `PATH` is searched).
    public var environment: [String: String]

    public init(executable: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.executable = executable
        self.environment = environment
    }

    /// Draws `plot` into `path`, in `format` or the one its extension names. Returns gnuplot's
    /// warnings (lines it printed while succeeding), usually none.
    @discardableResult
    public func render(_ plot: Plot, to path: String, format: Format? = nil) throws -> [String] {
        try plot.validate()
        let format = try format ?? Format(path: path)
        let gnuplot = try locate()
        let dir = FilePaths.split(path).dir
        guard FilePaths.isDirectory(dir) else {
            throw SeedloraError(.io, path: path, "cannot write the figure: directory '\(dir)' does not exist")
        }
        let output = try AtomicFile(path: path)
        let script = GnuplotScript(plot: plot, format: format, output: output.tempPath).text
        let scriptPath = try Self.writeTemporaryScript(script, environment: environment)
        var keepScript = false
        defer { if !keepScript { unlink(scriptPath) } }

        let (status, signaled, messages) = try run(gnuplot, arguments: ["-d", scriptPath])
        guard status == 0, !signaled else {
            keepScript = true
            let what = signaled ? "was killed by signal \(status)" : "failed (exit status \(status))"
            let tail = messages.suffix(20).joined(separator: "\n")
            throw SeedloraError(.io, path: path, "gnuplot \(what) drawing this \(plot.kind) plot; its script is kept "
                                + "at \(scriptPath)" + (tail.isEmpty ? "" : "; gnuplot said:\n\(tail)"))
        }
        var info = stat()
        guard stat(output.tempPath, &info) == 0, info.st_size > 0 else {
            keepScript = true
            throw SeedloraError(.io, path: path, "gnuplot exited without writing the figure; its script is kept at "
                                + "\(scriptPath)" + (messages.isEmpty ? "" : "; gnuplot said:\n\(messages.joined(separator: "\n"))"))
        }
        try output.commit()
        return messages
    }

    /// The script `render` would run for `plot`, writing to `output` (to read or debug it).
    public func script(for plot: Plot, format: Format, output: String) -> String {
        GnuplotScript(plot: plot, format: format, output: output).text
    }

    /// The gnuplot executable: `executable`, or the first `gnuplot` on `PATH`.
    public func locate() throws -> String {
        let install = "install it with `apt-get install gnuplot-nox` (scripts/bootstrap does this)"
        if let executable {
            guard Self.isExecutableFile(executable) else {
                throw SeedloraError(.io, path: executable, "gnuplot is not an executable file here; \(install)")
            }
            return executable
        }
        let searchPath = environment["PATH"] ?? ""
        for dir in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/gnuplot"
            if Self.isExecutableFile(candidate) { return candidate }
        }
        throw SeedloraError(.io, "gnuplot was not found on PATH (\(searchPath)); figures are drawn with gnuplot: \(install)")
    }

    static func isExecutableFile(_ path: String) -> Bool {
        access(path, X_OK) == 0 && FilePaths.exists(path) && !FilePaths.isDirectory(path)
    }

    /// Runs gnuplot with stdin closed (a stray `pause` cannot hang it); returns the exit status
    /// (or signal), and the non-empty lines of its output.
    private func run(_ executable: String, arguments: [String]) throws -> (Int32, Bool, [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw SeedloraError(.io, path: executable, "cannot start gnuplot: \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, lines)
    }

    /// A new file under TMPDIR (or /tmp) holding `script`.
    static func writeTemporaryScript(_ script: String, environment: [String: String]) throws -> String {
        let base = environment["TMPDIR"].flatMap { FilePaths.isDirectory($0) ? $0 : nil } ?? "/tmp"
        var template = Array("\(base)/seedlora-plot-XXXXXX.gp".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemps($0, 3) } ?? -1 }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard fd >= 0 else {
            throw SeedloraError(.io, path: base, "cannot create a temporary gnuplot script: \(MappedFile.errnoText())")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(script.utf8))
        } catch {
            unlink(path)
            throw SeedloraError(.io, path: path, "cannot write the temporary gnuplot script: \(error.localizedDescription)")
        }
        return path
    }
}
