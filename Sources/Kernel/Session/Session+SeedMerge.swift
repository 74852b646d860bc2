import Ops
import Plugins

extension Session {
    /// What `seedlora merge --plugin` did, for its summary.
    public struct SeedMergeReport: Sendable {
        public let inputCount: Int
        public let moduleCount: Int
        public let warnings: [String]
    }

    /// `seedlora merge --plugin file.seed --method name`: merges the request's inputs with a
    /// strategy written in Seed and writes the result through the same exporter as every merge
    /// (no Seed source is generated). `--param` values are checked against the strategy's declared
    /// types first: a wrong one is a usage error (exit code 2). Errors inside the strategy come
    /// back as diagnostics; bad inputs and outputs are thrown.
    public func mergeWithSeedStrategy(_ request: MergeRequest) throws -> (SeedMergeReport?, [Diagnostic]) {
        guard let strategy = interpreter.strategies.first(where: { $0.name == request.method })?.function else {
            throw SeedloraError(.usage, "no strategy named '\(request.method)' in the plugins")
        }
        try Exporter.refuseExisting(request.output, force: request.replace, .commandLine)
        if request.rank != nil && request.format != .peft {
            throw SeedloraError(.usage, "--rank applies to --format peft (a rank-K adapter); --format \(request.format.rawValue) writes dense tensors")
        }
        if request.format == .peft && request.rank == nil {
            throw SeedloraError(.usage, "strategy \(strategy.name) computes a full-rank delta; say how to write it: --rank K (best rank-K PEFT adapter), --format delta (dense delta safetensors), or --base MODEL_DIR --format model (merged checkpoint)")
        }
        if request.format == .model && request.base == nil {
            throw SeedloraError(.usage, "--format model needs --base MODEL_DIR (the base checkpoint the adapters were trained on)")
        }
        var weights = [Double](repeating: 1, count: request.inputs.count)
        var extra: [Interpreter.CallArgument] = []
        let span = Span(file: SourceFile(name: "<merge --plugin>", text: ""), start: 0, end: 0)
        for (key, text) in request.parameters {
            if key == "weights" {
                let given = text.split(separator: ",").compactMap { Double(String($0).trimmingCharacters(in: " ")) }
                guard given.count == weights.count, given.count == text.split(separator: ",").count else {
                    throw SeedloraError(.usage, "--param weights=\(text): expected \(weights.count) numbers separated by commas, one per input")
                }
                weights = given
                continue
            }
            let parameter: Parameter
            do { parameter = try SeedStrategyRunner.declared(key, in: strategy, span: nil) } catch let error as BuiltinError {
                throw SeedloraError(.usage, error.message)
            }
            let value: Value
            if let type = parameter.type {
                guard let parsed = type.parse(text) else {
                    throw SeedloraError(.usage, "--param \(key)=\(text): strategy \(strategy.name) declares \(key) as \(type.rawValue); expected \(type.article)")
                }
                value = parsed
            } else {
                value = Session.untyped(text)
            }
            extra.append(.init(name: key, value: value, span: span))
        }
        let base = try request.base.map { try Checkpoint(directory: $0) }
        let input = try MergeEngine.loadInputs(request.inputs, options: .init(allowNonFinite: request.allowNonFinite, base: base))
        var warnings = MergeWarnings.inputs(input, shown: request.inputs)
        if let path = request.base, MergeWarnings.baseIsUnused(input, format: request.format) {
            warnings.append("--base \(path) has no effect: the inputs are plain LoRA adapters (no DoRA) and --format is \(request.format.rawValue)")
        }
        var modules: [AdapterValue.Module] = []
        var failure: Diagnostic?
        BigStack.run {
            do {
                modules = try SeedStrategyRunner.run(strategy, input: input, weights: weights, extra: extra, span: span, interp: interpreter)
            } catch let diagnostic as Diagnostic {
                failure = diagnostic
            } catch {
                failure = Diagnostic(.runtime, "\(error)", at: nil)
            }
            interpreter.frames.removeAll()
        }
        if let failure { return (nil, [failure]) }
        let inputs = request.inputs
        let adapter = AdapterValue(label: "merge(\(strategy.name))", modules: modules, source: nil,
                                   template: input.adapters.first?.config, inputs: inputs, method: strategy.name)
        var card = SeedStrategyRunner.card(strategy, weights: weights, extra: extra, inputs: inputs)
        card.seed = request.seed == 0 ? nil : request.seed
        adapter.card = card
        try ExportBuiltins.write(adapter, to: request.output, format: request.format, rank: request.rank, dtype: request.exportDType(inputs: input.adapters).dtype,
                                 force: request.replace, base: request.base, .commandLine, cancellation: cancellation)
        let norms = modules.map { module -> Double in
            if case let .dense(t) = module.form { return t.data.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
            return 0
        }
        warnings += MergeWarnings.result(norms: norms)
        return (SeedMergeReport(inputCount: input.inputCount, moduleCount: modules.count, warnings: warnings), [])
    }

    /// An untyped `--param` value: a number, true/false, a comma list of numbers, else a string.
    static func untyped(_ text: String) -> Value {
        if let i = Int(text) { return .int(i) }
        if let x = Double(text) { return .float(x) }
        if text == "true" || text == "false" { return .bool(text == "true") }
        let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }
        if parts.count > 1, parts.allSatisfy({ Double($0) != nil }) {
            return .list(ListRef(parts.map { Int($0).map(Value.int) ?? .float(Double($0) ?? 0) }))
        }
        return .string(text)
    }
}
