/// The columns of a samples table while it is read: numbers as `[Double]` (8 bytes a row),
/// text as `[String]` with repeated values sharing one storage, so a file of a million lines
/// costs a few arrays, not a million dictionaries.
///
/// A column's kind is fixed by its first non-null value: numbers and booleans (as 0/1) make a
/// numeric column, strings a text column. A missing or null value is NaN or "".
struct SampleColumns {
    struct Column {
        enum Kind { case undecided, numbers, strings }
        let name: String
        var kind = Kind.undecided
        var numbers: [Double] = []
        var strings: [String] = []
        /// Distinct texts seen, so equal values share storage; dropped once a column turns out to
        /// hold mostly unique texts (questions), where it would only double the memory.
        var interned: [String: String]? = [:]
        /// The UTF-8 of the last text set, so an equal next value can reuse it without decoding.
        var lastBytes: [UInt8]?
        var lastText = ""

        init(name: String) { self.name = name }
    }

    /// What went wrong, for the reader to put the file and line in front of.
    struct Conflict: Error { let message: String }

    private(set) var columns: [Column] = []
    private var byName: [String: Int] = [:]
    private(set) var rowCount = 0

    static let internLimit = 4096

    /// The column named `name`, made when first asked for.
    mutating func index(of name: String) -> Int {
        if let i = byName[name] { return i }
        byName[name] = columns.count
        columns.append(Column(name: name))
        return columns.count - 1
    }

    /// Sets column `c` in the current row (the last value wins when a line repeats a key).
    mutating func set(_ c: Int, number x: Double) throws {
        try decide(c, .numbers)
        let count = columns[c].numbers.count
        if count < rowCount { columns[c].numbers.append(contentsOf: repeatElement(.nan, count: rowCount - count)) }
        if columns[c].numbers.count == rowCount { columns[c].numbers.append(x) } else { columns[c].numbers[rowCount] = x }
    }

    mutating func set(_ c: Int, text: String) throws {
        try decide(c, .strings)
        let shared = intern(text, in: c)
        columns[c].lastBytes = Array(shared.utf8)
        columns[c].lastText = shared
        put(shared, in: c)
    }

    /// A null: the cell stays missing (NaN or "").
    mutating func setNull(_ c: Int) throws {}

    /// Whether column `c`'s last text has the bytes `equal` accepts.
    func lastTextMatches(_ c: Int, _ equal: ([UInt8]) -> Bool) -> Bool {
        guard columns[c].kind == .strings, let last = columns[c].lastBytes else { return false }
        return equal(last)
    }

    /// Sets column `c` to its last text again.
    mutating func repeatLastText(_ c: Int) throws {
        put(columns[c].lastText, in: c)
    }

    /// Ends the current row.
    mutating func endRow() { rowCount += 1 }

    private mutating func put(_ text: String, in c: Int) {
        let count = columns[c].strings.count
        if count < rowCount { columns[c].strings.append(contentsOf: repeatElement("", count: rowCount - count)) }
        if columns[c].strings.count == rowCount { columns[c].strings.append(text) } else { columns[c].strings[rowCount] = text }
    }

    private mutating func decide(_ c: Int, _ kind: Column.Kind) throws {
        let current = columns[c].kind
        if current == kind { return }
        if current == .undecided {
            columns[c].kind = kind
            return
        }
        let was = current == .numbers ? "numbers" : "text"
        let now = kind == .numbers ? "a number" : "text"
        throw Conflict(message: "'\(columns[c].name)' is \(now) here but \(was) on earlier lines; a column holds one kind")
    }

    private mutating func intern(_ text: String, in c: Int) -> String {
        guard let table = columns[c].interned else { return text }
        if let shared = table[text] { return shared }
        if table.count >= Self.internLimit {
            columns[c].interned = nil
            return text
        }
        columns[c].interned?[text] = text
        return text
    }

    /// The finished columns, in the order `rank` gives (stable within a rank), moved out (so
    /// the table does not briefly exist twice); columns that were only ever null read as NaN.
    mutating func finish(rank: (String) -> Int) throws -> DataTable {
        let order = columns.indices.sorted { a, b in
            let (ra, rb) = (rank(columns[a].name), rank(columns[b].name))
            return ra != rb ? ra < rb : a < b
        }
        var out: [DataTable.Column] = []
        for c in order {
            let name = columns[c].name
            switch columns[c].kind {
            case .strings:
                var values: [String] = []
                swap(&values, &columns[c].strings)
                values.append(contentsOf: repeatElement("", count: rowCount - values.count))
                out.append(.strings(name, values))
            case .numbers:
                var values: [Double] = []
                swap(&values, &columns[c].numbers)
                values.append(contentsOf: repeatElement(.nan, count: rowCount - values.count))
                out.append(.numbers(name, values))
            case .undecided:
                out.append(.numbers(name, [Double](repeating: .nan, count: rowCount)))
            }
        }
        return try DataTable(columns: out)
    }
}
