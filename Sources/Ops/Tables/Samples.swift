#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Per-item results written by lm-evaluation-harness's `--log_samples`: one JSON object per
/// line (`{"doc_id": 0, "doc": {...}, "target": ..., "filter": "none", "metrics": ["exact_match"],
/// "exact_match": 1.0, ...}`), read into a `DataTable`.
///
/// Columns: `task` (only when several files are read: from the file name
/// `samples_<task>_<timestamp>.jsonl`), `doc_id`, `filter`, every metric (the keys the line's
/// `metrics` list names; without that list, every other top-level number or boolean except
/// `target`), then the scalar fields of `doc` flattened (`doc.carries`, nested objects as
/// `doc.meta.source`). Arrays and long texts elsewhere (`arguments`, `resps`) are checked and skipped.
///
/// The file is mapped and walked once, line by line, with its pages released behind the cursor;
/// values go straight into compact columns (`SampleColumns`). Every line must be one valid JSON
/// object (blank lines are skipped): anything else is an error naming the file, line and column.
public enum Samples {
    /// Reads `pattern`: a file, or a glob (`results/*/samples_mmlu_*.jsonl`) of several. With
    /// `filter`, keeps only the lines of that lm-eval filter (`strict-match`).
    public static func read(_ pattern: String, filter: String? = nil) throws -> DataTable {
        let files = try matchingFiles(pattern)
        var columns = SampleColumns()
        var filtersSeen = Set<String>()
        for file in files {
            try readFile(file, task: files.count > 1 ? taskName(file) : nil, filter: filter,
                         into: &columns, filtersSeen: &filtersSeen)
        }
        guard columns.rowCount > 0 else {
            if let filter, !filtersSeen.isEmpty {
                throw SeedloraError(path: pattern, "no line has filter '\(filter)' (the filters here: "
                                    + filtersSeen.sorted().joined(separator: ", ") + ")")
            }
            throw SeedloraError(path: pattern, "no samples: the file is empty (expected one JSON object per line, "
                                + "as lm-evaluation-harness --log_samples writes)")
        }
        return try columns.table(rank: rank)
    }

    /// Column order: task, doc_id, filter, metrics, doc fields.
    static func rank(_ name: String) -> Int {
        switch name {
        case "task": return 0
        case "doc_id": return 1
        case "filter": return 2
        default: return name.hasPrefix("doc.") ? 4 : 3
        }
    }

    /// The files a path or glob names, sorted; a glob matching nothing is an error.
    static func matchingFiles(_ pattern: String) throws -> [String] {
        guard pattern.contains(where: { "*?[".contains($0) }) else {
            guard FilePaths.exists(pattern) else {
                throw SeedloraError(.io, path: pattern, "no such file (expected an lm-evaluation-harness samples "
                                    + "file, samples_<task>_<date>.jsonl, or a glob of them)")
            }
            return [pattern]
        }
        var result = glob_t()
        defer { globfree(&result) }
        let status = glob(pattern, 0, nil, &result)
        guard status == 0 else {
            if status == GLOB_NOMATCH { throw SeedloraError(.io, path: pattern, "no file matches this pattern") }
            throw SeedloraError(.io, path: pattern, "cannot expand the pattern (glob status \(status))")
        }
        var files: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { files.append(String(cString: p)) }
        }
        return files.filter { !FilePaths.isDirectory($0) }.sorted()
    }

    /// `samples_mmlu_anatomy_2024-05-01T12-00-00.123456.jsonl` -> `mmlu_anatomy`.
    static func taskName(_ path: String) -> String {
        var name = FilePaths.split(path).name
        if name.hasSuffix(".jsonl") { name.removeLast(6) }
        if name.hasPrefix("samples_") { name.removeFirst(8) }
        // lm-eval appends _<date>T<time> to the task name.
        if let cut = name.range(of: #"_\d{4}-\d{2}-\d{2}T[\d\-:.]+$"#, options: .regularExpression) {
            name.removeSubrange(cut)
        }
        return name
    }

    static let releaseEvery = 32 << 20

    static func readFile(_ path: String, task: String?, filter: String?, into columns: inout SampleColumns,
                         filtersSeen: inout Set<String>) throws {
        let file = try MappedFile(path: path)
        var lineStart = 0, lineNumber = 0, released = 0
        var pending: [(String, JSONLineScanner.Scalar)] = []
        while lineStart < file.size {
            lineNumber += 1
            let end = file.withBytes(lineStart..<file.size) { bytes -> Int in
                guard let base = bytes.baseAddress, let hit = memchr(base, 0x0A, bytes.count) else { return file.size }
                return lineStart + (UnsafeRawPointer(hit) - base)
            }
            do {
                try file.withBytes(lineStart..<end) { bytes in
                    try parseLine(bytes, task: task, filter: filter, into: &columns, pending: &pending, filtersSeen: &filtersSeen)
                }
            } catch let failure as JSONLineScanner.Failure {
                throw SeedloraError(path: path, "line \(lineNumber), column \(failure.offset + 1): \(failure.message)")
            } catch let conflict as SampleColumns.Conflict {
                throw SeedloraError(path: path, "line \(lineNumber): \(conflict.message)")
            }
            lineStart = end + 1
            if lineStart - released >= releaseEvery {
                file.releasePages(released..<lineStart)
                released = lineStart
            }
        }
        file.releasePages(released..<file.size)
    }

    static func parseLine(_ bytes: UnsafeRawBufferPointer, task: String?, filter: String?, into columns: inout SampleColumns,
                          pending: inout [(String, JSONLineScanner.Scalar)], filtersSeen: inout Set<String>) throws {
        var scanner = JSONLineScanner(bytes)
        scanner.skipWhitespace()
        if scanner.atEnd { return }
        pending.removeAll(keepingCapacity: true)
        var metricNames: [String]?
        var docID: Double?
        var lineFilter: String?
        try scanner.object { scanner, key in
            switch key {
            case "doc_id":
                guard case let .number(x)? = try scanner.scalarOrSkip() else {
                    throw scanner.fail("doc_id must be a number")
                }
                docID = x
            case "doc":
                try flatten(&scanner, prefix: "doc.", into: &pending)
            case "metrics":
                metricNames = try scanner.stringArrayOrSkip()
            case "filter":
                if case let .string(s)? = try scanner.scalarOrSkip() { lineFilter = s }
            default:
                if let value = try scanner.scalarOrSkip() { pending.append((key, value)) }
            }
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.fail("text after the JSON object (one object per line)") }
        guard let docID else { throw JSONLineScanner.Failure(offset: 0, message: "no doc_id (every samples line has one)") }
        if let lineFilter { filtersSeen.insert(lineFilter) }
        if let filter, lineFilter != filter { return }

        if let task { try columns.set("task", .string(task)) }
        try columns.set("doc_id", .number(docID))
        if let lineFilter { try columns.set("filter", .string(lineFilter)) }
        for (key, value) in pending {
            if key.hasPrefix("doc.") {
                try columns.set(key, value)
            } else if let metricNames {
                if metricNames.contains(key) { try columns.set(key, value) }
            } else if key != "target" {
                switch value {
                case .number, .bool: try columns.set(key, value)
                case .string, .null: break
                }
            }
        }
        columns.endRow()
    }

    /// The scalar fields of an object as `prefix + key`, nested objects flattened with dots;
    /// arrays are skipped. Something other than an object is skipped too (a `doc` that is text).
    static func flatten(_ scanner: inout JSONLineScanner, prefix: String, depth: Int = 0,
                        into pending: inout [(String, JSONLineScanner.Scalar)]) throws {
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else {
            try scanner.skipValue()
            return
        }
        try scanner.object(depth: depth) { scanner, key in
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "{") {
                try flatten(&scanner, prefix: prefix + key + ".", depth: depth + 1, into: &pending)
            } else if let value = try scanner.scalarOrSkip(depth: depth + 1) {
                pending.append((prefix + key, value))
            }
        }
    }
}
