import Ops

/// A script split at its `#%%` markers: each cell's statements, title, first line and a hash of
/// its source text. Statements before the first marker form cell 0 (untitled).
struct CellScript {
    struct Cell {
        let index: Int
        let title: String
        let line: Int
        let statements: [Stmt]
        let sourceHash: String
    }

    let path: String
    let cells: [Cell]

    /// Parses `text`; returns the syntax errors instead when there are any.
    static func parse(_ text: String, path: String) -> Result<CellScript, Diagnostics> {
        let file = SourceFile(name: path, text: text)
        let (program, errors) = Parser.parse(file)
        if !errors.isEmpty { return .failure(Diagnostics(items: errors)) }
        var starts: [(title: String, line: Int)] = program.cells.sorted { $0.line < $1.line }
        let firstLine = program.statements.first.map { file.location(of: $0.span.start).line }
        if starts.isEmpty || (firstLine.map { $0 < starts[0].line } ?? false) { starts.insert(("", 1), at: 0) }
        var groups = [[Stmt]](repeating: [], count: starts.count)
        for statement in program.statements {
            let line = file.location(of: statement.span.start).line
            let k = starts.lastIndex { $0.line <= line } ?? 0
            groups[k].append(statement)
        }
        let lineCount = file.lineStarts.count
        let cells = starts.enumerated().map { k, start in
            let end = k + 1 < starts.count ? starts[k + 1].line - 1 : lineCount
            let text = start.line <= end ? (start.line...end).map { file.line($0) }.joined(separator: "\n") : ""
            return Cell(index: k, title: start.title, line: start.line, statements: groups[k], sourceHash: ContentHasher.hash(text))
        }
        return .success(CellScript(path: path, cells: cells))
    }

    struct Diagnostics: Error {
        let items: [Diagnostic]
    }
}

/// What one cell did in a `seedlora run`, or would do (`--explain`).
public struct CellOutcome: Sendable {
    public enum Status: String, Sendable {
        case ran, cached, failed, skipped
        /// `--explain`: would run again.
        case rerun
    }

    public let index: Int
    public let title: String
    public let line: Int
    public var status: Status
    /// Why it runs again ("source changed", "adapter file ... changed"), or empty.
    public var reason: String

    /// `cell 2 "similarity" (line 7): cached` / `... rerun: source changed`.
    public var description: String {
        let name = title.isEmpty ? "" : " \"\(title)\""
        return "cell \(index)\(name) (line \(line)): \(status.rawValue)" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// The outcome of running (or explaining) a script's cells.
public struct CellReport: Sendable {
    public var cells: [CellOutcome] = []
    public var diagnostics: [Diagnostic] = []
    /// Problems with the store that did not stop the script (a commit that failed).
    public var warnings: [String] = []

    public var ran: Int { cells.filter { $0.status == .ran }.count }
    public var cached: Int { cells.filter { $0.status == .cached }.count }

    /// `cells: 0 run, 4 cached`.
    public var counter: String {
        let failed = cells.filter { $0.status == .failed }.count
        return "cells: \(ran) run, \(cached) cached" + (failed > 0 ? ", \(failed) failed" : "")
    }
}
