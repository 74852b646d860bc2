/// A table of named columns, each all numbers or all strings, in a fixed order.
///
/// The common currency of evaluation results (`EvalResults.read`) and of the data behind a figure
/// (`Plot.dataTables`): plain enough to save as one dataset per column and to read back with h5py
/// or pandas. Missing numbers are NaN; missing strings are "".
public struct DataTable: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case numbers([Double])
        case strings([String])

        public var count: Int {
            switch self {
            case let .numbers(v): return v.count
            case let .strings(v): return v.count
            }
        }
    }

    public struct Column: Equatable, Sendable {
        public var name: String
        public var values: Values

        public init(_ name: String, _ values: Values) {
            self.name = name
            self.values = values
        }

        public static func numbers(_ name: String, _ values: [Double]) -> Column { Column(name, .numbers(values)) }
        public static func strings(_ name: String, _ values: [String]) -> Column { Column(name, .strings(values)) }

        public var numbers: [Double]? { if case let .numbers(v) = values { return v }; return nil }
        public var strings: [String]? { if case let .strings(v) = values { return v }; return nil }
    }

    public private(set) var columns: [Column]
    public let rowCount: Int

    /// Checks that every column has the same length and that names are unique.
    public init(columns: [Column]) throws {
        let count = columns.first?.values.count ?? 0
        var seen = Set<String>()
        for column in columns {
            guard column.values.count == count else {
                throw SeedloraError("table column '\(column.name)' has \(column.values.count) values but "
                                    + "'\(columns[0].name)' has \(count); every column needs one value per row")
            }
            guard seen.insert(column.name).inserted else {
                throw SeedloraError("table has two columns named '\(column.name)'; column names must be unique")
            }
        }
        self.columns = columns
        self.rowCount = count
    }

    /// For columns the caller built with equal lengths and unique names (a mismatch is a
    /// programming error).
    init(checkedColumns columns: [Column]) {
        precondition(Set(columns.map(\.name)).count == columns.count, "table column names repeat")
        precondition(columns.allSatisfy { $0.values.count == columns.first?.values.count }, "table columns differ in length")
        self.columns = columns
        self.rowCount = columns.first?.values.count ?? 0
    }

    public var columnNames: [String] { columns.map(\.name) }

    public subscript(name: String) -> Column? { columns.first { $0.name == name } }

    /// The numeric column `name`, or nil if there is none (or it holds strings).
    public func numbers(_ name: String) -> [Double]? { self[name]?.numbers }

    /// The string column `name`, or nil if there is none (or it holds numbers).
    public func strings(_ name: String) -> [String]? { self[name]?.strings }
}
