import Ops
import Plugins

/// Writing adapters: a PEFT adapter directory (exact for factored adapters, best rank-K with
/// `rank=`) or a directory with the dense deltas (`format="delta"`). Files appear whole or
/// not at all; a previous export at the same path is replaced, any other directory is not.
enum ExportBuiltins {
    static var all: [Builtin] { [
        Builtin("export(x, dir, format=\"peft\", rank=nil, dtype=\"f32\")", .export,
                "Writes an adapter as a PEFT adapter directory (format=\"peft\") or dense deltas (format=\"delta\").",
                example: "export(m, \"out/merged\", format=\"peft\")") { args, interp in
            let adapter = try args.adapter(0)
            let given = try args.string(1)
            let dir = try interp.resolvePath(given)
            interp.recorder.noteWrite(dir)
            let format = try args.string(2)
            let rank = try args.optionalInt(3)
            if let rank, rank < 1 { throw args.bad(3, "a positive int") }
            guard let dtype = DType(userName: try args.string(4)), [.f32, .bf16, .f16].contains(dtype) else {
                throw args.bad(4, "\"f32\", \"bf16\" or \"f16\"")
            }
            guard !dir.isEmpty else { throw args.bad(1, "a directory path") }
            if FilePaths.exists(dir) && !FilePaths.exists(dir + "/adapter_config.json") && !FilePaths.exists(dir + "/delta.safetensors") {
                throw BuiltinError("\(given) exists and is not an earlier export (no adapter_config.json or delta.safetensors); refusing to replace it", span: args.spans[1])
            }
            let card = "# Exported by seedlora \(SeedloraVersion.string)\n\nFrom `\(adapter.method.map { "merge(\($0))" } ?? adapter.label)` of:\n"
                + adapter.inputs.map { "- `\($0)`" }.joined(separator: "\n") + "\n"
            switch format {
            case "peft":
                var modules: [PeftExport.Module] = []
                for (index, module) in adapter.modules.enumerated() {
                    try interp.cancellation.check()
                    switch module.form {
                    case let .factored(l):
                        modules.append(.init(name: module.name, kind: module.kind, delta: l))
                    case let .dense(t):
                        guard let k = rank else {
                            throw BuiltinError("this adapter is dense (from a dense merge); pass rank=K to write its best rank-K approximation, or format=\"delta\"", span: args.callSpan)
                        }
                        let svd = try RandomizedSVD.approximate(t, rank: k, rng: CounterRNG(seed: 0, module: index, input: -1))
                        modules.append(.init(name: module.name, kind: module.kind, delta: svd.factors))
                    }
                }
                if let k = rank, adapter.isFactored {
                    modules = try RankReduction.reduce(modules, rank: k, cancellation: interp.cancellation).0
                }
                var export = PeftExport(modules: modules, dtype: dtype, template: adapter.template, modelCard: card)
                if let first = adapter.inputs.first { export.relocateBaseModel(from: first, to: dir) }
                try export.write(to: dir, replace: true)
            case "delta":
                guard rank == nil else { throw args.bad(3, "nil with format=\"delta\" (dense deltas have no rank)") }
                let directory = try AtomicDirectory(path: dir, replace: true)
                let writer = try SafetensorsStreamWriter(
                    path: directory.file("delta.safetensors"),
                    entries: adapter.modules.map { .init(name: $0.name + ".weight", shape: $0.form.shape, dtype: dtype) })
                for module in adapter.modules {
                    try interp.cancellation.check()
                    try writer.append(module.form.dense)
                }
                try writer.commit()
                let readme = try AtomicFile(path: directory.file("README.md"))
                try readme.write(card)
                try readme.commit()
                try directory.commit()
            default:
                throw args.bad(2, "\"peft\" or \"delta\"", got: "\"\(format)\"")
            }
            return .nil
        },
    ] }
}
