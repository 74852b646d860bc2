import Ops

/// Content hashes of Seed values, for deciding whether a cell's inputs changed. Equal values
/// hash equal across runs; a loaded adapter hashes as its directory's bytes (cached per adapter
/// object, since adapters are immutable), a function as its source text.
struct ValueHasher {
    /// Holds the adapters too, so an identifier is never reused while cached.
    private var adapterCache: [ObjectIdentifier: (AdapterValue, String)] = [:]

    mutating func hash(_ value: Value) -> String {
        let h = ContentHasher()
        feed(value, into: h, depth: 0)
        return h.finalize()
    }

    private mutating func feed(_ value: Value, into h: ContentHasher, depth: Int) {
        guard depth < ValueCodec.maxDepth else { h.update("<deep>"); return }
        switch value {
        case .nil: h.update("n")
        case let .bool(b): h.update(b ? "b1" : "b0")
        case let .int(i): h.update("i"); h.update(UInt64(bitPattern: Int64(i)))
        case let .float(x): h.update("f"); h.update(x.bitPattern)
        case let .string(s): h.update("s"); h.update(s)
        case let .range(a, b, s):
            h.update("r")
            for x in [a, b, s] { h.update(UInt64(bitPattern: Int64(x))) }
        case let .tensor(t): feed(t, into: h)
        case let .list(l):
            h.update("L"); h.update(UInt64(l.items.count))
            for item in l.items { feed(item, into: h, depth: depth + 1) }
        case let .dict(d):
            h.update("D"); h.update(UInt64(d.count))
            for (k, v) in d.pairs { feed(k, into: h, depth: depth + 1); feed(v, into: h, depth: depth + 1) }
        case let .table(t):
            h.update("T")
            for c in t.columns { h.update(c) }
            for row in t.rows { for v in row { feed(v, into: h, depth: depth + 1) } }
        case let .adapter(a): h.update("A"); h.update(adapterHash(a))
        case let .delta(d): h.update("d"); h.update(d.module); feed(d.form, into: h)
        case let .function(f):
            h.update("F")
            let span = f.decl.span
            h.update(String(span.file.characters[max(0, span.start)..<min(span.end, span.file.count)]))
        case let .builtin(b): h.update("B"); h.update(b.name)
        case let .figure(f): h.update("P"); h.update(String(describing: f.plot))
        }
    }

    private func feed(_ t: Tensor, into h: ContentHasher) {
        h.update("t"); h.update(UInt64(t.shape.count))
        for d in t.shape { h.update(UInt64(d)) }
        h.update(t.data)
    }

    private func feed(_ form: DeltaForm, into h: ContentHasher) {
        switch form {
        case let .factored(l): feed(l.b, into: h); feed(l.a, into: h); h.update(l.scale.bitPattern)
        case let .dense(t): feed(t, into: h)
        }
    }

    private mutating func adapterHash(_ a: AdapterValue) -> String {
        let key = ObjectIdentifier(a)
        if let known = adapterCache[key] { return known.1 }
        let h = ContentHasher()
        h.update(a.label)
        if let source = a.source, a.method == nil {
            h.update((try? ContentHasher.hash(path: source.path)) ?? "unreadable")
        } else {
            h.update(a.method ?? "")
            for m in a.modules { h.update(m.name); feed(m.form, into: h) }
        }
        let result = h.finalize()
        adapterCache[key] = (a, result)
        return result
    }
}
