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
    /// hanging). `executable` may name another copy of seedlora.
    static func run(_ arguments: [String], directory: String? = nil, program: String? = nil,
                    prefix: [String] = [], timeout: Double = 300,
                    executable: String = CLIRunner.executable) throws -> Output {
        let process = Process()
        let command = prefix + (program == nil ? [executable] + arguments : [program ?? ""] + arguments.dropFirst())
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try launch(process)
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        // Read both pipes at once, before waiting: a child that fills one pipe (64 KiB, e.g. a
        // LeakSanitizer report on stderr) while we wait for the other's end would block forever.
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let errDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errBox.data = errHandle.readDataToEndOfFile()
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        let errData = errBox.data
        process.waitUntilExit()
        watchdog.cancel()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// `process.run()`, retried on ETXTBSY: a freshly copied executable is "busy" while any
    /// process forked by a parallel test still holds the copy's write descriptor (until its exec).
    static func launch(_ process: Process) throws {
        for attempt in 0..<20 {
            do {
                try process.run()
                return
            } catch let error as NSError where attempt < 19 && (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == 26 {
                usleep(50_000)
            }
        }
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
