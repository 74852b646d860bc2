import Ops
import Plugins

/// `merge` and `strategies`: every strategy of the registry (so new ones appear without
/// changes here) plus the strategies written in Seed in this session.
enum MergeBuiltins {
    static var all: [Builtin] { [
        Builtin("merge(adapters, strategy=\"seedlora\", weights=nil, seed=0, **params)", .merging,
                "Merges loaded adapters with a strategy (see strategies()); factored strategies give a factored adapter, dense ones a dense adapter.",
                example: "m = merge([a, b], strategy=\"linear\", weights=[0.5, 0.5])") { args, interp in
            let adapters = try args.list(0).enumerated().map { i, v -> AdapterValue in
                guard case let .adapter(a) = v else { throw args.bad(0, "list of adapters", got: "a list with \(v.typeNameWithArticle) at index \(i)") }
                return a
            }
            guard !adapters.isEmpty else { throw args.bad(0, "a non-empty list of adapters", got: "an empty list") }
            let name = try args.string(1)
            if let seedStrategy = interp.strategies.first(where: { $0.name == name }) {
                return try SeedStrategyRunner.merge(adapters, strategy: seedStrategy.function, args: args, interp: interp)
            }
            let entry: StrategyEntry
            do { entry = try StrategyRegistry.entry(named: name) } catch {
                // The registry's message lists only its own names; ours adds the Seed strategies.
                let names = StrategyRegistry.all.map(\.info.name) + interp.strategies.map(\.name)
                let hint = Suggest.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw BuiltinError("unknown strategy '\(name)'\(hint) (known: \(names.joined(separator: ", ")))", span: args.spans[1])
            }
            var raw: [(String, String)] = []
            var seed = UInt64(bitPattern: Int64(try args.int(3)))
            if !args.isNil(2) { raw.append(("weights", try parameterText(args[2], name: "weights", span: args.spans[2] ?? args.callSpan))) }
            let declaresSeed = entry.info.parameters.contains { $0.name == "seed" }
            if declaresSeed && args.given[3] { raw.append(("seed", "\(try args.int(3))")); seed = 0 }
            for (key, value, span) in args.keywords {
                raw.append((key, try parameterText(value, name: key, span: span)))
            }
            let input = try prepare(adapters)
            let (configured, _) = try entry.instantiate(raw, inputCount: adapters.count, seed: seed)
            let modules: [AdapterValue.Module]
            switch configured {
            case let .factored(strategy):
                modules = try MergeEngine.run(strategy, on: input, cancellation: interp.cancellation).map {
                    AdapterValue.Module(name: $0.name, kind: $0.kind, form: .factored($0.delta))
                }
            case .dense, .denseMerger:
                let strategy: any DenseModuleMerger
                switch configured {
                case let .dense(dense): strategy = dense
                case let .denseMerger(merger): strategy = merger
                case .factored: throw BuiltinError("internal: a factored strategy on the dense path", span: args.callSpan)
                }
                var merged: [AdapterValue.Module] = []
                try DenseMergeEngine.stream(strategy, input: input, cancellation: interp.cancellation,
                                            transform: { _, tensor in tensor },
                                            consume: { index, tensor in
                    let group = input.modules[index]
                    merged.append(AdapterValue.Module(name: group.name, kind: group.kind, form: .dense(tensor)))
                })
                modules = merged
            }
            return .adapter(AdapterValue(label: "merge(\(name))", modules: modules, source: nil,
                                         template: adapters.first?.template, inputs: adapters.flatMap(\.inputs), method: name))
        },
        Builtin("strategies()", .merging, "The merge strategies: built-in ones and those defined with `strategy` in this session.",
                example: "print(strategies())") { _, interp in
            var rows: [[Value]] = StrategyRegistry.all.map { entry in
                [.string(entry.info.name), .string(entry.form == .factored ? "factored" : "dense"),
                 .string(entry.info.parameters.map(\.name).joined(separator: ", ")), .string(entry.info.summary)]
            }
            for (name, function) in interp.strategies {
                rows.append([.string(name), .string("dense (Seed)"),
                             .string(function.decl.parameters.dropFirst(2).map(\.name).joined(separator: ", ")),
                             .string("defined in \(function.decl.span.position)")])
            }
            return .table(Table(columns: ["name", "form", "parameters", "summary"], rows: rows))
        },
    ] }

    /// The registry takes parameters as text (as on the command line): numbers, words, and
    /// comma lists for per-input values.
    static func parameterText(_ value: Value, name: String, span: Span) throws -> String {
        switch value {
        case let .int(i): return String(i)
        case let .float(x): return Printer.float(x)
        case let .bool(b): return b ? "true" : "false"
        case let .string(s): return s
        case let .list(l):
            return try l.items.map { v -> String in
                guard let x = v.asDouble else { throw BuiltinError("parameter \(name): expected numbers, got a \(v.typeName)", span: span) }
                if case let .int(i) = v { return String(i) }
                return Printer.float(x)
            }.joined(separator: ",")
        case let .tensor(t): return t.data.map { Printer.float(Double($0)) }.joined(separator: ",")
        default: throw BuiltinError("parameter \(name): expected a number, word or list, got a \(value.typeName)", span: span)
        }
    }

    /// The engine's validated inputs; merge results (no files behind them) cannot be inputs.
    static func prepare(_ adapters: [AdapterValue]) throws -> MergeInput {
        let loaded = try adapters.map { a -> PeftAdapter in
            guard let source = a.source else {
                throw BuiltinError("merge inputs must be adapters from load(...); \(a.label) is a merge result (export it and load it to merge again)")
            }
            return source
        }
        return try MergeEngine.prepare(loaded)
    }
}

/// Runs a strategy written in Seed: called once per module with the dense deltas of every
/// input and one weight per input, it returns the merged dense delta.
enum SeedStrategyRunner {
    static func merge(_ adapters: [AdapterValue], strategy: FunctionValue, args: Args, interp: Interpreter) throws -> Value {
        let input = try MergeBuiltins.prepare(adapters)
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
        let declared = strategy.decl.parameters.dropFirst(2).map(\.name)
        var extra: [Interpreter.CallArgument] = []
        for (key, value, span) in args.keywords {
            guard declared.contains(key) else {
                let hint = Suggest.closest(to: key, in: declared).map { "; did you mean '\($0)'?" } ?? ""
                throw BuiltinError("strategy \(strategy.name) has no parameter '\(key)'\(hint) (its parameters: \(declared.isEmpty ? "none" : declared.joined(separator: ", ")))", span: span)
            }
            extra.append(.init(name: key, value: value, span: span))
        }
        var modules: [AdapterValue.Module] = []
        for group in input.modules {
            try interp.cancellation.check()
            let deltas = Value.list(group.deltas.map { .tensor($0.denseFloat()) })
            let call: [Interpreter.CallArgument] = [
                .init(name: nil, value: deltas, span: args.callSpan),
                .init(name: nil, value: .list(weights.map { .float($0) }), span: args.callSpan),
            ] + extra
            let result = try interp.callFunction(strategy, call, at: args.callSpan)
            guard case let .tensor(t) = result, t.shape == group.shape else {
                var got = "a \(result.typeName)"
                if case let .tensor(t) = result { got = "a tensor of shape \(Printer.shape(t.shape))" }
                throw BuiltinError("strategy \(strategy.name) returned \(got) for module \(group.name); expected a tensor of shape \(Printer.shape(group.shape))")
            }
            modules.append(.init(name: group.name, kind: group.kind, form: .dense(t)))
        }
        return .adapter(AdapterValue(label: "merge(\(strategy.name))", modules: modules, source: nil,
                                     template: adapters.first?.template, inputs: adapters.flatMap(\.inputs), method: strategy.name))
    }
}
