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

    public init(stringBytes: Int = 100_000_000, collectionCount: Int = 10_000_000,
                tensorElements: Int = 500_000_000, callDepth: Int = 1000,
                comparisonSteps: Int = 50_000_000, steps: Int? = nil) {
        self.stringBytes = stringBytes
        self.collectionCount = collectionCount
        self.tensorElements = tensorElements
        self.callDepth = callDepth
        self.comparisonSteps = comparisonSteps
        self.steps = steps
    }

    public static let standard = ResourceLimits()

    /// A string of `bytes` UTF-8 bytes may be made by `what` (e.g. "s + t"), or an error
    /// that says which limit was hit.
    func checkString(bytes: Int, _ what: String) throws {
        guard bytes <= stringBytes else {
            throw BuiltinError("\(what) would make a string of \(Self.size(bytes)), more than the limit of \(Self.size(stringBytes)) for one string")
        }
    }

    /// A list or dict of `count` elements may be made by `what`, or an error.
    func checkCollection(count: Int, _ what: String) throws {
        guard count <= collectionCount else {
            throw BuiltinError("\(what) would hold \(count) elements, more than the limit of \(collectionCount) for one list or dict; use a tensor for large numeric data")
        }
    }

    /// The element count of a tensor of `shape`, refused above the tensor limit.
    func tensorCount(_ shape: [Int]) throws -> Int {
        do {
            return try Tensor.elementCount(shape, limit: tensorElements)
        } catch let error as SeedloraError {
            throw BuiltinError(error.description)
        }
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
