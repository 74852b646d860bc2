import Foundation
import Ops

/// Builds a Hugging Face hub cache tree the way huggingface_hub's `snapshot_download` leaves it:
/// `models--org--name/blobs/<etag>` holds each file's bytes once, `snapshots/<commit>/<file>`
/// are relative symlinks into `blobs/`, and `refs/<branch>` holds a commit hash without newline.
public struct HubCacheBuilder {
    public let root: String

    public init(root: String) { self.root = root }

    public func repository(_ id: String) -> String {
        root + "/models--" + id.split(separator: "/").joined(separator: "--")
    }

    /// Adds the files of `directory` as the snapshot of `commit`; blobs shared between revisions
    /// are stored once (named by their content hash, as huggingface_hub names them by etag).
    @discardableResult
    public func addSnapshot(_ id: String, commit: String, from directory: String) throws -> String {
        let fm = FileManager.default
        let repo = repository(id)
        let snapshot = repo + "/snapshots/" + commit
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: snapshot, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: directory).sorted() {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            let etag = HubCacheBuilder.etag(data)
            let blob = repo + "/blobs/" + etag
            if !fm.fileExists(atPath: blob) { try data.write(to: URL(fileURLWithPath: blob)) }
            try fm.createSymbolicLink(atPath: snapshot + "/" + name, withDestinationPath: "../../blobs/" + etag)
        }
        return snapshot
    }

    /// Writes `refs/<name>` (e.g. "main", or "pr/1") pointing to `commit`, or any raw text.
    public func setRef(_ id: String, _ name: String, to text: String) throws {
        let path = repository(id) + "/refs/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A 64-hex content name standing in for huggingface_hub's etag (the sha256 of LFS files):
    /// two FNV-1a passes expanded to 256 bits, enough to keep distinct test files apart.
    static func etag(_ data: Data) -> String {
        var parts: [UInt64] = []
        for seed in UInt64(0)..<4 {
            var h: UInt64 = 0xcbf29ce484222325 &+ seed &* 0x9E3779B97F4A7C15
            for byte in data { h = (h ^ UInt64(byte)) &* 0x100000001b3 }
            parts.append(h)
        }
        return parts.map { String(format: "%016llx", $0) }.joined()
    }

    /// A fake 40-hex commit hash, distinct per `n`.
    public static func commit(_ n: Int) -> String {
        String(repeating: String(format: "%x", n % 16), count: 8) + String(format: "%032x", n * 7919)
    }
}
