/// Writes `StoreValue`s as plain HDF5 objects and reads them back exactly (layout: docs/store.md).
///
/// Every object carries the attribute `seedlora_kind`, so reading back never guesses: a float64
/// scalar is a `number`, an int8 enum is a `bool`, a group is a `table` or a `list`.
enum StoreCodec {
    static let kindAttribute = "seedlora_kind"
    /// Tensors (and numeric table columns) larger than this many bytes are chunked, shuffled and gzipped.
    static let compressionThreshold = 64 * 1024
    /// Lists nest at most this deep (a guard against a crafted file whose group links to itself).
    static let maxDepth = 64

    // MARK: validation (before anything is written)

    /// Whether `name` can be one HDF5 link name of ours.
    static func checkLinkName(_ name: String, _ what: String) throws {
        if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.utf8.contains(0) {
            throw SeedloraError("\(what) '\(name)' cannot be an HDF5 name (it must be non-empty, without '/' or NUL, and not '.' or '..')")
        }
    }

    static func checkText(_ text: String, _ what: String) throws {
        if text.utf8.contains(0) { throw SeedloraError("\(what) contains a NUL character, which HDF5 strings cannot hold") }
    }

    /// Refuses what HDF5 cannot hold exactly, naming the value.
    static func validate(_ value: StoreValue, _ name: String, depth: Int = 0) throws {
        guard depth <= maxDepth else { throw SeedloraError("value '\(name)' nests lists deeper than \(maxDepth)") }
        switch value {
        case .integer, .number, .bool: return
        case let .string(text): try checkText(text, "string value '\(name)'")
        case let .tensor(tensor, dimensions):
            guard tensor.data.count == tensor.shape.reduce(1, *) else {
                throw SeedloraError("tensor '\(name)' has \(tensor.data.count) elements but shape \(tensor.shape)")
            }
            if let dimensions {
                guard dimensions.count == tensor.rank else {
                    throw SeedloraError("tensor '\(name)' has \(tensor.rank) dimensions but \(dimensions.count) dimension names")
                }
                for dimension in dimensions { try checkText(dimension, "a dimension name of tensor '\(name)'") }
            }
        case let .table(table):
            for column in table.columns {
                try checkLinkName(column.name, "column name of table '\(name)'")
                if case let .strings(texts) = column.values {
                    for text in texts { try checkText(text, "column '\(column.name)' of table '\(name)'") }
                }
            }
        case let .list(items):
            for (index, item) in items.enumerated() { try validate(item, "\(name)/\(index)", depth: depth + 1) }
        }
    }

    // MARK: writing

    /// Writes `value` as the member `name` (one component) of `group`.
    static func write(_ value: StoreValue, as name: String, in group: HDF5Group) throws {
        switch value {
        case let .integer(number):
            try group.writeInt64s(name, [number], shape: nil).setAttribute(kindAttribute, "integer")
        case let .number(number):
            try group.writeDoubles(name, [number], shape: nil).setAttribute(kindAttribute, "number")
        case let .bool(flag):
            try group.writeBool(name, flag).setAttribute(kindAttribute, "bool")
        case let .string(text):
            try group.writeStrings(name, [text], shape: nil).setAttribute(kindAttribute, "string")
        case let .tensor(tensor, dimensions):
            let compress = tensor.count * 4 > compressionThreshold
            let dataset = try group.writeFloats(name, tensor.data, shape: tensor.shape, compress: compress)
            try dataset.setAttribute(kindAttribute, "tensor")
            if let dimensions {
                try dataset.setAttribute("dims", strings: dimensions)
                if !tensor.shape.isEmpty { try dataset.setDimensionLabels(dimensions) }
            }
        case let .table(table):
            let tableGroup = try group.createGroup(name)
            try tableGroup.setAttribute(kindAttribute, "table")
            try tableGroup.setAttribute("columns", strings: table.columns.map(\.name))
            try tableGroup.setAttribute("rows", Int64(table.rowCount))
            for column in table.columns {
                let shape = [column.values.count]
                let compress = column.values.count * 8 > compressionThreshold
                let dataset: HDF5Dataset
                switch column.values {
                case let .numbers(values): dataset = try tableGroup.writeDoubles(column.name, values, shape: shape, compress: compress)
                case let .integers(values): dataset = try tableGroup.writeInt64s(column.name, values, shape: shape, compress: compress)
                case let .strings(values): dataset = try tableGroup.writeStrings(column.name, values, shape: shape)
                }
                try dataset.setAttribute(kindAttribute, "column")
            }
        case let .list(items):
            let listGroup = try group.createGroup(name)
            try listGroup.setAttribute(kindAttribute, "list")
            try listGroup.setAttribute("length", Int64(items.count))
            for (index, item) in items.enumerated() { try write(item, as: String(index), in: listGroup) }
        }
    }

    // MARK: reading

    /// Reads the value at `path` (relative to `group`, components separated by "/").
    static func read(_ path: String, in group: HDF5Group, depth: Int = 0) throws -> StoreValue {
        guard depth <= maxDepth else {
            throw SeedloraError(path: group.file, "\(joinPath(group.objectPath, path)): lists nest deeper than \(maxDepth)")
        }
        switch try group.open(path) {
        case let .dataset(dataset): return try readDataset(dataset)
        case let .group(member): return try readGroup(member, depth: depth)
        }
    }

    private static func kind(of node: HDF5Node) throws -> String {
        guard let kind = try node.stringAttribute(kindAttribute) else {
            throw SeedloraError(path: node.file, "\(node.objectPath) has no '\(kindAttribute)' attribute: it was not written by seedlora")
        }
        return kind
    }

    private static func bad(_ node: HDF5Node, _ message: String) -> SeedloraError {
        SeedloraError(path: node.file, "\(node.objectPath): \(message)")
    }

    private static func readDataset(_ dataset: HDF5Dataset) throws -> StoreValue {
        let kind = try kind(of: dataset)
        let shape = try dataset.shape(), type = try dataset.elementType()
        func scalar<T>(_ values: [T]) throws -> T {
            guard shape.isEmpty, let first = values.first else { throw bad(dataset, "a \(kind) must be a scalar, found shape \(shape)") }
            return first
        }
        switch kind {
        case "integer":
            guard type == .integer(size: 8, signed: true) else { throw bad(dataset, "an integer must be int64") }
            return .integer(try scalar(dataset.readInt64s()))
        case "number":
            guard type == .float(size: 8) else { throw bad(dataset, "a number must be float64") }
            return .number(try scalar(dataset.readDoubles()))
        case "bool":
            guard try dataset.isBoolEnum() else { throw bad(dataset, "a bool must be an enum of FALSE and TRUE") }
            return .bool(try scalar(dataset.readBools()))
        case "string":
            guard type == .string(variable: true) else { throw bad(dataset, "a string must be a variable-length string") }
            return .string(try scalar(dataset.readStrings()))
        case "tensor":
            guard type == .float(size: 4) else { throw bad(dataset, "a tensor must be float32") }
            let tensor = try Tensor(shape: shape, data: dataset.readFloats())
            let dimensions = try dataset.stringsAttribute("dims")
            if let dimensions, dimensions.count != shape.count {
                throw bad(dataset, "has \(shape.count) dimensions but \(dimensions.count) names in 'dims'")
            }
            return .tensor(tensor, dimensions: dimensions)
        default:
            throw bad(dataset, "unknown dataset kind '\(kind)' (expected integer, number, bool, string or tensor)")
        }
    }

    private static func readGroup(_ group: HDF5Group, depth: Int) throws -> StoreValue {
        let kind = try kind(of: group)
        switch kind {
        case "table":
            guard let names = try group.stringsAttribute("columns") else { throw bad(group, "a table needs a 'columns' attribute") }
            var columns: [(String, StoreTable.Values)] = []
            for name in names {
                do { try checkLinkName(name, "column name") } catch let error as SeedloraError { throw bad(group, error.message) }
                let dataset = try group.openDataset(name)
                guard try dataset.shape().count == 1 else { throw bad(dataset, "a table column must be one-dimensional") }
                switch try dataset.elementType() {
                case .float(size: 8): columns.append((name, .numbers(try dataset.readDoubles())))
                case .integer(size: 8, signed: true): columns.append((name, .integers(try dataset.readInt64s())))
                case .string(variable: true): columns.append((name, .strings(try dataset.readStrings())))
                default: throw bad(dataset, "a table column must be float64, int64 or variable-length strings")
                }
            }
            do { return .table(try StoreTable(columns)) } catch let error as SeedloraError {
                throw bad(group, error.message)
            }
        case "list":
            guard let length = try group.int64Attribute("length"), length >= 0, length <= Int64(HDF5.maxElements) else {
                throw bad(group, "a list needs a non-negative 'length' attribute")
            }
            var items: [StoreValue] = []
            for index in 0..<Int(length) { items.append(try read(String(index), in: group, depth: depth + 1)) }
            return .list(items)
        default:
            throw bad(group, "unknown group kind '\(kind)' (expected table or list)")
        }
    }
}
