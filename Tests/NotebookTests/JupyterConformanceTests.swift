import Foundation
import Testing
import TestSupport

/// Runs `scripts/jupyter-test`: jupyter_kernel_test's KernelTests (plus interrupt, rich output
/// and inspect tests) against `seedlora kernel`, and `jupyter nbconvert --execute` on
/// examples/analysis.ipynb. The first run installs the Python packages from PyPI into
/// .build/jupyter-venv. Nothing here skips: a missing tool fails the test with the script's output.
struct JupyterConformanceTests {
    static var executable: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("seedlora").path,
            Fixtures.root + "/.build/debug/seedlora",
        ]
        return candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) ?? candidates[1]
    }

    @Test(.timeLimit(.minutes(5)))
    func jupyterKernelTestAndNbconvert() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.root + "/scripts/jupyter-test")
        process.arguments = [Self.executable]
        process.currentDirectoryURL = URL(fileURLWithPath: Fixtures.root)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0, "scripts/jupyter-test failed:\n\(text)")
        #expect(text.contains("jupyter-test: all passed"), "\(text)")
    }
}
