#if canImport(Glibc)
import Glibc
#endif
import Kernel
import Ops

/// The kernelspec clients use to find and start the kernel: `<dir>/seedlora/kernel.json`.
public enum Kernelspec {
    public static let name = "seedlora"

    /// `--prefix DIR`: DIR/share/jupyter/kernels; `--user`: $XDG_DATA_HOME (or ~/.local/share)
    /// /jupyter/kernels; neither: the system directory /usr/local/share/jupyter/kernels.
    public static func directory(user: Bool, prefix: String?, environment: [String: String]) -> String {
        if let prefix { return FilePaths.absolute(prefix) + "/share/jupyter/kernels/" + name }
        if user {
            let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? (environment["HOME"] ?? ".") + "/.local/share"
            return data + "/jupyter/kernels/" + name
        }
        return "/usr/local/share/jupyter/kernels/" + name
    }

    public static func kernelJSON(executable: String) -> String {
        JSON.object([
            ("argv", .array([.string(executable), .string("kernel"), .string("--connection-file"), .string("{connection_file}")])),
            ("display_name", .string("Seed (seedlora)")),
            ("language", .string(KernelInfo.languageName)),
            ("interrupt_mode", .string("signal")),
            ("metadata", .object([("file_extension", .string(KernelInfo.fileExtension))])),
        ]).serialized(pretty: true) + "\n"
    }

    public static func install(into directory: String, executable: String) throws {
        try FilePaths.makeDirectories(directory)
        let file = try AtomicFile(path: directory + "/kernel.json")
        try file.write(kernelJSON(executable: executable))
        try file.commit()
    }

    /// This process's executable (so the kernelspec starts the same build that installed it).
    public static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments.first.map(FilePaths.absolute) ?? "seedlora" }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The environment as a dictionary (no Foundation needed).
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { result[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            pointer += 1
        }
        return result
    }
}
