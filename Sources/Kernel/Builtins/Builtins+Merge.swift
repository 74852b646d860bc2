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
            let modules = try mergedModules(configured, input: input, interp: interp)
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
                guard let x = v.asDouble else { throw BuiltinError("parameter \(name): expected numbers, got \(v.typeNameWithArticle)", span: span) }
                if case let .int(i) = v { return String(i) }
                return Printer.float(x)
            }.joined(separator: ",")
        case let .tensor(t): return t.data.map { Printer.float(Double($0)) }.joined(separator: ",")
        default: throw BuiltinError("parameter \(name): expected a number, word or list, got \(value.typeNameWithArticle)", span: span)
        }
    }

    /// Runs a configured strategy on `input`: factored strategies on the factors, dense ones
    /// module by module (a non-finite module stays NaN), in input order. `merge` and `sweep` share it.
    static func mergedModules(_ configured: ConfiguredStrategy, input: MergeInput, interp: Interpreter) throws -> [AdapterValue.Module] {
        let strategy: any DenseModuleMerger
        switch configured {
        case let .factored(factored):
            return try MergeEngine.run(factored, on: input, cancellation: interp.cancellation).map {
                AdapterValue.Module(name: $0.name, kind: $0.kind, form: .factored($0.delta))
            }
        case let .dense(dense): strategy = dense
        case let .denseMerger(merger): strategy = merger
        }
        var merged: [AdapterValue.Module] = []
        try DenseMergeEngine.stream(NonFiniteMerge.DenseGuard(strategy), input: input, cancellation: interp.cancellation,
                                    transform: { _, tensor in tensor },
                                    consume: { index, tensor in
            let group = input.modules[index]
            merged.append(AdapterValue.Module(name: group.name, kind: group.kind, form: .dense(tensor),
                                              rangeStart: Exporter.rangeStart(of: group)))
        })
        return merged
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

    /// The engine's inputs for a builtin without `allow_nonfinite`/`base` keywords (`sweep`): non-finite
    /// weights are refused, and a base given to `load(path, base=...)` serves DoRA inputs.
    static func prepare(_ adapters: [AdapterValue], span: Span?, interp: Interpreter) throws -> MergeInput {
        let loaded = try adapters.map { a -> PeftAdapter in
            guard let source = a.source else {
                throw BuiltinError("merge inputs must be adapters from load(...); \(a.label) is a merge result (export it and load it to merge again)", span: span)
            }
            return source
        }
        do {
            let base = try adapters.lazy.compactMap(\.base).first.map { try Checkpoint(directory: $0) }
            return try MergeEngine.prepare(loaded, options: .init(allowNonFinite: false, base: base))
        } catch let error as SeedloraError {
            throw BuiltinError(seedWords(error.description), span: span)
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

extension Interpreter {
    /// Reports a warning through the host (stderr in the CLI, a stderr stream in a notebook).
    func warn(_ message: String) {
        if let warn = host.warn { warn(message) } else { host.write("warning: \(message)\n") }
    }
}
