/// Breaks the reference cycles a Seed program can build, when its session ends.
///
/// Values are reference counted, so a cycle (`xs.append(xs)`, or a function stored in the
/// scope it closes over) would outlive the session: a leak in every notebook kernel restart,
/// every test and every fuzz input. A cycle can only be closed by changing an object that
/// already exists: putting a list, dict, function or table into a list or dict, or creating a
/// function whose scope (which it references) can come to hold it. Those objects are noted here,
/// weakly and once each; at the end of the session every one still alive drops its references,
/// so the cycles fall apart. (Cycles that become unreachable during a session are freed at its
/// end, not earlier: there is no tracing collector.)
final class CycleRegistry {
    private final class Entry {
        weak var member: (any CycleMember)?
        init(_ member: any CycleMember) { self.member = member }
    }

    private var entries: [Entry] = []
    private var compactAt = 1024

    /// Notes `member` (once) as a possible part of a cycle.
    func note(_ member: any CycleMember) {
        guard !member.inCycleRegistry else { return }
        member.inCycleRegistry = true
        entries.append(Entry(member))
        if entries.count >= compactAt {
            entries.removeAll { $0.member == nil }
            compactAt = max(1024, entries.count * 2)
        }
    }

    /// Notes `container` when `value`, now inside it, can reference other objects.
    func noteInsertion(of value: Value, into container: any CycleMember) {
        if CycleRegistry.canReference(value) { note(container) }
    }

    static func canReference(_ value: Value) -> Bool {
        switch value {
        case .nil, .bool, .int, .float, .string, .range, .tensor, .adapter, .delta, .builtin, .figure: return false
        case .list, .dict, .function, .table: return true
        }
    }

    /// Every noted object still alive drops what it holds.
    func breakAll() {
        let alive = entries.compactMap(\.member)
        entries.removeAll()
        for member in alive { member.dropReferences() }
    }

    var count: Int { entries.count }
}

/// An object that can sit in a reference cycle of Seed values.
protocol CycleMember: AnyObject {
    var inCycleRegistry: Bool { get set }
    func dropReferences()
}

extension ListRef: CycleMember {
    func dropReferences() { items.removeAll() }
}

extension DictRef: CycleMember {
    func dropReferences() { removeAllEntries() }
}

extension Environment: CycleMember {
    func dropReferences() { removeAll() }
}
