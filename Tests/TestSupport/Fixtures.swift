import Foundation
import Ops

/// Paths of the fixtures committed with the project (copied from the peft-tiny package).
public enum Fixtures {
    /// The repository root, found from this file's location.
    public static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    public static func adapter(_ name: String) -> String { root + "/examples/adapters/" + name }
    public static func reference(_ file: String) -> String { root + "/Tests/Fixtures/reference/" + file }
    /// torch.save fixtures made by scripts/make_torch_fixtures.py.
    public static func torch(_ file: String) -> String { root + "/Tests/Fixtures/torch/" + file }

    public static let seeds = ["taskA_seed11", "taskA_seed42", "taskA_seed202"]
    public static var seedPaths: [String] { seeds.map(adapter) }

    /// A reference JSON file, parsed with our order-keeping parser.
    public static func json(_ file: String) throws -> JSON {
        let mapped = try MappedFile(path: reference(file))
        return try mapped.withBytes(0..<mapped.size) { try JSON.parse($0) }
    }

    public static func safetensors(_ file: String) throws -> SafetensorsFile {
        try SafetensorsFile(path: reference(file))
    }

    /// A file's text, read without Foundation (whose String(contentsOfFile:) leaks a buffer on
    /// empty files, which the address-sanitizer run reports).
    public static func readText(_ path: String) throws -> String {
        let file = try MappedFile(path: path)
        return file.withBytes(0..<file.size) { String(decoding: $0, as: UTF8.self) }
    }

    /// A fresh temporary directory, removed by the caller with `FilePaths.removeTree`.
    public static func temporaryDirectory(_ label: String = "seedlora-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// Numeric comparisons with stated tolerances.
public enum Compare {
    /// ||a - b||_F / ||b||_F in Float64 (absolute error when b is zero).
    public static func relativeFrobenius(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var diff = 0.0, norm = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            diff += d * d
            norm += Double(b[i]) * Double(b[i])
        }
        return norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
    }

    public static func relative(_ a: Double, _ b: Double) -> Double {
        let scale = max(abs(b), 1e-300)
        return abs(a - b) / scale
    }
}
