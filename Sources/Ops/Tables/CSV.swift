/// Comma-separated values per RFC 4180, read into a `DataTable`.
///
/// The first record is the header. Fields may be quoted with `"`; inside quotes, commas and line
/// breaks are literal and `""` is one quote. Records end with LF or CRLF; a UTF-8 byte-order mark
/// is skipped; blank lines are skipped (a one-column file cannot have empty values, as in pandas).
/// A column is numeric when every non-empty cell parses as a number (surrounding spaces allowed;
/// `nan` and `inf` count); its empty cells become NaN. Otherwise it holds the cells as text.
/// Errors name the line (of the file, counting line breaks inside quoted fields) and what was
/// expected.
public enum CSV {
    /// One record and the line it starts on (1-based).
    public struct Record: Equatable, Sendable {
        public let line: Int
        public let fields: [String]
    }

    /// Reads the file at `path` into a table.
    public static func read(path: String) throws -> DataTable {
        let file = try MappedFile(path: path)
        do {
            return try file.withBytes(0..<file.size) { try table(records(in: $0)) }
        } catch let error as SeedloraError {
            throw error.located(in: path)
        }
    }

    /// Parses CSV text into a table (errors have no path; `read(path:)` adds it).
    public static func table(_ text: String) throws -> DataTable {
        var copy = text
        return try copy.withUTF8 { try table(records(in: UnsafeRawBufferPointer($0))) }
    }

    /// The records of CSV bytes, without interpreting the header.
    public static func records(in bytes: UnsafeRawBufferPointer) throws -> [Record] {
        var reader = CSVReader(bytes: bytes)
        return try reader.readAll()
    }

    /// Header plus rows into typed columns.
    static func table(_ records: [Record]) throws -> DataTable {
        guard let header = records.first else {
            throw SeedloraError("empty file; expected a header row of column names, then one row per line")
        }
        var names: [String] = []
        for (i, raw) in header.fields.enumerated() {
            let name = raw.isEmpty ? "column\(i + 1)" : raw
            if names.contains(name) {
                throw SeedloraError("line \(header.line): two columns named '\(name)'; column names must be unique")
            }
            names.append(name)
        }
        let rows = records.dropFirst()
        for row in rows where row.fields.count != names.count {
            throw SeedloraError("line \(row.line): \(row.fields.count) fields, but the header (line \(header.line)) "
                                + "has \(names.count); a field containing a comma must be quoted")
        }
        var columns: [DataTable.Column] = []
        for (i, name) in names.enumerated() {
            let cells = rows.map { $0.fields[i] }
            columns.append(DataTable.Column(name, typed(cells)))
        }
        return try DataTable(columns: columns)
    }

    /// Numbers when every non-empty cell is one, else the text.
    static func typed(_ cells: [String]) -> DataTable.Values {
        var numbers: [Double] = []
        numbers.reserveCapacity(cells.count)
        for cell in cells {
            let trimmed = cell.trimmingSpaces()
            if trimmed.isEmpty { numbers.append(.nan); continue }
            guard let value = Double(trimmed) else { return .strings(cells) }
            numbers.append(value)
        }
        return .numbers(numbers)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}

/// The byte-level RFC 4180 state machine.
struct CSVReader {
    let bytes: UnsafeRawBufferPointer
    var pos = 0
    var line = 1

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
    }

    static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    mutating func readAll() throws -> [CSV.Record] {
        var records: [CSV.Record] = []
        while pos < bytes.count {
            let start = line
            if atLineEnd() { consumeLineEnd(); continue }  // blank line
            records.append(CSV.Record(line: start, fields: try readRecord()))
        }
        return records
    }

    /// At LF or CRLF.
    private func atLineEnd() -> Bool {
        guard pos < bytes.count else { return false }
        return bytes[pos] == Self.lf || (bytes[pos] == Self.cr && pos + 1 < bytes.count && bytes[pos + 1] == Self.lf)
    }

    private mutating func consumeLineEnd() {
        pos += bytes[pos] == Self.cr ? 2 : 1
        line += 1
    }

    private mutating func readRecord() throws -> [String] {
        var fields: [String] = []
        while true {
            fields.append(try readField(number: fields.count + 1))
            if pos >= bytes.count { return fields }
            if atLineEnd() { consumeLineEnd(); return fields }
            pos += 1  // the comma (readField stops only at a comma, a line end or the end)
        }
    }

    private mutating func readField(number: Int) throws -> String {
        var out: [UInt8] = []
        if pos < bytes.count, bytes[pos] == Self.quote {
            let opened = line
            pos += 1
            while true {
                guard pos < bytes.count else {
                    throw SeedloraError("line \(opened): unterminated quoted field \(number) (its opening quote is never closed)")
                }
                let byte = bytes[pos]
                if byte == Self.quote {
                    if pos + 1 < bytes.count, bytes[pos + 1] == Self.quote { out.append(Self.quote); pos += 2; continue }
                    pos += 1
                    break
                }
                if byte == Self.lf { line += 1 }
                out.append(byte)
                pos += 1
            }
            guard pos >= bytes.count || bytes[pos] == Self.comma || atLineEnd() else {
                throw SeedloraError("line \(line): text after the closing quote of field \(number); "
                                    + "expected a comma or the end of the line (a quote inside quotes is written \"\")")
            }
        } else {
            while pos < bytes.count, bytes[pos] != Self.comma, !atLineEnd() {
                if bytes[pos] == Self.quote {
                    throw SeedloraError("line \(line): a quote inside unquoted field \(number); "
                                        + "expected the whole field in quotes with the inner quote doubled (\"a \"\"b\"\"\")")
                }
                out.append(bytes[pos])
                pos += 1
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw SeedloraError("line \(line): field \(number) is not valid UTF-8")
        }
        return text
    }
}
