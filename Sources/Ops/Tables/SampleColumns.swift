/// The columns of a samples table while it is read: numbers as `[Double]` (8 bytes a row),
/// text as `[String]` with repeated values sharing one storage, so a file of a million lines
/// costs a few arrays, not a million dictionaries.
///
/// A column's kind is fixed by its first non-null value: numbers and booleans (as 0/1) make a
/// numeric column, strings a text column. A missing or null value is NaN or "".
struct SampleColumns {
    final class Column {
        enum Kind { case undecided, numbers, strings }
        let name: String
        var kind = Kind.undecided
        var numbers: [Double] = []
        var strings: [String] = []
        /// Distinct texts seen, so equal values share storage; dropped once a column turns out to
        /// hold mostly unique texts (questions), where it would only double the memory.
        var interned: [String: String]? = [:]

        init(name: String) { self.name = name }

        var count: Int { kind == .strings ? strings.count : numbers.count }
    }

    /// What went wrong, for the reader to put the file and line in front of.
    struct Conflict: Error { let message: String }

    private(set) var columns: [Column] = []
    private var index: [String: Int] = [:]
    private(set) var rowCount = 0

    static let internLimit = 4096

    /// Sets `name` in the current row (the last value wins when a line repeats a key).
    mutating func set(_ name: String, _ value: JSONLineScanner.Scalar) throws {
        let column: Column
        if let i = index[name] {
            column = columns[i]
        } else {
            column = Column(name: name)
            index[name] = columns.count
            columns.append(column)
        }
        switch value {
        case .null:
            return
        case let .number(x):
            try decide(column, .numbers)
            put(x, in: column)
        case let .bool(b):
            try decide(column, .numbers)
            put(b ? 1 : 0, in: column)
        case let .string(s):
            try decide(column, .strings)
            pad(column, to: rowCount)
            let text = intern(s, in: column)
            if column.strings.count == rowCount { column.strings.append(text) } else { column.strings[rowCount] = text }
        }
    }

    /// Ends the current row.
    mutating func endRow() { rowCount += 1 }

    private func decide(_ column: Column, _ kind: Column.Kind) throws {
        if column.kind == kind { return }
        if column.kind == .undecided {
            column.kind = kind
            return
        }
        let was = column.kind == .numbers ? "numbers" : "text"
        let now = kind == .numbers ? "a number" : "text"
        throw Conflict(message: "'\(column.name)' is \(now) here but \(was) on earlier lines; a column holds one kind")
    }

    private func put(_ x: Double, in column: Column) {
        pad(column, to: rowCount)
        if column.numbers.count == rowCount { column.numbers.append(x) } else { column.numbers[rowCount] = x }
    }

    private func pad(_ column: Column, to rows: Int) {
        switch column.kind {
        case .numbers:
            if column.numbers.count < rows { column.numbers.append(contentsOf: repeatElement(.nan, count: rows - column.numbers.count)) }
        case .strings:
            if column.strings.count < rows { column.strings.append(contentsOf: repeatElement("", count: rows - column.strings.count)) }
        case .undecided:
            break
        }
    }

    private func intern(_ text: String, in column: Column) -> String {
        guard var table = column.interned else { return text }
        if let shared = table[text] { return shared }
        if table.count >= Self.internLimit {
            column.interned = nil
            return text
        }
        column.interned = nil  // keep the dictionary uniquely referenced while it grows
        table[text] = text
        column.interned = table
        return text
    }

    /// The finished columns, in the order `rank` gives (stable within a rank); columns that were
    /// only ever null read as NaN.
    func table(rank: (String) -> Int) throws -> DataTable {
        let ordered = columns.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element.name), rank(b.element.name))
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        return try DataTable(columns: ordered.map { column in
            pad(column, to: rowCount)
            switch column.kind {
            case .strings: return .strings(column.name, column.strings)
            case .numbers: return .numbers(column.name, column.numbers)
            case .undecided: return .numbers(column.name, [Double](repeating: .nan, count: rowCount))
            }
        })
    }
}
