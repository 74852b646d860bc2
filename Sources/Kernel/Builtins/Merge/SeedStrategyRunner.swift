import Ops
import Plugins

/// Runs a strategy written in Seed: called once per module with the dense deltas of every
/// input and one weight per input, it returns the merged dense delta.
enum SeedStrategyRunner {
    /// `merge(adapters, strategy="name", weights=..., name=value...)` in Seed.
    static func merge(_ adapters: [AdapterValue], strategy: FunctionValue, args: Args, interp: Interpreter) throws -> Value {
        let input = try MergeBuiltins.prepare(adapters, args: args, interp: interp)
        let n = adapters.count
        var weights = [Double](repeating: 1, count: n)
        if !args.isNil(2) {
            let given = try args.list(2).map { v -> Double in
                guard let x = v.asDouble else { throw args.bad(2, "list of numbers") }
                return x
            }
            guard given.count == n else { throw args.bad(2, "one weight per input (\(n))", got: "\(given.count) weights") }
            weights = given
        }
        var extra: [Interpreter.CallArgument] = []
        for (key, value, span) in args.keywords {
            let parameter = try declared(key, in: strategy, span: span)
            guard let type = parameter.type else { extra.append(.init(name: key, value: value, span: span)); continue }
            guard let typed = type.accept(value) else {
                throw BuiltinError("parameter '\(key)' of strategy \(strategy.name) is declared \(type.rawValue): expected \(type.article), got \(Args.describe(value))", span: span)
            }
            extra.append(.init(name: key, value: typed, span: span))
        }
        let modules = try run(strategy, input: input, weights: weights, extra: extra, span: args.callSpan, interp: interp)
        MergeBuiltins.warnAboutInputs(input, adapters: adapters, args: args, interp: interp)
        MergeBuiltins.warnAboutResult(modules, interp: interp)
        let result = AdapterValue(label: "merge(\(strategy.name))", modules: modules, source: nil,
                                  template: adapters.first?.template, inputs: adapters.flatMap(\.inputs), method: strategy.name)
        result.card = card(strategy, weights: weights, extra: extra, inputs: result.inputs)
        return .adapter(result)
    }

    /// The declared parameter `key` (after the deltas and the weights), or an error listing them.
    static func declared(_ key: String, in strategy: FunctionValue, span: Span?) throws -> Parameter {
        let parameters = Array(strategy.decl.parameters.dropFirst(2))
        if let parameter = parameters.first(where: { $0.name == key }) { return parameter }
        let names = parameters.map(\.name)
        let hint = Suggest.closest(to: key, in: names).map { "; did you mean '\($0)'?" } ?? ""
        throw BuiltinError("strategy \(strategy.name) has no parameter '\(key)'\(hint) (its parameters: \(names.isEmpty ? "none" : names.joined(separator: ", ")))", span: span)
    }

    /// Calls the strategy on every module; a module with a non-finite input comes out NaN.
    static func run(_ strategy: FunctionValue, input: MergeInput, weights: [Double], extra: [Interpreter.CallArgument],
                    span: Span, interp: Interpreter) throws -> [AdapterValue.Module] {
        var modules: [AdapterValue.Module] = []
        for (index, group) in input.modules.enumerated() {
            try interp.cancellation.check()
            let dense = try input.denseDeltas(of: index)
            let call: [Interpreter.CallArgument] = [
                .init(name: nil, value: .list(ListRef(dense.map { .tensor($0) })), span: span),
                .init(name: nil, value: .list(ListRef(weights.map { .float($0) })), span: span),
            ] + extra
            let result = try interp.callFunction(strategy, call, at: span)
            guard case let .tensor(t) = result, t.shape == group.shape else {
                var got = "\(result.typeNameWithArticle)"
                if case let .tensor(t) = result { got = "a tensor of shape \(Printer.shape(t.shape))" }
                throw BuiltinError("strategy \(strategy.name) returned \(got) for module \(group.name); expected a tensor of shape \(Printer.shape(group.shape))")
            }
            // A non-finite input gives NaN, even if the strategy compared it away.
            let poisoned = dense.contains { $0.firstNonFinite() != nil } && t.firstNonFinite() == nil
            let merged = poisoned ? Tensor(uncheckedShape: t.shape, data: [Float](repeating: .nan, count: t.count)) : t
            modules.append(.init(name: group.name, kind: group.kind, form: .dense(merged), rangeStart: Exporter.rangeStart(of: group)))
        }
        return modules
    }

    /// The model card of a merge with a strategy written in Seed: every declared parameter with
    /// the value given, or its default.
    static func card(_ strategy: FunctionValue, weights: [Double], extra: [Interpreter.CallArgument], inputs: [String]) -> ModelCard {
        var card = ModelCard(method: strategy.name, inputs: inputs)
        card.summary = "a strategy written in Seed (\(strategy.decl.span.position))"
        card.form = "dense"
        card.parameters = [("weights", weights.map { $0.rounded() == $0 && abs($0) < 1e15 ? String(Int($0)) : Printer.float($0) }.joined(separator: ","))]
        for parameter in strategy.decl.parameters.dropFirst(2) {
            let given = extra.first { $0.name == parameter.name }.map { Printer.repr($0.value) }
            let fallback = parameter.defaultValue.map { $0.span.file.text($0.span.start..<$0.span.end) } ?? "none"
            card.parameters.append((parameter.name, given ?? fallback))
        }
        return card
    }
}
