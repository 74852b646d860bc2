import Ops

/// How large a Seed program's values may grow, how deep it may recurse and how long it may run.
///
/// A runaway script (`s = s + s` in a loop, `zeros([10**6, 10**6])`, a recursion without a
/// base case) gets an error naming the limit instead of exhausting the machine and losing the
/// REPL session. The defaults leave ordinary analysis untouched: numeric data belongs in
/// tensors, which may hold far more than lists. Front ends keep the defaults; the fuzz harness
/// lowers them so every input ends quickly (docs/language.md#limits).
public struct ResourceLimits: Sendable {
    /// UTF-8 bytes in one string (100 MB).
    public var stringBytes: Int
    /// Elements of one list or dict, or of a range turned into a list (10 million).
    public var collectionCount: Int
    /// Elements of one tensor made by Seed code (500 million float32 values: 2 GB).
    public var tensorElements: Int
    /// Seed function calls nested inside each other.
    public var callDepth: Int
    /// Elements visited by one `==` or `in` (lists that share or contain each other can make a
    /// comparison exponential in their size).
    public var comparisonSteps: Int
    /// Statements and loop iterations one `Session.run` may execute; nil means no limit (a
    /// long loop is stopped with Ctrl-C instead). The fuzz harness sets it.
    public var steps: Int?
    /// Heap bytes the whole session may hold (`MemoryBudget`; default half of physical
    /// memory, `--max-memory` on the command line); nil means no budget.
    public var memoryBytes: Int?

    public init(stringBytes: Int = 100_000_000, collectionCount: Int = 10_000_000,
                tensorElements: Int = 500_000_000, callDepth: Int = 1000,
                comparisonSteps: Int = 50_000_000, steps: Int? = nil,
                memoryBytes: Int? = MemoryBudget.defaultBytes) {
        self.stringBytes = stringBytes
        self.collectionCount = collectionCount
        self.tensorElements = tensorElements
        self.callDepth = callDepth
        self.comparisonSteps = comparisonSteps
        self.steps = steps
        self.memoryBytes = memoryBytes
    }

    public static let standard = ResourceLimits()

    /// A string of `bytes` UTF-8 bytes may be made by `what` (e.g. "s + t"), or an error
    /// that says which limit was hit.
    func checkString(bytes: Int, _ what: String) throws {
        guard bytes <= stringBytes else {
            throw BuiltinError("\(what) would make a string of \(Self.size(bytes)), more than the limit of \(Self.size(stringBytes)) for one string")
        }
        if bytes >= Self.memoryCheckThreshold { try checkMemory(adding: bytes, what) }
    }

    /// Allocations smaller than this skip the budget check (it reads malloc's statistics);
    /// the interpreter's check between statements still sees their sum.
    static let memoryCheckThreshold = 1 << 16

    /// A list or dict of `count` elements may be made by `what`, or an error. `adding` is how
    /// many of them are new (all by default; one for `append`), for the memory budget.
    func checkCollection(count: Int, adding: Int? = nil, _ what: String) throws {
        guard count <= collectionCount else {
            throw BuiltinError("\(what) would hold \(count) elements, more than the limit of \(collectionCount) for one list or dict; use a tensor for large numeric data")
        }
        let bytes = Self.product(adding ?? count, MemoryLayout<Value>.stride)
        if bytes >= Self.memoryCheckThreshold { try checkMemory(adding: bytes, what) }
    }

    /// The element count of a tensor of `shape`, refused above the tensor limit.
    func tensorCount(_ shape: [Int]) throws -> Int {
        let count: Int
        do {
            count = try Tensor.elementCount(shape, limit: tensorElements)
        } catch let error as SeedloraError {
            throw BuiltinError(error.description)
        }
        let bytes = Self.product(count, MemoryLayout<Float>.stride)
        if bytes >= Self.memoryCheckThreshold { try checkMemory(adding: bytes, "a tensor of shape \(Printer.shape(shape))") }
        return count
    }

    /// `a + b` without overflow (a sum that overflows is over every limit anyway).
    static func sum(_ a: Int, _ b: Int) -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : s
    }

    /// `a * b` without overflow.
    static func product(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : p
    }

    static func size(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 9 EB" }
        if bytes >= 10_000_000 { return "\(bytes / 1_000_000) MB" }
        if bytes >= 10_000 { return "\(bytes / 1000) kB" }
        return "\(bytes) bytes"
    }
}
