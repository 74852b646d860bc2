import Ops
import Plugins

/// Writing adapters through the same exporter as `seedlora merge` (`Exporter`): a PEFT adapter
/// directory (exact for factored adapters, best rank-K with `rank=`), a directory with the dense
/// deltas (`format="delta"`), or a merged checkpoint (`format="model", base=...`). Files appear
/// whole or not at all; an existing directory is refused unless `force=true`.
enum ExportBuiltins {
    static var all: [Builtin] { [
        Builtin("export(x, dir, format=\"peft\", rank=nil, dtype=\"f32\", force=false, base=nil)", .export,
                "Writes an adapter as a PEFT adapter directory (format=\"peft\"), dense deltas (format=\"delta\"), a merged checkpoint (format=\"model\" with base=\"MODEL_DIR\") or an mlx-lm adapter (format=\"mlx\"); force=true replaces an existing directory.",
                example: "export(m, \"out/merged\", format=\"peft\")") { args, interp in
            let adapter = try args.adapter(0)
            let given = try args.string(1)
            guard !given.isEmpty else { throw args.bad(1, "a directory path", got: "an empty string") }
            let dir = try interp.resolvePath(given)
            let formatName = try args.string(2)
            guard let format = MergeRequest.Format(rawValue: formatName) else {
                throw args.bad(2, "\"peft\", \"delta\", \"model\" or \"mlx\"", got: "\"\(formatName)\"")
            }
            let rank = try args.optionalInt(3)
            if let rank, rank < 1 { throw args.bad(3, "a positive int") }
            guard let dtype = DType(userName: try args.string(4)), [.f32, .bf16, .f16].contains(dtype) else {
                throw args.bad(4, "\"f32\", \"bf16\" or \"f16\"")
            }
            let force = try args.bool(5)
            let basePath = try args.optionalString(6).map { try interp.resolvePath($0) }
            if rank != nil && format != .peft && format != .mlx { throw args.bad(3, "nil with format=\"\(formatName)\" (dense deltas have no rank)") }
            if format == .model && basePath == nil { throw args.bad(6, "the base model directory with format=\"model\"") }
            interp.recorder.noteWrite(dir)
            do {
                try write(adapter, to: dir, format: format, rank: rank, dtype: dtype, force: force, base: basePath, .seed,
                          cancellation: interp.cancellation)
            } catch let error as SeedloraError {
                // The span points at the base model when it is at fault, else at the directory.
                let atBase = basePath != nil && error.path.map { $0.hasPrefix(basePath ?? "") } == true
                // Name the directory as the user wrote it, not as resolved.
                let shown = error.path.map { $0.hasPrefix(dir) ? given + $0.dropFirst(dir.count) : $0 }
                throw BuiltinError(SeedloraError(error.kind, path: shown, error.message).description,
                                   span: args.spans[atBase ? 6 : 1] ?? args.callSpan)
            }
            return .nil
        },
    ] }

    /// Writes `adapter` through the shared `Exporter` (also the path of `seedlora merge --plugin`).
    static func write(_ adapter: AdapterValue, to dir: String, format: MergeRequest.Format, rank: Int?, dtype: DType, force: Bool,
                      base basePath: String?, _ overwrite: Exporter.Overwrite, cancellation: Cancellation) throws {
        var card = adapter.card ?? ModelCard(method: nil, inputs: adapter.inputs)
        if adapter.card == nil, let method = adapter.method { card.method = method }
        let text = card.render(format: format, rank: rank)
        try Exporter.export(to: dir, force: force, overwrite) { directory in
            switch format {
            case .peft:
                let modules = try peftModules(adapter, rank: rank, seed: card.seed ?? 0, cancellation: cancellation)
                try Exporter.writePeft(modules, dtype: dtype, template: adapter.template, firstInput: adapter.inputs.first,
                                       card: text, into: directory)
            case .mlx:
                let modules = try peftModules(adapter, rank: rank, seed: card.seed ?? 0, cancellation: cancellation)
                try MlxExport(modules: modules, dtype: dtype, inputs: adapter.source.map { [$0] } ?? [], modelCard: text)
                    .write(into: directory)
            case .delta:
                try Exporter.writeDelta(modules: adapter.modules.map { ($0.name, $0.form.shape) }, dtype: dtype, card: text,
                                        into: directory) { append in
                    for module in adapter.modules {
                        try cancellation.check()
                        try append(module.form.dense)
                    }
                }
            case .model:
                guard let basePath else { throw SeedloraError(.usage, "a merged checkpoint needs the base model directory") }
                let base = try Checkpoint(directory: basePath)
                let byWeight = Dictionary(adapter.modules.map { ($0.name + ".weight", $0) }, uniquingKeysWith: { a, _ in a })
                let changed = try Exporter.writeModel(base: base, dtype: nil, card: text, into: directory) { name, shape in
                    guard let module = byWeight[name] else { return nil }
                    try cancellation.check()
                    guard shape == module.form.shape else {
                        throw SeedloraError(path: basePath, "\(name) has shape \(shape) in the base model but the adapter's delta for it is \(module.form.shape); is this the adapter's base model?")
                    }
                    return module.form.dense
                }
                if let missing = Set(byWeight.keys).subtracting(changed).sorted().first {
                    throw SeedloraError(path: basePath, "the base model has no tensor \(missing), which the adapter adapts; is this the adapter's base model?")
                }
            }
        }
    }

    /// The PEFT modules of an adapter: its factors (best rank-K with `rank`), or for dense modules
    /// the best rank-K factors (the same randomized SVD, keyed by the merge's seed, as the CLI's).
    static func peftModules(_ adapter: AdapterValue, rank: Int?, seed: UInt64, cancellation: Cancellation) throws -> [PeftExport.Module] {
        var modules: [PeftExport.Module] = []
        for (index, module) in adapter.modules.enumerated() {
            try cancellation.check()
            switch module.form {
            case let .factored(l):
                modules.append(.init(name: module.name, kind: module.kind, delta: l))
            case let .dense(t):
                guard let k = rank else {
                    throw SeedloraError(.usage, "this adapter is dense (from a dense merge); give a rank K to write its best rank-K approximation, or write dense deltas (format delta)")
                }
                modules.append(try Exporter.rankK(t, name: module.name, kind: module.kind, index: index, rank: k, seed: seed,
                                                  start: module.rangeStart).0)
            }
        }
        if let k = rank, adapter.isFactored {
            modules = try RankReduction.reduce(modules, rank: k, cancellation: cancellation).0
        }
        return modules
    }
}
