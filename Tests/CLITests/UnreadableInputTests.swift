import Foundation
import Ops
import Testing
import TestSupport

/// Inputs that exist but cannot be read give a clear error naming the file (exit code 1), never
/// a hang or a misleading "missing". Permissions mean nothing to root, who runs CI: as root, the
/// permission cases run seedlora as `nobody` through `setpriv` (util-linux, on every Debian);
/// the other cases (FIFO, directory, dangling link) need no privileges at all.
struct UnreadableInputTests {
    /// seedlora where `nobody` can run it: the build tree may sit in a directory only root can
    /// enter (a CI checkout under /root), so as root the binary is copied into the test's directory
    /// (its libraries are found through the toolchain's absolute run path).
    static func executable(in root: String) throws -> String {
        guard getuid() == 0 else { return CLIRunner.executable }
        let copy = root + "/seedlora"
        try FileManager.default.copyItem(atPath: CLIRunner.executable, toPath: copy)
        return copy
    }

    /// How to run seedlora so that file permissions apply: directly, or as nobody when we are root.
    static let unprivileged: [String]? = {
        guard getuid() == 0 else { return [] }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
        return [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"]
    }()

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        /// Makes something under `root/b` unreadable.
        let breakIt: @Sendable (_ root: String) throws -> Void
        /// Substrings of the message; "ROOT" is replaced by the directory of the inputs.
        let expected: [String]
        var needsPermissions = false
        var testDescription: String { label }
    }

    static func chmod000(_ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
    }

    static func replace(_ path: String, with make: (String) throws -> Void) throws {
        try FileManager.default.removeItem(atPath: path)
        try make(path)
    }

    static let cases: [Case] = [
        Case(label: "weights without read permission", breakIt: { try chmod000($0 + "/b/adapter_model.safetensors") },
             expected: ["ROOT/b/adapter_model.safetensors: cannot open: Permission denied"], needsPermissions: true),
        Case(label: "config without read permission", breakIt: { try chmod000($0 + "/b/adapter_config.json") },
             expected: ["ROOT/b/adapter_config.json: cannot open: Permission denied"], needsPermissions: true),
        Case(label: "adapter directory without search permission", breakIt: { try chmod000($0 + "/b") },
             expected: ["ROOT/b/adapter_config.json: cannot be accessed: Permission denied"], needsPermissions: true),
        Case(label: "weights are a FIFO", breakIt: { try replace($0 + "/b/adapter_model.safetensors") { _ = mkfifo($0, 0o644) } },
             expected: ["ROOT/b/adapter_model.safetensors: not a regular file (it is a FIFO)"]),
        Case(label: "config is a FIFO", breakIt: { try replace($0 + "/b/adapter_config.json") { _ = mkfifo($0, 0o644) } },
             expected: ["ROOT/b/adapter_config.json: not a regular file (it is a FIFO)"]),
        Case(label: "weights are a directory", breakIt: { try replace($0 + "/b/adapter_model.safetensors") { _ = mkdir($0, 0o755) } },
             expected: ["ROOT/b/adapter_model.safetensors: not a regular file (it is a directory)"]),
        Case(label: "weights are a dangling symbolic link", breakIt: {
                try replace($0 + "/b/adapter_model.safetensors") { _ = symlink("/nonexistent/adapter_model.safetensors", $0) }
             }, expected: ["ROOT/b/adapter_model.safetensors: is a symbolic link to '/nonexistent/adapter_model.safetensors', which does not exist"]),
    ]

    @Test(arguments: cases)
    func unreadableInputIsAClearError(_ testCase: Case) throws {
        let prefix: [String]
        if testCase.needsPermissions {
            guard let unprivileged = Self.unprivileged else {
                Issue.record("running as root without /usr/bin/setpriv: cannot test file permissions")
                return
            }
            prefix = unprivileged
        } else {
            prefix = []
        }
        let root = try Fixtures.temporaryDirectory("seedlora-unreadable")
        defer {
            // Undo chmod 000 so the tree can be removed.
            _ = chmod(root + "/b", 0o755)
            FilePaths.removeTree(root)
        }
        // Readable and searchable by nobody, writable for the output.
        _ = chmod(root, 0o777)
        for (name, seed) in zip(["a", "b"], Fixtures.seeds) {
            try FileManager.default.copyItem(atPath: Fixtures.adapter(seed), toPath: root + "/" + name)
        }
        try testCase.breakIt(root)
        let result = try CLIRunner.run(["merge", root + "/a", root + "/b", "--out", root + "/out"], prefix: prefix, timeout: 60,
                                       executable: try Self.executable(in: root))
        #expect(result.status == 1, "\(testCase.label): status \(result.status): \(result.stderr)")
        for text in testCase.expected.map({ $0.replacingOccurrences(of: "ROOT", with: root) }) {
            #expect(result.stderr.contains(text), "\(testCase.label): expected '\(text)' in: \(result.stderr)")
        }
        #expect(!FilePaths.exists(root + "/out"))
    }

    @Test func unreadableRecipeIsAClearError() throws {
        guard let prefix = Self.unprivileged else {
            Issue.record("running as root without /usr/bin/setpriv: cannot test file permissions")
            return
        }
        let root = try Fixtures.temporaryDirectory("seedlora-unreadable-recipe")
        defer { FilePaths.removeTree(root) }
        _ = chmod(root, 0o777)
        let recipe = root + "/recipe.yml"
        try Data("merge_method: linear\nmodels: [a, b]\n".utf8).write(to: URL(fileURLWithPath: recipe))
        try Self.chmod000(recipe)
        let result = try CLIRunner.run(["merge", "--config", recipe, "--out", root + "/out"], prefix: prefix, timeout: 60,
                                       executable: try Self.executable(in: root))
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(recipe): cannot open: Permission denied"), "\(result.stderr)")
    }
}
