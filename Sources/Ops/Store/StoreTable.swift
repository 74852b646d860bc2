/// A value kept in a `ResultStore`: what a Seed cell can compute and save.
///
/// Each kind maps to one plain HDF5 form (see docs/store.md) and reads back exactly: tensors and
/// numbers bit for bit (NaN payloads and the sign of zero included), integers as int64, strings
/// as the same Unicode scalars.
public indirect enum StoreValue: Sendable, Equatable {
    /// An int64 scalar dataset.
    case integer(Int64)
    /// A float64 scalar dataset.
    case number(Double)
    /// A scalar dataset of h5py's boolean enum (numpy reads it as `bool`).
    case bool(Bool)
    /// A scalar variable-length UTF-8 string dataset (h5py: `ds[()].decode()` or `ds.asstr()[()]`).
    case string(String)
    /// A Float32 dataset with the tensor's shape; `dimensions` names each axis (attribute `dims`
    /// and HDF5 dimension labels).
    case tensor(Tensor, dimensions: [String]? = nil)
    /// A group with one dataset per column and the column order in the attribute `columns`.
    case table(StoreTable)
    /// A group with members `0`, `1`, ... (any kinds, nested lists included).
    case list([StoreValue])

    /// The names written to the `seedlora_kind` attribute.
    public enum Kind: String, Sendable, CaseIterable {
        case integer, number, bool, string, tensor, table, list
    }

    public var kind: Kind {
        switch self {
        case .integer: return .integer
        case .number: return .number
        case .bool: return .bool
        case .string: return .string
        case .tensor: return .tensor
        case .table: return .table
        case .list: return .list
        }
    }

    /// A shape for listings: the tensor's shape, [rows, columns] of a table, [count] of a list,
    /// [] for a scalar kind.
    public var shape: [Int] {
        switch self {
        case .integer, .number, .bool, .string: return []
        case let .tensor(tensor, _): return tensor.shape
        case let .table(table): return [table.rowCount, table.columns.count]
        case let .list(items): return [items.count]
        }
    }

    /// Bitwise identity: floating-point values compare by their bit patterns, so NaN equals the
    /// same NaN and -0 differs from +0 (`==` follows IEEE instead).
    public func isIdentical(to other: StoreValue) -> Bool {
        switch (self, other) {
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a.bitPattern == b.bitPattern
        case let (.bool(a), .bool(b)): return a == b
        case let (.string(a), .string(b)): return Array(a.unicodeScalars) == Array(b.unicodeScalars)
        case let (.tensor(a, da), .tensor(b, db)):
            return a.shape == b.shape && da == db && a.data.elementsEqual(b.data) { $0.bitPattern == $1.bitPattern }
        case let (.table(a), .table(b)): return a.isIdentical(to: b)
        case let (.list(a), .list(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.isIdentical(to: $1) }
        default: return false
        }
    }
}

/// Columns of equal length, in order: float64, int64 or string columns.
public struct StoreTable: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case numbers([Double])
        case integers([Int64])
        case strings([String])

        public var count: Int {
            switch self {
            case let .numbers(v): return v.count
            case let .integers(v): return v.count
            case let .strings(v): return v.count
            }
        }
    }

    public struct Column: Sendable, Equatable {
        public let name: String
        public let values: Values
    }

    public let columns: [Column]

    /// The common length of the columns (0 for a table without columns).
    public var rowCount: Int { columns.first?.values.count ?? 0 }

    /// Checks that names are unique and columns have equal lengths.
    public init(_ columns: [(String, Values)]) throws {
        var seen = Set<String>()
        for (name, values) in columns {
            guard seen.insert(name).inserted else { throw SeedloraError("table column '\(name)' appears twice") }
            if let first = columns.first, values.count != first.1.count {
                throw SeedloraError("table column '\(name)' has \(values.count) rows but '\(first.0)' has \(first.1.count)")
            }
        }
        self.columns = columns.map { Column(name: $0.0, values: $0.1) }
    }

    public subscript(name: String) -> Values? { columns.first(where: { $0.name == name })?.values }

    public func isIdentical(to other: StoreTable) -> Bool {
        guard columns.count == other.columns.count else { return false }
        return zip(columns, other.columns).allSatisfy { a, b in
            guard a.name == b.name else { return false }
            switch (a.values, b.values) {
            case let (.numbers(x), .numbers(y)): return x.elementsEqual(y) { $0.bitPattern == $1.bitPattern }
            case let (.integers(x), .integers(y)): return x == y
            case let (.strings(x), .strings(y)): return x.elementsEqual(y) { Array($0.unicodeScalars) == Array($1.unicodeScalars) }
            default: return false
            }
        }
    }
}
