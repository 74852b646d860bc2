#if canImport(Glibc)
import Glibc
#endif

/// The session-wide memory budget: how many bytes the values of a program may hold together.
///
/// Per-object limits (`ResourceLimits.collectionCount`, ...) stop one runaway value, but two
/// lists just under the limit each, or a loop that keeps many tensors, can still exhaust the
/// machine. The budget counts the private memory the process holds (resident pages not backed
/// by a file), so it covers every value at once, whatever its
/// type, and what is freed counts at once (`a = nil`). Allocations that the language makes check it
/// before they happen (with their size), and the interpreter checks it between statements, so
/// growth in many small steps is caught too. Going past it is an ordinary runtime error: the
/// session and its variables survive.
public enum MemoryBudget {
    /// Half of physical memory: the rest stays for the system, other programs, and the
    /// transient copies an operation makes while it runs (a merge holds its inputs and output
    /// at once), so the budget fails a program while the machine is still responsive, before
    /// the kernel's out-of-memory killer ends the whole session.
    public static let defaultFraction = 0.5

    public static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 8 << 30 }
        return pages * size
    }

    public static var defaultBytes: Int { Int(Double(physicalMemory) * defaultFraction) }

    /// Growth within one entry that the between-statement check lets pass (allocator noise).
    static let growthSlack = 16 << 20

    /// Bytes of private memory the process holds now: its resident pages less those shared
    /// with files (code, mapped adapter files), from /proc/self/statm. 0 when unreadable.
    public static func inUse() -> Int {
        let fd = open("/proc/self/statm", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 0 }
        // "size resident shared text lib data dirty", in pages.
        let fields = String(decoding: buffer.prefix(n), as: UTF8.self).split(separator: " ").compactMap { Int($0) }
        guard fields.count >= 3 else { return 0 }
        return max(0, fields[1] - fields[2]) * pageSize
    }

    static let pageSize: Int = max(1, sysconf(Int32(_SC_PAGESIZE)))

    /// Parses a `--max-memory` value: bytes, or a number with a unit (`512M`, `4GB`, `1.5GiB`,
    /// `800k`; powers of 1024), or a percentage of physical memory (`25%`).
    public static func parse(_ text: String) -> Int? {
        var s = text.trimmingCharacters(in: " ").lowercased()
        if s.hasSuffix("%") {
            guard let percent = Double(s.dropLast()), percent > 0, percent <= 100 else { return nil }
            return Int(Double(physicalMemory) * percent / 100)
        }
        for suffix in ["ib", "b"] where s.hasSuffix(suffix) && s.count > suffix.count {
            s.removeLast(suffix.count)
            break
        }
        var scale = 1.0
        if let unit = s.last, let power = ["k": 1.0, "m": 2.0, "g": 3.0, "t": 4.0][String(unit)] {
            scale = Glibc.pow(1024.0, power)
            s.removeLast()
        }
        guard let number = Double(s), number.isFinite, number > 0 else { return nil }
        let bytes = number * scale
        guard bytes >= 1_048_576, bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    /// A size for messages: "300 MiB", "1.5 GiB".
    static func describe(_ bytes: Int) -> String {
        if bytes >= 10 << 30 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 30 { return cFormat("%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }
}

extension ResourceLimits {
    /// `what` may allocate `bytes` more, or an error that names the budget.
    func checkMemory(adding bytes: Int, _ what: String) throws {
        guard let budget = memoryBytes else { return }
        let used = MemoryBudget.inUse()
        guard ResourceLimits.sum(used, bytes) > budget else { return }
        throw BuiltinError("\(what) needs \(MemoryBudget.describe(bytes)) more, but the session already holds \(MemoryBudget.describe(used)) of its memory budget of \(MemoryBudget.describe(budget)) (set with --max-memory); free values you no longer need (x = nil) or raise the budget")
    }

    /// Whether the session now holds more than its budget and more than `baseline` (what it
    /// held when the entry began) plus some slack, as an error message.
    func memoryExceeded(since baseline: Int) -> String? {
        guard let budget = memoryBytes else { return nil }
        let used = MemoryBudget.inUse()
        guard used > budget, used > ResourceLimits.sum(baseline, MemoryBudget.growthSlack) else { return nil }
        return "the session holds \(MemoryBudget.describe(used)), more than its memory budget of \(MemoryBudget.describe(budget)) (set with --max-memory); free values you no longer need (x = nil) or raise the budget"
    }
}

extension Interpreter {
    /// A tensor of `elements` float32 values may be made here, or an error at `span`.
    func reserveMemory(elements: Int, at span: Span) throws {
        do {
            try limits.checkMemory(adding: ResourceLimits.product(elements, MemoryLayout<Float>.stride), "this result")
        } catch let error as BuiltinError {
            throw fail(error.message, at: span)
        }
    }
}
