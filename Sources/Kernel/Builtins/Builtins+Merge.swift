import Ops
import Plugins

/// `merge` and `strategies`: every strategy of the registry (so new ones appear without
/// changes here) plus the strategies written in Seed in this session.
enum MergeBuiltins {
    static var all: [Builtin] { [
        Builtin("merge(adapters, strategy=\"seedlora\", weights=nil, seed=0, allow_nonfinite=false, base=nil, **params)", .merging,
                "Merges loaded adapters with a strategy (see strategies()); factored strategies give a factored adapter, dense ones a dense adapter. allow_nonfinite=true merges inputs with NaN/inf weights (the modules they touch come out NaN); base=\"MODEL_DIR\" merges DoRA adapters on their true deltas.",
                example: "m = merge([a, b], strategy=\"linear\", weights=[0.5, 0.5])") { args, interp in
            let adapters = try args.list(0).enumerated().map { i, v -> AdapterValue in
                guard case let .adapter(a) = v else { throw args.bad(0, "list of adapters", got: "a list with a \(v.typeName) at index \(i)") }
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
            // Each value is checked here, in Seed's words and pointing at its keyword, before
            // the registry reads it as text.
            let check = { (key: String, value: Value, span: Span) throws in
                try SeedParameters.check(key, value, of: entry.info, inputCount: adapters.count, span: span)
                raw.append((key, try parameterText(value, name: key, span: span)))
            }
            if !args.isNil(2) { try check("weights", args[2], args.spans[2] ?? args.callSpan) }
            let declaresSeed = entry.info.parameters.contains { $0.name == "seed" }
            if declaresSeed && args.given[3] { raw.append(("seed", "\(try args.int(3))")); seed = 0 }
            for (key, value, span) in args.keywords { try check(key, value, span) }
            let input = try prepare(adapters, args: args, interp: interp)
            let (instantiated, resolved) = try entry.instantiate(raw, inputCount: adapters.count, seed: seed)
            var configured = instantiated
            warnAboutInputs(input, adapters: adapters, args: args, interp: interp)
            // DoRA deltas are dense: a factored method runs through its dense equivalent.
            if input.hasDoRA, case let .factored(factored) = configured {
                guard let dense = factored.denseEquivalent() else {
                    throw BuiltinError("\(entry.info.name) with these parameters needs every module at once and cannot merge DoRA adapters (try stats=\"module\")", span: args.spans[1] ?? args.callSpan)
                }
                configured = .denseMerger(dense)
            }
            let modules: [AdapterValue.Module]
            switch configured {
            case let .factored(strategy):
                modules = try MergeEngine.run(strategy, on: input, cancellation: interp.cancellation).map {
                    AdapterValue.Module(name: $0.name, kind: $0.kind, form: .factored($0.delta))
                }
            case .dense, .denseMerger:
                var strategy: any DenseModuleMerger
                switch configured {
                case let .dense(dense): strategy = dense
                case let .denseMerger(merger): strategy = merger
                case .factored: throw BuiltinError("internal: a factored strategy on the dense path", span: args.callSpan)
                }
                strategy = NonFiniteMerge.DenseGuard(strategy)
                var merged: [AdapterValue.Module] = []
                try DenseMergeEngine.stream(strategy, input: input, cancellation: interp.cancellation,
                                            transform: { _, tensor in tensor },
                                            consume: { index, tensor in
                    let group = input.modules[index]
                    merged.append(AdapterValue.Module(name: group.name, kind: group.kind, form: .dense(tensor)))
                })
                modules = merged
            }
            warnAboutResult(modules, interp: interp)
            let result = AdapterValue(label: "merge(\(name))", modules: modules, source: nil,
                                      template: adapters.first?.template, inputs: adapters.flatMap(\.inputs), method: name)
            // The command line's --seed: it keys the randomized SVD of a rank-K export too.
            result.card = ModelCard(info: entry.info, resolved: resolved, seed: UInt64(bitPattern: Int64(try args.int(3))), inputs: result.inputs)
            return .adapter(result)
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
    /// `allow_nonfinite` (argument 4) and `base` (argument 5) are the CLI's --allow-nonfinite and --base.
    static func prepare(_ adapters: [AdapterValue], args: Args, interp: Interpreter) throws -> MergeInput {
        let loaded = try adapters.map { a -> PeftAdapter in
            guard let source = a.source else {
                throw BuiltinError("merge inputs must be adapters from load(...); \(a.label) is a merge result (export it and load it to merge again)", span: args.spans[0])
            }
            return source
        }
        let allow = try args.bool(4)
        var base: Checkpoint?
        // A base given to load(path, base=...) serves when the merge names none.
        if let path = try args.optionalString(5).map({ try interp.resolvePath($0) }) ?? adapters.lazy.compactMap(\.base).first {
            interp.recorder.noteRead(path)
            do { base = try Checkpoint(directory: path) } catch let error as SeedloraError {
                throw BuiltinError(seedWords(error.description), span: args.spans[5] ?? args.spans[0])
            }
        }
        do {
            return try MergeEngine.prepare(loaded, options: .init(allowNonFinite: allow, base: base))
        } catch let error as SeedloraError {
            throw BuiltinError(seedWords(error.description), span: args.spans[0] ?? args.callSpan)
        }
    }

    /// The CLI's warnings for a merge that is probably a mistake, in Seed's words.
    static func warnAboutInputs(_ input: MergeInput, adapters: [AdapterValue], args: Args, interp: Interpreter) {
        for warning in MergeWarnings.inputs(input, shown: adapters.map(\.label)) { interp.warn(warning) }
        if case let .string(base) = args[5], MergeWarnings.baseIsUnused(input, format: nil) {
            interp.warn("base=\"\(base)\" has no effect: the inputs are plain LoRA adapters (no DoRA)")
        }
    }

    static func warnAboutResult(_ modules: [AdapterValue.Module], interp: Interpreter) {
        let norms = modules.map { module -> Double in
            switch module.form {
            case let .factored(l): return l.moments().frobenius
            case let .dense(t): return t.data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            }
        }
        for warning in MergeWarnings.result(norms: norms) { interp.warn(warning) }
    }

    /// The engine speaks the command line's words; a Seed user passes keywords instead.
    static func seedWords(_ message: String) -> String {
        message.replacing("pass --allow-nonfinite", with: "pass allow_nonfinite=true")
            .replacing("pass --base MODEL_DIR", with: "pass base=\"MODEL_DIR\"")
            .replacing("(--base MODEL_DIR)", with: "(base=\"MODEL_DIR\")")
    }
}

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

/// The type a strategy written in Seed declares for a parameter (`strategy f(deltas, weights, scale: float = 1.0)`).
/// Values are checked against it before the strategy runs, in Seed and from `--param name=text`.
enum StrategyParameterType: String, CaseIterable, Sendable {
    case int, float, bool, str, list

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    var article: String { self == .int ? "an int" : "a \(rawValue == "str" ? "string" : rawValue)" }

    /// The value if it has this type (an int is a float too), or nil.
    func accept(_ value: Value) -> Value? {
        switch (self, value) {
        case (.int, .int), (.bool, .bool), (.str, .string), (.list, .list): return value
        case (.float, .float): return value
        case let (.float, .int(i)): return .float(Double(i))
        default: return nil
        }
    }

    /// The value of `--param name=text`, or nil when the text is not of this type.
    func parse(_ text: String) -> Value? {
        let trimmed = text.trimmingCharacters(in: " ")
        switch self {
        case .int: return Int(trimmed).map { .int($0) }
        case .float: return Double(trimmed).map { .float($0) }
        case .bool: return trimmed == "true" ? .bool(true) : trimmed == "false" ? .bool(false) : nil
        case .str: return .string(text)
        case .list:
            let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: " ") }
            let numbers = parts.compactMap(Double.init)
            guard numbers.count == parts.count, !parts.isEmpty else { return nil }
            return .list(ListRef(parts.map { Int($0).map(Value.int) ?? .float(Double($0) ?? 0) }))
        }
    }
}

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
                var got = "a \(result.typeName)"
                if case let .tensor(t) = result { got = "a tensor of shape \(Printer.shape(t.shape))" }
                throw BuiltinError("strategy \(strategy.name) returned \(got) for module \(group.name); expected a tensor of shape \(Printer.shape(group.shape))")
            }
            // A non-finite input gives NaN, even if the strategy compared it away.
            let poisoned = dense.contains { $0.firstNonFinite() != nil } && t.firstNonFinite() == nil
            let merged = poisoned ? Tensor(uncheckedShape: t.shape, data: [Float](repeating: .nan, count: t.count)) : t
            modules.append(.init(name: group.name, kind: group.kind, form: .dense(merged)))
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

extension Interpreter {
    /// Reports a warning through the host (stderr in the CLI, a stderr stream in a notebook).
    func warn(_ message: String) {
        if let warn = host.warn { warn(message) } else { host.write("warning: \(message)\n") }
    }
}
