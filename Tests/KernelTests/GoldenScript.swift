import Foundation
import Kernel
import Ops
import TestSupport

/// A Seed script that states what it expects, jlox-style:
///
///     print(1 + 2)            # expect: 3
///     x = [1][5]              # expect error: index 5 is out of range for a list of length 1
///
/// `# expect: text` is one line of output (in order); `# expect error: message` is an error
/// raised by the statement on that line (the script goes on with the next statement); an
/// expected message ending in "..." matches by prefix (for lists that grow, like strategies).
struct GoldenScript: CustomStringConvertible {
    let name: String
    let source: String
    /// Where relative imports of the script resolve (its own directory).
    var directory: String = Fixtures.root

    /// An expected error; a message ending in "..." matches any message that starts with the rest.
    struct ExpectedError: Equatable, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "\(line): \(message)" }

        static func == (a: ExpectedError, b: ExpectedError) -> Bool {
            guard a.line == b.line else { return false }
            if a.message.hasSuffix("...") { return b.message.hasPrefix(String(a.message.dropLast(3))) }
            if b.message.hasSuffix("...") { return a.message.hasPrefix(String(b.message.dropLast(3))) }
            return a.message == b.message
        }
    }

    var expectedOutput: [String] {
        lines.compactMap { $0.text.comment(after: "# expect: ") }
    }

    var expectedErrors: [ExpectedError] {
        lines.compactMap { line in line.text.comment(after: "# expect error: ").map { ExpectedError(line: line.number, message: $0) } }
    }

    private var lines: [(number: Int, text: String)] {
        source.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { ($0.offset + 1, String($0.element)) }
    }

    var description: String { name }

    /// Runs the script in a fresh session rooted at the repository; returns output lines and errors.
    func run() -> (output: [String], errors: [ExpectedError], rendered: String) {
        var output = ""
        let session = Session(host: Host(write: { output += $0 }))
        session.workingDirectory = Fixtures.root
        // save/load_result/results use a store of their own per script.
        let store = (try? Fixtures.temporaryDirectory("seedlora-golden")).map { $0 + "/results.seedstore" }
        session.storePath = store
        defer { if let store { FilePaths.removeTree(String(store.dropLast("/results.seedstore".count))) } }
        let diagnostics = session.run(source, name: name, directory: directory, options: .init(continueAfterError: true))
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // An error counts on the line of the top-level statement that raised it.
        let errors = diagnostics.map { ExpectedError(line: $0.stack.first?.span.line ?? $0.span?.line ?? 0, message: $0.message) }
        return (lines, errors, diagnostics.map { $0.rendered() }.joined(separator: "\n"))
    }

    /// Every `.seed` file under Tests/Scripts.
    static func all() -> [GoldenScript] {
        let root = Fixtures.root + "/Tests/Scripts"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var scripts: [GoldenScript] = []
        for case let path as String in walker where path.hasSuffix(".seed") {
            if let text = try? String(contentsOfFile: root + "/" + path, encoding: .utf8) {
                let folder = (root + "/" + path as NSString).deletingLastPathComponent
                scripts.append(GoldenScript(name: "Tests/Scripts/" + path, source: text, directory: folder))
            }
        }
        return scripts.sorted { $0.name < $1.name }
    }

    /// Every ```seed block of docs/language.md, each a script of its own.
    static func documentation() -> [GoldenScript] {
        let path = Fixtures.root + "/docs/language.md"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        var scripts: [GoldenScript] = []
        var current: [String]?
        var startLine = 0
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if current == nil, line.trimmingCharacters(in: .whitespaces) == "```seed" {
                current = []
                startLine = i + 2
            } else if current != nil, line.trimmingCharacters(in: .whitespaces) == "```" {
                scripts.append(GoldenScript(name: "docs/language.md:\(startLine)", source: (current ?? []).joined(separator: "\n")))
                current = nil
            } else if current != nil {
                current?.append(String(line))
            }
        }
        return scripts
    }
}

extension String {
    /// The text after `marker` in a comment, if the line has one.
    func comment(after marker: String) -> String? {
        guard let range = range(of: marker) else { return nil }
        var text = Substring(self[range.upperBound...])
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
