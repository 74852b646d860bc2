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
        var parser = SampleLineParser()
        for file in files {
            try readFile(file, task: files.count > 1 ? taskName(file) : nil, filter: filter, into: &parser)
        }
        guard parser.columns.rowCount > 0 else {
            if let filter, !parser.filtersSeen.isEmpty {
                throw SeedloraError(path: pattern, "no line has filter '\(filter)' (the filters here: "
                                    + parser.filtersSeen.sorted().joined(separator: ", ") + ")")
            }
            throw SeedloraError(path: pattern, "no samples: the file is empty (expected one JSON object per line, "
                                + "as lm-evaluation-harness --log_samples writes)")
        }
        return try parser.columns.finish(rank: rank)
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

    static func readFile(_ path: String, task: String?, filter: String?, into parser: inout SampleLineParser) throws {
        let file = try MappedFile(path: path)
        var lineStart = 0, lineNumber = 0, released = 0
        while lineStart < file.size {
            lineNumber += 1
            let end = file.withBytes(lineStart..<file.size) { bytes -> Int in
                guard let base = bytes.baseAddress, let hit = memchr(base, 0x0A, bytes.count) else { return file.size }
                return lineStart + (UnsafeRawPointer(hit) - base)
            }
            do {
                try file.withBytes(lineStart..<end) { bytes in try parser.parse(bytes, task: task, filter: filter) }
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
}
