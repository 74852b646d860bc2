import Ops

/// print, len, range, type, conversions, list and dict helpers, help.
enum GeneralBuiltins {
    static var all: [Builtin] { [
        Builtin("print(*values, sep=\" \", end=\"\\n\")", .general, "Writes the values as text, separated by `sep`.",
                example: "print(\"norm\", 1.5)") { args, interp in
            let sep = try args.string(0), end = try args.string(1)
            interp.host.write(args.rest.map { Printer.str($0, maxBytes: args.limits.stringBytes) }.joined(separator: sep) + end.replacingEscapes())
            return .nil
        },
        Builtin("len(x)", .general, "Number of elements: list, string, dict, range, table rows, adapter modules, tensor rows.",
                example: "len([1, 2, 3])") { args, _ in
            switch args[0] {
            case let .list(l): return .int(l.items.count)
            case let .string(s): return .int(s.count)
            case let .dict(d): return .int(d.count)
            case let .range(a, b, s): return .int(Ranges.count(a, b, s))
            case let .table(t): return .int(t.rows.count)
            case let .adapter(a): return .int(a.modules.count)
            case let .tensor(t): return .int(t.shape.first ?? 1)
            default: throw args.bad(0, "list, string, dict, range, table, adapter or tensor")
            }
        },
        Builtin("range(start, stop=nil, step=1)", .general, "The ints start, start+step, ... before stop (`range(n)` is 0..n-1).",
                example: "range(2, 10, 3)") { args, _ in
            var start = try args.int(0), stop = try args.optionalInt(1)
            let step = try args.int(2)
            if stop == nil { stop = start; start = 0 }
            guard step != 0 else { throw args.bad(2, "a non-zero step", got: "0") }
            let end = stop ?? 0
            guard !end.subtractingReportingOverflow(start).overflow else { throw BuiltinError("range is too large") }
            return .range(start, end, step)
        },
        Builtin("type(x)", .general, "The type name of a value, as a string.", example: "type(1.5)") { args, _ in
            .string(args[0].typeName)
        },
        Builtin("str(x)", .general, "The text of a value, as `print` writes it.", example: "str(42)") { args, _ in
            let text = Printer.str(args[0], maxBytes: args.limits.stringBytes)
            try args.limits.checkString(bytes: text.utf8.count, "str")
            return .string(text)
        },
        Builtin("repr(x)", .general, "The text of a value as the REPL echoes it (strings quoted).", example: "repr(\"a\")") { args, _ in
            let text = Printer.repr(args[0], maxBytes: args.limits.stringBytes)
            try args.limits.checkString(bytes: text.utf8.count, "repr")
            return .string(text)
        },
        Builtin("int(x)", .general, "Converts to an int: truncates floats, parses strings.", example: "int(\"12\")") { args, _ in
            switch args[0] {
            case let .int(i): return .int(i)
            case let .bool(b): return .int(b ? 1 : 0)
            case let .float(x):
                guard x.isFinite, abs(x) < 9.2e18 else { throw args.bad(0, "a finite float within the int range") }
                return .int(Int(x))
            case let .string(s):
                guard let i = Int(s.trimmingCharacters(in: " \t\n")) else { throw args.bad(0, "a string holding an int") }
                return .int(i)
            default: throw args.bad(0, "number or string")
            }
        },
        Builtin("float(x)", .general, "Converts to a float (parses strings; \"inf\" and \"nan\" work).", example: "float(\"1e-3\")") { args, _ in
            switch args[0] {
            case let .string(s):
                guard let x = Double(s.trimmingCharacters(in: " \t\n")) else { throw args.bad(0, "a string holding a number") }
                return .float(x)
            case let .tensor(t) where t.count == 1:
                // A float32 element, at float32 precision (as t[0] reads it).
                return .float(TensorArithmetic.widen(t.data[0]))
            default: return .float(try args.double(0))
            }
        },
        Builtin("bool(x)", .general, "The truth value of x (0, empty and nil are false).", example: "bool([])") { args, interp in
            .bool(try interp.truthy(args[0], at: args.callSpan))
        },
        Builtin("list(x)", .general, "A new list of the elements of x (a range, string, dict's keys, tensor rows, table rows).",
                example: "list(range(3))") { args, interp in
            if case let .range(a, b, s) = args[0], Ranges.count(a, b, s) > args.limits.collectionCount {
                throw args.bad(0, "a range of at most \(args.limits.collectionCount) elements (the list size limit)", got: "\(Ranges.count(a, b, s)) elements")
            }
            if case let .range(a, b, s) = args[0] {
                try args.limits.checkCollection(count: Ranges.count(a, b, s), "list(range(...))")
            }
            var items: [Value] = []
            try interp.iterate(args[0], at: args.spans[0] ?? args.callSpan) { item in
                guard items.count < args.limits.collectionCount else {
                    throw args.bad(0, "at most \(args.limits.collectionCount) elements (the list size limit)", got: "more")
                }
                items.append(item)
                return true
            }
            return .list(items)
        },
        Builtin("keys(d)", .general, "The keys of a dict (or column names of a table), as a list.", example: "keys({\"a\": 1})") { args, _ in
            switch args[0] {
            case let .dict(d): return .list(d.keys)
            case let .table(t): return .list(t.columns.map { .string($0) })
            default: throw args.bad(0, "dict or table")
            }
        },
        Builtin("values(d)", .general, "The values of a dict, as a list.", example: "values({\"a\": 1})") { args, _ in
            guard case let .dict(d) = args[0] else { throw args.bad(0, "dict") }
            return .list(d.values)
        },
        Builtin("items(d)", .general, "The [key, value] pairs of a dict.", example: "for k, v in items(d) { print(k, v) }") { args, _ in
            guard case let .dict(d) = args[0] else { throw args.bad(0, "dict") }
            return .list(d.pairs.map { .list([$0.0, $0.1]) })
        },
        Builtin("get(d, key, default=nil)", .general, "d[key], or `default` when the key is missing.", example: "get({\"a\": 1}, \"b\", 0)") { args, _ in
            guard case let .dict(d) = args[0] else { throw args.bad(0, "dict") }
            return d.get(args[1]) ?? args[2]
        },
        Builtin("append(xs, x)", .general, "Adds x to the end of the list xs (in place).", example: "xs.append(4)") { args, interp in
            guard case let .list(l) = args[0] else { throw args.bad(0, "list") }
            try args.limits.checkCollection(count: l.items.count + 1, adding: 1, "append")
            l.items.append(args[1])
            interp.cycles.noteInsertion(of: args[1], into: l)
            return .nil
        },
        Builtin("extend(xs, ys)", .general, "Adds the elements of ys to the end of xs (in place).", example: "xs.extend([5, 6])") { args, interp in
            guard case let .list(l) = args[0] else { throw args.bad(0, "list") }
            let more = try args.list(1)
            try args.limits.checkCollection(count: ResourceLimits.sum(l.items.count, more.count), adding: more.count, "extend")
            l.items += more
            if more.contains(where: CycleRegistry.canReference) { interp.cycles.note(l) }
            return .nil
        },
        Builtin("pop(xs, i=-1)", .general, "Removes and returns element i of a list (the last by default), or key i of a dict.",
                example: "xs.pop()") { args, interp in
            if case let .dict(d) = args[0] {
                guard let v = d.remove(args[1]) else { throw BuiltinError(interp.missingKey(args[1], in: d), span: args.spans[1]) }
                return v
            }
            guard case let .list(l) = args[0] else { throw args.bad(0, "list or dict") }
            guard !l.items.isEmpty else { throw BuiltinError("pop from an empty list") }
            let i = try interp.position(args[1], count: l.items.count, what: "list", at: args.spans[1] ?? args.callSpan)
            return l.items.remove(at: i)
        },
        Builtin("insert(xs, i, x)", .general, "Inserts x before position i of the list xs.", example: "xs.insert(0, \"first\")") { args, interp in
            guard case let .list(l) = args[0] else { throw args.bad(0, "list") }
            try args.limits.checkCollection(count: l.items.count + 1, "insert")
            var i = try args.int(1)
            if i < 0 { i += l.items.count }
            l.items.insert(args[2], at: min(max(i, 0), l.items.count))
            interp.cycles.noteInsertion(of: args[2], into: l)
            return .nil
        },
        Builtin("sorted(xs, reverse=false)", .general, "A sorted copy of a list of numbers or of strings.", example: "sorted([3, 1, 2])") { args, _ in
            let items = try args.list(0)
            let reverse = try args.bool(1)
            let sorted: [Value]
            if items.allSatisfy({ $0.asDouble != nil }) {
                sorted = items.sorted { ($0.asDouble ?? 0) < ($1.asDouble ?? 0) }
            } else if items.allSatisfy({ if case .string = $0 { return true }; return false }) {
                sorted = items.sorted { Printer.str($0) < Printer.str($1) }
            } else {
                throw args.bad(0, "list of numbers or of strings")
            }
            return .list(reverse ? sorted.reversed() : sorted)
        },
        Builtin("reversed(xs)", .general, "A reversed copy of a list (or string).", example: "reversed([1, 2, 3])") { args, _ in
            if case let .string(s) = args[0] { return .string(String(s.reversed())) }
            return .list(try args.list(0).reversed())
        },
        Builtin("enumerate(xs)", .general, "[[0, x0], [1, x1], ...] for a `for i, x in ...` loop.",
                example: "for i, x in enumerate([\"a\", \"b\"]) { print(i, x) }") { args, interp in
            var items: [Value] = []
            try interp.iterate(args[0], at: args.spans[0] ?? args.callSpan) { items.append(.list([.int(items.count), $0])); return true }
            return .list(items)
        },
        Builtin("zip(a, b)", .general, "Pairs [a[i], b[i]] up to the shorter length.", example: "zip([1, 2], [\"x\", \"y\"])") { args, interp in
            var a: [Value] = [], b: [Value] = []
            try interp.iterate(args[0], at: args.spans[0] ?? args.callSpan) { a.append($0); return true }
            try interp.iterate(args[1], at: args.spans[1] ?? args.callSpan) { b.append($0); return true }
            return .list(zip(a, b).map { .list([$0, $1]) })
        },
        Builtin("join(xs, sep=\"\")", .general, "Joins the texts of the elements with `sep` between them.", example: "join([\"a\", \"b\"], \"-\")") { args, _ in
            let parts = try args.list(0).map { Printer.str($0, maxBytes: args.limits.stringBytes) }
            let sep = try args.string(1)
            let bytes = parts.reduce(ResourceLimits.product(sep.utf8.count, max(0, parts.count - 1))) { ResourceLimits.sum($0, $1.utf8.count) }
            try args.limits.checkString(bytes: bytes, "join")
            return .string(parts.joined(separator: sep))
        },
        Builtin("split(s, sep=nil)", .general, "Splits a string on `sep` (on runs of whitespace by default).", example: "split(\"a.b.c\", \".\")") { args, _ in
            let s = try args.string(0)
            if let sep = try args.optionalString(1), !sep.isEmpty {
                return .list(s.splitting(on: sep).map { .string($0) })
            }
            return .list(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map { .string(String($0)) })
        },
        Builtin("round(x, digits=0)", .general, "Rounds half to even (Python's rule); an int when digits is 0.", example: "round(2.675, 2)") { args, _ in
            let x = try args.double(0), digits = try args.int(1)
            if digits == 0, case .int = args[0] { return args[0] }
            // printf rounds the exact binary value, as Python's round does (2.675 -> 2.67).
            let r = digits > 0 && digits <= 17 && x.isFinite
                ? Double(cFormat("%.\(digits)f", x)) ?? x
                : (x * pow10(digits)).rounded(.toNearestOrEven) / pow10(digits)
            if digits == 0 {
                guard r.isFinite, abs(r) < 9.2e18 else { return .float(r) }
                return .int(Int(r))
            }
            return .float(r)
        },
        Builtin("assert(condition, message=\"assertion failed\")", .general, "Raises an error with `message` unless the condition holds.",
                example: "assert(len(xs) > 0, \"no inputs\")") { args, interp in
            if try !interp.truthy(args[0], at: args.callSpan) { throw BuiltinError(try args.string(1)) }
            return .nil
        },
        Builtin("error(message)", .general, "Stops with an error carrying `message` (and the Seed call stack).",
                example: "error(\"bad input\")") { args, _ in
            throw BuiltinError(Printer.str(args[0]))
        },
        Builtin("help(topic=nil)", .general, "Describes a builtin (signature, summary, example), or lists them all.",
                example: "help(\"svd\")") { args, interp in
            let name: String?
            switch args[0] {
            case .nil: name = nil
            case let .string(s): name = s
            case let .builtin(b): name = b.name
            case let .function(f): name = f.name
            default: throw args.bad(0, "a name or a function")
            }
            interp.host.write(Help.text(for: name, interpreter: interp) + "\n")
            return .nil
        },
    ] }

    static func pow10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<min(abs(n), 300) { p *= 10 }
        return n < 0 ? 1 / p : p
    }
}

extension String {
    /// `print(end="\n")` in a signature default arrives as the two characters backslash, n.
    func replacingEscapes() -> String {
        self == "\\n" ? "\n" : self
    }

    func splitting(on separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.range(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    func range(of needle: String) -> Range<Substring.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) {
                return i..<index(i, offsetBy: needle.count)
            }
            i = index(after: i)
        }
        return nil
    }
}
