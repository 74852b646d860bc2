import Foundation
import Testing
import TestSupport

/// `seedlora kernel` front-end errors and `kernel install --prefix`.
struct KernelCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: JupyterConformanceTests.executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [
        (["kernel"], Int32(2), "--connection-file FILE is required"),
        (["kernel", "--connection-file", "/nonexistent/c.json"], 1, "cannot read the connection file"),
        (["kernel", "install", "--user", "--prefix", "/tmp/x"], 2, "exclude each other"),
    ])
    func usageAndInputErrors(arguments: [String], status: Int32, message: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status == status)
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test func installWritesTheKernelspec() throws {
        let prefix = try Fixtures.temporaryDirectory("seedlora-kernelspec")
        let result = try Self.run(["kernel", "install", "--prefix", prefix])
        #expect(result.status == 0, "\(result.output)")
        let json = try String(contentsOfFile: prefix + "/share/jupyter/kernels/seedlora/kernel.json", encoding: .utf8)
        #expect(json.contains("\"language\": \"seed\""))
        #expect(json.contains("\"{connection_file}\""))
    }
}
