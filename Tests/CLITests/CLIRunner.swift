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

    /// Runs `seedlora` (or `program`, whose arguments then include its own name first) in
    /// `directory` (the current one by default).
    static func run(_ arguments: [String], directory: String? = nil, program: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program ?? executable)
        process.arguments = program == nil ? arguments : Array(arguments.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
