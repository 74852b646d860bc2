/// The values the restricted torch unpickler can build: plain data, three kinds of torch record,
/// and references to the mutable containers it owns. Nothing here can hold code.
///
/// Lists and dicts live in the unpickler's object table and are referred to by index, because a
/// pickle mutates them after they are memoized (as Python's objects are shared). Tuples are values
/// whose nesting depth is recorded and bounded, so no value is deep enough to overflow the stack
/// when it is copied, compared or destroyed.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case tuple(PickleTuple)
    /// A list or dict in the unpickler's object table.
    case object(Int)
    /// One of the allowed globals.
    case global(TorchGlobal)
    /// A storage named by a persistent id.
    case storage(TorchStorageRef)
    /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`.
    case tensor(TorchTensorRecord)

    /// Nesting depth: 1 for a tuple of scalars, 0 for anything that is not a tuple.
    var depth: Int {
        if case let .tuple(t) = self { return t.depth }
        return 0
    }

    /// A short description for messages ("a string", "a tuple of 3").
    var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an integer"
        case .float: return "a float"
        case .string: return "a string"
        case let .tuple(t): return "a tuple of \(t.items.count)"
        case .object: return "a list or dict"
        case let .global(g): return g.qualifiedName
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        }
    }
}

struct PickleTuple {
    let items: [PickleValue]
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.map(\.depth).max() ?? 0)
    }
}

/// Dict keys the reader accepts (a state dict's are strings).
enum PickleKey: Hashable {
    case string(String)
    case int(Int)
}

/// A mutable container of the unpickler.
enum PickleObject {
    case list([PickleValue])
    case dict(PickleDict)
}

/// An insertion-ordered dict; a repeated key replaces the value in place, as Python's does.
struct PickleDict {
    private(set) var pairs: [(key: PickleKey, value: PickleValue)] = []
    private var index: [PickleKey: Int] = [:]

    mutating func set(_ key: PickleKey, _ value: PickleValue) {
        if let i = index[key] {
            pairs[i].value = value
        } else {
            index[key] = pairs.count
            pairs.append((key, value))
        }
    }
}

/// The globals a tensor state dict may name; everything else is refused.
enum TorchGlobal: Equatable {
    case orderedDict
    case rebuildTensorV2
    case storageType(name: String, dtype: DType)

    /// The storage classes torch pickles, by the element type their bytes hold.
    static let storageTypes: [String: DType] = [
        "FloatStorage": .f32, "DoubleStorage": .f64, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool, "UInt16Storage": .u16, "UInt32Storage": .u32,
        "UInt64Storage": .u64,
    ]

    /// The allowed global `module.name`, or nil.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch", _):
            guard let dtype = TorchGlobal.storageTypes[name] else { return nil }
            self = .storageType(name: name, dtype: dtype)
        default: return nil
        }
    }

    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case let .storageType(name, _): return "torch." + name
        }
    }
}

/// A storage as named by a persistent id `('storage', torch.XStorage, key, location, numel)`.
struct TorchStorageRef: Equatable {
    let key: String
    let dtype: DType
    let typeName: String
    let location: String
    /// Elements (of `dtype`) the storage holds.
    let count: Int
}

/// A tensor view of a storage: element offset, shape and strides (in elements), all validated
/// against the storage's element count.
struct TorchTensorRecord: Equatable {
    let storage: TorchStorageRef
    let offset: Int
    let shape: [Int]
    let strides: [Int]
    /// Elements in the tensor.
    let count: Int
    /// One past the largest storage element the view touches (equal to `offset` when empty).
    let extent: Int

    /// Whether the elements are the storage's `offset ..< offset + count` in row-major order.
    var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }
}
