import ArgumentParser
import Ops

/// `seedlora inspect DIR`: what an adapter contains, with exact per-module statistics.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an adapter's modules, shapes, ranks, scales, dtypes and delta statistics.",
        discussion: "Statistics are of the delta s * B @ A, computed from the factors without forming it.")

    @Argument(help: "A PEFT or mlx-lm adapter directory, or a hub id org/name[@revision] in the Hugging Face cache.",
              completion: CompletionKinds.adapter)
    var adapter: String

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let loaded = try PeftAdapter(directory: adapter)
        let rows = loaded.modules.map { module -> (AdapterModule, Moments) in (module, module.delta.moments()) }
        if json {
            print(jsonReport(loaded, rows).serialized(pretty: true))
            return
        }
        let config = loaded.config
        var facts = ["peft_type \(config.peftType)", "r \(config.r)", "lora_alpha \(Terminal.number(config.loraAlpha))"]
        if loaded.isMlxLm {
            facts = ["mlx-lm \(config.useDoRA ? "dora" : "lora")", "rank \(config.r)", "scale \(Terminal.number(config.scale(for: "")))"]
                + (loaded.mlxNumLayers.map { ["num_layers \($0)"] } ?? [])
        }
        if config.useRSLoRA { facts.append("rsLoRA") }
        if config.fanInFanOut { facts.append("fan_in_fan_out") }
        if !config.rankPattern.isEmpty || !config.alphaPattern.isEmpty { facts.append("rank/alpha patterns") }
        facts.append("\(loaded.modules.count) modules")
        if let base = config.baseModel { facts.append("base \(base)") }
        print(loaded.path)
        if let hub = HubCache.provenance(of: adapter) { print("  " + hub) }
        print("  " + facts.joined(separator: ", "))
        if let reason = loaded.mergeRefusal { print("  not mergeable: it \(reason)") }
        let table = rows.map { module, m in
            [module.name, module.kind.rawValue, module.delta.shape.map(String.init).joined(separator: "x"),
             "\(module.rank)", Terminal.number(module.delta.scale), module.dtype.rawValue,
             Terminal.number(m.mean), Terminal.number(m.std), Terminal.number(m.frobenius),
             module.nonFinite.map { "non-finite: \($0)" } ?? ""]
        }
        print(Terminal.table(["module", "kind", "shape", "rank", "scale", "dtype", "mean", "std", "norm", ""], table))
    }

    private func jsonReport(_ adapter: PeftAdapter, _ rows: [(AdapterModule, Moments)]) -> JSON {
        .object([
            ("path", .string(adapter.path)),
            ("hub", (try? HubCache.resolve(self.adapter)).flatMap { $0 }.map { hub in
                .object([("id", .string(hub.id)), ("revision", .string(hub.revision)), ("commit", .string(hub.commit))])
            } ?? .null),
            ("r", .number(Double(adapter.config.r))),
            ("lora_alpha", .number(adapter.config.loraAlpha)),
            ("use_rslora", .bool(adapter.config.useRSLoRA)),
            ("format", .string(adapter.isMlxLm ? "mlx-lm" : "peft")),
            ("mergeable", .bool(adapter.mergeRefusal == nil)),
            ("modules", .array(rows.map { module, m in
                .object([
                    ("name", .string(module.name)),
                    ("kind", .string(module.kind.rawValue)),
                    ("shape", .array(module.delta.shape.map { .number(Double($0)) })),
                    ("rank", .number(Double(module.rank))),
                    ("alpha", .number(module.alpha)),
                    ("scale", .number(module.delta.scale)),
                    ("dtype", .string(module.dtype.rawValue)),
                    ("mean", .number(m.mean)),
                    ("std", .number(m.std)),
                    ("norm", .number(m.frobenius)),
                    ("nonfinite", module.nonFinite.map(JSON.string) ?? .null),
                ])
            })),
        ])
    }
}
