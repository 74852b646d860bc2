import Ops
import Plugins

/// Loading adapters and looking inside them. Deltas stay factored (`scale * B @ A`).
enum AdapterBuiltins {
    static var all: [Builtin] { [
        Builtin("load(path, base=nil)", .adapters,
                "Loads a PEFT LoRA adapter directory (adapter_config.json + adapter_model.safetensors). For a DoRA adapter, base=\"MODEL_DIR\" gives its true (dense) deltas, and merges of it use that base.",
                example: "a = load(\"examples/adapters/taskA_seed42\")") { args, interp in
            let given = try args.string(0)
            var path = try interp.resolvePath(given)
            do {
                // A hub id with no local directory of that name: its cached snapshot.
                if let hub = try HubCache.resolve(given, local: path) { path = hub.snapshot }
                interp.recorder.noteRead(path)
                let loaded = try PeftAdapter(directory: path)
                guard let baseGiven = try args.optionalString(1) else { return .adapter(AdapterValue(loaded: loaded, label: given)) }
                let basePath = try interp.resolvePath(baseGiven)
                interp.recorder.noteRead(basePath)
                guard loaded.isDoRA else {
                    interp.warn("base=\"\(baseGiven)\" has no effect: \(given) is a plain LoRA adapter (no DoRA)")
                    return .adapter(AdapterValue(loaded: loaded, label: given))
                }
                let input: MergeInput
                do {
                    input = try MergeEngine.prepare([loaded], options: .init(allowNonFinite: true, base: try Checkpoint(directory: basePath)))
                } catch let error as SeedloraError {
                    throw BuiltinError(MergeBuiltins.seedWords(error.description), span: args.spans[1])
                }
                var modules: [AdapterValue.Module] = []
                for (index, group) in input.modules.enumerated() {
                    try interp.cancellation.check()
                    let delta = try input.denseDeltas(of: index)[0]
                    modules.append(.init(name: group.name, kind: group.kind, form: .dense(delta)))
                }
                let value = AdapterValue(label: given, modules: modules, source: loaded, template: loaded.config, inputs: [loaded.path], method: nil)
                value.base = basePath
                return .adapter(value)
            } catch let error as SeedloraError {
                // Report the path as the user wrote it, not as resolved.
                let shown = error.path.map { $0.hasPrefix(path) ? given + $0.dropFirst(path.count) : $0 }
                throw BuiltinError(SeedloraError(error.kind, path: shown, error.message).description, span: args.spans[0])
            }
        },
        Builtin("modules(adapter)", .adapters, "The adapter's module names, sorted.", example: "modules(a)[0:2]") { args, _ in
            .list(try args.adapter(0).modules.map { .string($0.name) })
        },
        Builtin("delta(adapter, module, allow_nonfinite=false)", .adapters,
                "One module's delta (factored for loaded and factored merges, dense for dense merges). A module with a non-finite value is an error unless allow_nonfinite=true.",
                example: "d = delta(a, modules(a)[0])") { args, interp in
            let adapter = try args.adapter(0)
            let module: AdapterValue.Module?
            switch args[1] {
            case let .string(name):
                module = adapter.module(name)
                if module == nil { throw BuiltinError(Interpreter.noModule(name, in: adapter), span: args.spans[1]) }
            case let .int(i):
                let k = try interp.position(.int(i), count: adapter.modules.count, what: "module list", at: args.spans[1] ?? args.callSpan)
                module = adapter.modules[k]
            default: throw args.bad(1, "module name or index")
            }
            guard let module else { throw args.bad(1, "module name") }
            _ = try NonFinite.check(module.form, module: module.name, of: adapter.label, allow: try args.bool(2), args: args)
            return .delta(DeltaValue(module: module.name, kind: module.kind, form: module.form))
        },
        Builtin("factors(x, module=nil)", .adapters, "The factors of a factored delta: {\"B\": out x r, \"A\": r x in, \"scale\": s}, delta = scale * B @ A.",
                example: "f = factors(a, modules(a)[0]); f[\"B\"].shape") { args, _ in
            var form: DeltaForm
            switch args[0] {
            case let .delta(d): form = d.form
            case let .adapter(a):
                let name = try args.string(1)
                guard let m = a.module(name) else { throw BuiltinError(Interpreter.noModule(name, in: a), span: args.spans[1]) }
                form = m.form
            default: throw args.bad(0, "delta or adapter")
            }
            guard case let .factored(l) = form else {
                throw BuiltinError("this delta is dense (from a dense merge); it has no factors. Use svd(x, k=...) for a low-rank view", span: args.spans[0])
            }
            return .dict(DictRef([("B", .tensor(l.b)), ("A", .tensor(l.a)), ("scale", .float(l.scale))]))
        },
        Builtin("dense(x)", .adapters, "A delta as a dense tensor (out x in); tensors pass through.", example: "dense(delta(a, 0)).shape") { args, _ in
            .tensor(try args.tensor(0))
        },
        Builtin("inspect(adapter)", .adapters, "A table of the modules: kind, shape, rank, scale, dtype and delta statistics.",
                example: "print(inspect(a))") { args, interp in
            let adapter = try args.adapter(0)
            var rows: [[Value]] = []
            for module in adapter.modules {
                try interp.cancellation.check()
                let m = Analysis.moments(module.form)
                let dtype = (adapter.source?.module(module.name)?.dtype.rawValue ?? "f32").lowercased()
                var rank: Value = .nil, scale: Value = .nil
                if case let .factored(l) = module.form { rank = .int(l.rank); scale = .float(l.scale) }
                rows.append([.string(module.name), .string(module.kind.rawValue), Analysis.shapeValue(module.form.shape),
                             rank, scale, .string(dtype), .float(m.mean), .float(m.std), .float(m.frobenius)])
            }
            return .table(Table(columns: ["module", "kind", "shape", "rank", "scale", "dtype", "mean", "std", "norm"], rows: rows))
        },
    ] }
}
