import Ops
import Plugins

/// Strategy parameters given in Seed, checked against the registry's declarations with Seed's
/// words (a list, a string, true/false) and an error that points at the keyword.
enum SeedParameters {
    static func check(_ key: String, _ value: Value, of info: StrategyInfo, inputCount: Int, span: Span) throws {
        guard let spec = info.parameters.first(where: { $0.name == key }) else {
            let names = info.parameters.map(\.name)
            let hint = Suggest.closest(to: key, in: names).map { "; did you mean '\($0)'?" } ?? ""
            throw BuiltinError("strategy \(info.name) has no parameter '\(key)'\(hint) (its parameters: \(names.isEmpty ? "none" : names.joined(separator: ", ")))", span: span)
        }
        let got = Args.describe(value)
        func bad(_ expected: String, _ what: String? = nil) -> BuiltinError {
            BuiltinError("parameter '\(key)' of strategy \(info.name): expected \(expected), got \(what ?? got)", span: span)
        }
        func number(_ v: Value) -> Double? {
            switch v {
            case let .int(i): return Double(i)
            case let .float(x): return x
            default: return nil
            }
        }
        func show(_ range: ClosedRange<Double>) -> String {
            func f(_ x: Double) -> String { x.isInfinite ? (x < 0 ? "-inf" : "inf") : Printer.float(x) }
            if range.lowerBound == -.infinity && range.upperBound == .infinity { return "" }
            return " from \(f(range.lowerBound)) to \(f(range.upperBound))"
        }
        switch spec.kind {
        case let .real(range):
            guard let x = number(value), x.isFinite else { throw bad("a number") }
            guard range.contains(x) else { throw bad("a number\(show(range))") }
        case let .integer(range):
            guard case let .int(i) = value else { throw bad("an int") }
            guard range.contains(i) else { throw bad("an int from \(range.lowerBound) to \(range.upperBound)") }
        case let .realPerInput(range):
            let expected = "a number or a list of \(inputCount) numbers (one per input)\(show(range))"
            var items: [Value] = [value]
            if case let .list(l) = value {
                items = l.items
                guard items.count == inputCount else { throw bad(expected, "a list of \(items.count)") }
            } else if case let .tensor(t) = value {
                items = t.data.map { .float(Double($0)) }
                guard t.rank == 1, items.count == inputCount else { throw bad(expected, "a tensor of shape \(Printer.shape(t.shape))") }
            }
            let isList: Bool
            switch value { case .list, .tensor: isList = true; default: isList = false }
            for (i, item) in items.enumerated() {
                guard let x = number(item), x.isFinite else {
                    throw bad(expected, isList ? "\(Args.describe(item)) at index \(i)" : nil)
                }
                guard range.contains(x) else { throw bad(expected, isList ? "\(Args.describe(item)) at index \(i)" : nil) }
            }
        case let .choice(words):
            guard case let .string(word) = value, words.contains(word) else {
                throw bad(words.map { "\"\($0)\"" }.joined(separator: " or "))
            }
        case let .choiceOrInputIndex(words):
            let expected = (words.map { "\"\($0)\"" } + ["an input index from 0 to \(inputCount - 1)"]).joined(separator: " or ")
            switch value {
            case let .string(word) where words.contains(word): break
            case let .int(i) where (0..<inputCount).contains(i): break
            default: throw bad(expected)
            }
        case .boolean:
            guard case .bool = value else { throw bad("true or false") }
        }
    }
}
