import Foundation
import Ops
import TestSupport

/// Runs the built `seedlora` executable and captures its output.
struct CLIRunner {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The executable next to the test bundle (SwiftPM builds it because the tests depend on it).
    static let executable: String = {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("seedlora").path,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("seedlora").path,
            Fixtures.root + "/.build/debug/seedlora",
        ]
        return candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) ?? candidates[2]
    }()

    /// Runs `seedlora ARGUMENTS` (or `program`, whose arguments then include its own name first)
    /// in `directory` (the current one by default), through `prefix` when given (a command that
    /// execs the rest, e.g. `setpriv ... --` or `sh -c 'ulimit -f N; exec "$@"' sh`). A child still
    /// running after `timeout` seconds is killed (the test then fails on its status instead of
    /// hanging).
    static func run(_ arguments: [String], directory: String? = nil, program: String? = nil,
                    prefix: [String] = [], timeout: Double = 300) throws -> Output {
        let process = Process()
        let command = prefix + (program == nil ? [executable] + arguments : [program ?? ""] + arguments.dropFirst())
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Read both pipes before waiting, so a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `seedlora ARGUMENTS` without waiting (its output is discarded); the caller kills or waits.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}

#if canImport(Glibc)
import Glibc

extension CLIRunner {
    /// Runs `seedlora` and returns its exit status and its OWN peak resident memory in MiB
    /// (wait4's rusage of that child; RUSAGE_CHILDREN would mix in other tests' children).
    /// Output goes to /dev/null.
    static func runMeasuringMemory(_ arguments: [String]) throws -> (status: Int32, peakMiB: Double) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw SeedloraError(.io, "posix_spawn failed: \(rc)") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exited = (status & 0x7F) == 0
        return (exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F), Double(usage.ru_maxrss) / 1024)
    }
}
#endif
