/// A pickle reader that understands a tensor state dict and nothing else.
///
/// Python's unpickler is a small virtual machine whose GLOBAL and REDUCE opcodes import and call
/// any function named in the file: loading an untrusted `adapter_model.bin` with `torch.load`
/// (without `weights_only=True`) runs whatever the file says. This reader runs nothing. It
/// executes only data opcodes, knows three globals (`collections.OrderedDict`,
/// `torch._utils._rebuild_tensor_v2` and the `torch.*Storage` types) as *names*, builds the few
/// records they stand for itself, and refuses every other global, call and opcode with a message
/// naming it and its byte offset. Memory and work are bounded by the limits below and by the input
/// size; every read is bounds-checked.
struct TorchUnpickler {
    /// Limits (a state dict of 10,000 tensors stays far below each).
    static let maxStack = 1 << 20
    static let maxMemo = 1 << 20
    static let maxItems = 1 << 22
    static let maxTupleDepth = 32
    static let maxDimensions = 64
    static let maxNameBytes = 256

    /// Reads a pickled state dict: a dict or OrderedDict of string keys to tensors, in file order.
    static func stateDict(_ bytes: UnsafeRawBufferPointer) throws -> [(name: String, tensor: TorchTensorRecord)] {
        var machine = TorchUnpickler(bytes)
        let root = try machine.run()
        return try machine.tensors(in: root)
    }

    private let reader: ByteReader
    private var pos = 0
    /// Where the current opcode started (for messages).
    private var opcodeStart = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var objects: [PickleObject] = []
    /// Items held in tuples, lists and dicts so far.
    private var items = 0

    private init(_ bytes: UnsafeRawBufferPointer) { reader = ByteReader(bytes) }

    private func fail(_ message: String) -> SeedloraError {
        SeedloraError("pickle byte \(opcodeStart): \(message)")
    }

    // MARK: the machine

    private mutating func run() throws -> PickleValue {
        while true {
            opcodeStart = pos
            guard pos < reader.count else { throw fail("the pickle ends without STOP (truncated?)") }
            let code = reader.bytes[pos]
            pos += 1
            if code == 0x2E {  // STOP
                guard marks.isEmpty, stack.count == 1, let result = stack.last else {
                    throw fail("STOP with \(stack.count) values and \(marks.count) open marks on the stack (expected one value)")
                }
                guard pos == reader.count else { throw fail("\(reader.count - pos) bytes after STOP") }
                return result
            }
            try step(code)
        }
    }

    private mutating func step(_ code: UInt8) throws {
        switch code {
        case 0x80:  // PROTO
            let version = try readU8()
            guard (2...5).contains(version) else { throw fail("pickle protocol \(version); torch.save writes 2 (up to 5 is read)") }
        case 0x95: _ = try readBytes(8)  // FRAME: a length hint; the bytes follow inline
        case 0x28:  // MARK
            guard marks.count < Self.maxStack else { throw fail("more than \(Self.maxStack) open marks") }
            marks.append(stack.count)
        case 0x4E: try push(.none)
        case 0x88: try push(.bool(true))
        case 0x89: try push(.bool(false))
        case 0x4A: try push(.int(Int(Int32(bitPattern: try readU32()))))  // BININT
        case 0x4B: try push(.int(Int(try readU8())))  // BININT1
        case 0x4D: try push(.int(Int(try readU16())))  // BININT2
        case 0x8A: try push(.int(try readLong1()))
        case 0x47: try push(.float(Double(bitPattern: UInt64(bigEndian: try readBytes(8).loadUnaligned(as: UInt64.self)))))
        case 0x58: try push(.string(try readString(length: Int(try readU32()))))  // BINUNICODE
        case 0x8C: try push(.string(try readString(length: Int(try readU8()))))  // SHORT_BINUNICODE
        case 0x8D: try push(.string(try readString(length: Int(clamping: try readU64()))))  // BINUNICODE8
        case 0x29: try push(try tuple([]))  // EMPTY_TUPLE
        case 0x74: try push(try tuple(try popToMark()))  // TUPLE
        case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
            try push(try tuple(try pop(Int(code - 0x84))))
        case 0x5D: try push(try newObject(.list([])))  // EMPTY_LIST
        case 0x7D: try push(try newObject(.dict(PickleDict())))  // EMPTY_DICT
        case 0x61: try append(try pop(1))  // APPEND
        case 0x65: try append(try popToMark())  // APPENDS
        case 0x73: try setItems(try pop(2))  // SETITEM
        case 0x75: try setItems(try popToMark())  // SETITEMS
        case 0x71: try put(Int(try readU8()))  // BINPUT
        case 0x72: try put(Int(try readU32()))  // LONG_BINPUT
        case 0x94: try put(memo.count)  // MEMOIZE
        case 0x68: try get(Int(try readU8()))  // BINGET
        case 0x6A: try get(Int(try readU32()))  // LONG_BINGET
        case 0x63: try push(try global(module: try readLine(), name: try readLine()))  // GLOBAL
        case 0x93:  // STACK_GLOBAL
            let parts = try pop(2)
            guard case let .string(module) = parts[0], case let .string(name) = parts[1] else {
                throw fail("STACK_GLOBAL needs two strings, got \(parts[0].kindName) and \(parts[1].kindName)")
            }
            try push(try global(module: module, name: name))
        case 0x52: try push(try reduce(try pop(2)))  // REDUCE
        case 0x51: try push(.storage(try storage(try pop(1)[0])))  // BINPERSID
        case 0x62: try build(try pop(1)[0])  // BUILD
        default:
            throw fail("refused opcode \(PickleOpcode.describe(code)): a tensor state dict needs only data opcodes, and nothing from the file is run")
        }
    }

    // MARK: stack and memo

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < Self.maxStack else { throw fail("more than \(Self.maxStack) values on the pickle stack") }
        stack.append(value)
    }

    /// The top `n` values, in stack order; never reaches below the innermost mark.
    private mutating func pop(_ n: Int) throws -> [PickleValue] {
        let floor = marks.last ?? 0
        guard stack.count - floor >= n else {
            throw fail("\(PickleOpcode.describe(reader.bytes[opcodeStart])) needs \(n) values on the stack, found \(stack.count - floor)")
        }
        let values = Array(stack[(stack.count - n)...])
        stack.removeLast(n)
        return values
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else {
            throw fail("\(PickleOpcode.describe(reader.bytes[opcodeStart])) without a MARK")
        }
        let values = Array(stack[mark...])
        stack.removeLast(stack.count - mark)
        return values
    }

    private mutating func put(_ index: Int) throws {
        guard let top = stack.last, stack.count > (marks.last ?? 0) else { throw fail("memoize with an empty stack") }
        guard memo.count < Self.maxMemo || memo[index] != nil else { throw fail("more than \(Self.maxMemo) memo entries") }
        memo[index] = top
    }

    private mutating func get(_ index: Int) throws {
        guard let value = memo[index] else { throw fail("memo entry \(index) was never stored") }
        try push(value)
    }

    private mutating func count(_ n: Int) throws {
        items += n
        guard items <= Self.maxItems else { throw fail("more than \(Self.maxItems) items in tuples, lists and dicts") }
    }

    private mutating func tuple(_ values: [PickleValue]) throws -> PickleValue {
        try count(values.count)
        let t = PickleTuple(values)
        guard t.depth <= Self.maxTupleDepth else { throw fail("tuples nested deeper than \(Self.maxTupleDepth)") }
        return .tuple(t)
    }

    private mutating func newObject(_ object: PickleObject) throws -> PickleValue {
        try count(1)
        objects.append(object)
        return .object(objects.count - 1)
    }

    // MARK: containers

    private mutating func append(_ values: [PickleValue]) throws {
        let target = try top("APPEND")
        guard case let .object(id) = target, case .list(var list) = objects[id] else {
            throw fail("APPEND to \(target.kindName), expected a list")
        }
        try count(values.count)
        objects[id] = .list([])  // keep the array uniquely referenced while it grows
        list.append(contentsOf: values)
        objects[id] = .list(list)
    }

    private mutating func setItems(_ values: [PickleValue]) throws {
        guard values.count % 2 == 0 else { throw fail("SETITEMS with an odd number (\(values.count)) of keys and values") }
        let target = try top("SETITEM")
        guard case let .object(id) = target, case .dict(var dict) = objects[id] else {
            throw fail("SETITEM on \(target.kindName), expected a dict")
        }
        try count(values.count / 2)
        objects[id] = .list([])
        for i in stride(from: 0, to: values.count, by: 2) {
            let key: PickleKey
            switch values[i] {
            case let .string(s): key = .string(s)
            case let .int(n): key = .int(n)
            default: throw fail("dict key is \(values[i].kindName); a state dict has string keys")
            }
            dict.set(key, values[i + 1])
        }
        objects[id] = .dict(dict)
    }

    /// BUILD sets an object's attributes. The only one torch writes is an OrderedDict's
    /// `_metadata` (module versions), which is dropped: dicts may be built with a dict or None.
    private mutating func build(_ state: PickleValue) throws {
        let target = try top("BUILD")
        guard isDict(target) else {
            throw fail("refused BUILD on \(target.kindName): only a dict's attributes (torch's _metadata) may be set")
        }
        guard isDict(state) || isNone(state) else {
            throw fail("refused BUILD with \(state.kindName) as state (expected a dict of attributes)")
        }
    }

    private func isDict(_ value: PickleValue) -> Bool {
        guard case let .object(id) = value, case .dict = objects[id] else { return false }
        return true
    }

    private func isNone(_ value: PickleValue) -> Bool {
        if case .none = value { return true }
        return false
    }

    /// The value on top of the stack, above the innermost mark (the target of APPEND, SETITEM, BUILD).
    private func top(_ opcode: String) throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw fail("\(opcode) with nothing on the stack") }
        return value
    }

    // MARK: globals, calls, persistent ids

    private func global(module: String, name: String) throws -> PickleValue {
        guard let global = TorchGlobal(module: module, name: name) else {
            throw fail("refused global '\(module).\(name)': a tensor state dict may name only collections.OrderedDict, "
                       + "torch._utils._rebuild_tensor_v2 and torch storage types (torch.FloatStorage, torch.HalfStorage, "
                       + "torch.BFloat16Storage, ...); nothing from the file is run")
        }
        return .global(global)
    }

    private mutating func reduce(_ values: [PickleValue]) throws -> PickleValue {
        let (callable, arguments) = (values[0], values[1])
        guard case let .global(global) = callable, global == .orderedDict || global == .rebuildTensorV2 else {
            throw fail("refused REDUCE (a call) of \(callable.kindName): only collections.OrderedDict() and "
                       + "torch._utils._rebuild_tensor_v2(...) are understood, and nothing from the file is run")
        }
        guard case let .tuple(args) = arguments else { throw fail("REDUCE arguments are \(arguments.kindName), expected a tuple") }
        if global == .orderedDict {
            guard args.items.isEmpty else { throw fail("collections.OrderedDict called with arguments; torch writes OrderedDict()") }
            return try newObject(.dict(PickleDict()))
        }
        return .tensor(try rebuildTensor(args.items))
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private func rebuildTensor(_ args: [PickleValue]) throws -> TorchTensorRecord {
        let what = "torch._utils._rebuild_tensor_v2"
        guard args.count == 6 || args.count == 7 else { throw fail("\(what) takes 6 or 7 arguments, got \(args.count)") }
        guard case let .storage(storage) = args[0] else { throw fail("\(what): argument 1 is \(args[0].kindName), expected a storage") }
        guard case let .int(offset) = args[1], offset >= 0 else { throw fail("\(what): storage offset must be a non-negative integer") }
        let shape = try integers(args[2], "\(what): size")
        let strides = try integers(args[3], "\(what): stride")
        guard shape.count == strides.count else {
            throw fail("\(what): size has \(shape.count) dimensions but stride has \(strides.count)")
        }
        guard case .bool = args[4] else { throw fail("\(what): requires_grad is \(args[4].kindName), expected a bool") }
        guard isDict(args[5]) else {
            throw fail("\(what): backward_hooks is \(args[5].kindName), expected an OrderedDict")
        }
        if args.count == 7, !isDict(args[6]), !isNone(args[6]) {
            throw fail("\(what): metadata is \(args[6].kindName), expected a dict or None")
        }
        let (count, extent) = try Self.span(offset: offset, shape: shape, strides: strides)
            .orThrow(fail("\(what): size \(shape) with stride \(strides) at offset \(offset) overflows"))
        guard extent <= storage.count else {
            throw fail("\(what): a view of size \(shape), stride \(strides) at offset \(offset) reaches element \(extent) "
                       + "of storage '\(storage.key)', which holds \(storage.count)")
        }
        // Stride 0 (expanded) views could describe far more elements than the file holds.
        guard count <= storage.count else {
            throw fail("\(what): a tensor of \(count) elements over storage '\(storage.key)' of \(storage.count) (expanded tensors are not read)")
        }
        return TorchTensorRecord(storage: storage, offset: offset, shape: shape, strides: strides, count: count, extent: extent)
    }

    /// Element count and one past the highest element touched; nil on overflow.
    static func span(offset: Int, shape: [Int], strides: [Int]) -> (count: Int, extent: Int)? {
        var count = 1, last = offset
        for (size, stride) in zip(shape, strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            guard !o1 else { return nil }
            count = c
            guard size > 0 else { continue }
            let (reach, o2) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, o3) = last.addingReportingOverflow(reach)
            guard !o2, !o3 else { return nil }
            last = sum
        }
        return count == 0 ? (0, offset) : (count, last + 1)
    }

    private func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case let .tuple(t) = value, t.items.count <= Self.maxDimensions else {
            throw fail("\(what) is \(value.kindName), expected a tuple of at most \(Self.maxDimensions) integers")
        }
        return try t.items.map { item in
            guard case let .int(n) = item, n >= 0 else { throw fail("\(what) has \(item.kindName), expected non-negative integers") }
            return n
        }
    }

    /// A persistent id `('storage', torch.XStorage, key, location, numel)`.
    private func storage(_ pid: PickleValue) throws -> TorchStorageRef {
        let expected = "expected ('storage', torch.<Type>Storage, key, location, element count)"
        guard case let .tuple(t) = pid, t.items.count == 5 else { throw fail("persistent id is \(pid.kindName); \(expected)") }
        guard case .string("storage") = t.items[0], case let .global(.storageType(typeName, dtype)) = t.items[1],
              case let .string(key) = t.items[2], case let .string(location) = t.items[3],
              case let .int(count) = t.items[4], count >= 0
        else { throw fail("persistent id is not a storage record; \(expected)") }
        return TorchStorageRef(key: key, dtype: dtype, typeName: typeName, location: location, count: count)
    }

    // MARK: the result

    /// The root must be a dict of string keys to tensors.
    private func tensors(in root: PickleValue) throws -> [(name: String, tensor: TorchTensorRecord)] {
        guard case let .object(id) = root, case let .dict(dict) = objects[id] else {
            throw SeedloraError("the pickle holds \(root.kindName), expected a state dict (a dict of names to tensors)")
        }
        return try dict.pairs.map { key, value in
            guard case let .string(name) = key else { throw SeedloraError("state dict key \(key) is not a string") }
            guard case let .tensor(record) = value else {
                throw SeedloraError("state dict entry '\(name)' is \(value.kindName), expected a tensor")
            }
            return (name, record)
        }
    }

    // MARK: reading arguments

    private mutating func readBytes(_ n: Int) throws -> UnsafeRawBufferPointer {
        let slice = try reader.slice(pos, n, "pickle byte \(opcodeStart): \(PickleOpcode.describe(reader.bytes[opcodeStart])) argument")
        pos += n
        return slice
    }

    private mutating func readU8() throws -> UInt8 { try readBytes(1)[0] }
    private mutating func readU16() throws -> UInt16 { UInt16(littleEndian: try readBytes(2).loadUnaligned(as: UInt16.self)) }
    private mutating func readU32() throws -> UInt32 { UInt32(littleEndian: try readBytes(4).loadUnaligned(as: UInt32.self)) }
    private mutating func readU64() throws -> UInt64 { UInt64(littleEndian: try readBytes(8).loadUnaligned(as: UInt64.self)) }

    /// LONG1: a little-endian two's-complement integer of n bytes (at most 8 here).
    private mutating func readLong1() throws -> Int {
        let n = Int(try readU8())
        guard n <= 8 else { throw fail("LONG1 integer of \(n) bytes; only 64-bit integers are read") }
        let bytes = try readBytes(n)
        var value: UInt64 = 0
        for (i, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        if n > 0 && n < 8 && bytes[n - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(n)) }  // sign-extend
        return Int(Int64(bitPattern: value))
    }

    private mutating func readString(length: Int) throws -> String {
        let bytes = try readBytes(length)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return text
    }

    /// A newline-terminated GLOBAL operand (module or name), at most `maxNameBytes` long.
    private mutating func readLine() throws -> String {
        let start = pos
        while pos < reader.count && reader.bytes[pos] != 0x0A {
            guard pos - start < Self.maxNameBytes else { throw fail("GLOBAL name longer than \(Self.maxNameBytes) bytes") }
            pos += 1
        }
        guard pos < reader.count else { throw fail("GLOBAL name without a newline (truncated?)") }
        let line = UnsafeRawBufferPointer(rebasing: reader.bytes[start..<pos])
        pos += 1
        guard let text = String(validating: line, as: UTF8.self) else { throw fail("GLOBAL name is not valid UTF-8") }
        return text
    }
}

extension Optional {
    /// The value, or `error` thrown.
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
