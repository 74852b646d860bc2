import Foundation
import Ops
import Testing
import TestSupport

/// A store in a fresh temporary directory, removed when the test ends.
final class TemporaryStore {
    let directory: String
    let path: String
    let store: ResultStore

    init(_ label: String = "store") throws {
        directory = try Fixtures.temporaryDirectory("seedlora-store")
        path = directory + "/\(label).seedstore"
        store = try ResultStore(path: path)
    }

    deinit { FilePaths.removeTree(directory) }
}

func record(_ index: Int, _ title: String = "cell", parameters: JSON = .object([])) -> CellRecord {
    CellRecord(index: index, title: title, sourceHash: "sha256:source\(index)", inputHashes: ["a": "sha256:a\(index)"],
               parameters: parameters, scriptPath: "analysis.seed")
}

/// Fails the test unless `actual` is bit-identical to `expected`.
func expectIdentical(_ actual: StoreValue, _ expected: StoreValue, _ name: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.isIdentical(to: expected), "'\(name)' read back as \(actual), expected \(expected)",
            sourceLocation: sourceLocation)
}

func tensor(_ shape: [Int], _ value: (Int) -> Float) -> Tensor {
    Tensor(uncheckedShape: shape, data: (0..<shape.reduce(1, *)).map(value))
}

/// The outcome of running a process.
struct ProcessOutput {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` with `arguments`, capturing both outputs.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                directory: String? = nil) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    // Outputs go to files, so a chatty child can never block on a full pipe.
    let outPath = NSTemporaryDirectory() + "seedlora-out-\(UUID().uuidString)"
    let errPath = outPath + ".err"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    defer { unlink(outPath); unlink(errPath) }
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let stdout = (try? Fixtures.readText(outPath)) ?? ""
    let stderr = (try? Fixtures.readText(errPath)) ?? ""
    return ProcessOutput(status: process.terminationStatus, stdout: stdout, stderr: stderr)
}

/// An executable built next to the test bundle (SwiftPM builds the targets the tests depend on).
func builtExecutable(_ name: String) -> String {
    let candidates = [
        Bundle.main.bundleURL.appendingPathComponent(name).path,
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path,
        Fixtures.root + "/.build/debug/" + name,
    ]
    return candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) ?? candidates[2]
}
