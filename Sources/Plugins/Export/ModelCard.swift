import Ops

/// The README.md written with every export: how the merge was made, with every parameter, so a
/// reader can redo it. The CLI and Seed's `export()` fill the same fields and render it the same way.
public struct ModelCard: Sendable {
    /// The method's name and summary ("linear: ..."), or nil for an adapter exported as loaded.
    public var method: String?
    public var summary = ""
    /// The method's own words for its result's form (e.g. "exact low-rank (factored)").
    public var form = ""
    /// Every declared parameter with the value used, in declaration order.
    public var parameters: [(name: String, value: String)] = []
    /// Shown when the method takes a seed or one was given.
    public var seed: UInt64?
    /// Several parameter sets (a recipe that varies them per module): how many.
    public var parameterSets = 1
    public var inputs: [String] = []
    /// The base model, recorded only when it came from the Hugging Face cache (id and commit).
    public var base: String?
    /// What loading decided (e.g. how mlx-lm module names were matched), one line each.
    public var notes: [String] = []

    public init(method: String?, inputs: [String]) {
        self.method = method
        self.inputs = inputs
    }

    /// The card of a merge with a registry strategy.
    public init(info: StrategyInfo, resolved: ResolvedParameters, seed: UInt64, inputs: [String]) {
        method = info.name
        summary = info.summary
        form = info.form
        parameters = info.parameters.map { ($0.name, resolved.values[$0.name].map(String.init(describing:)) ?? "") }
        if info.parameters.contains(where: { $0.name == "seed" }) || seed != 0 { self.seed = seed }
        self.inputs = inputs
    }

    /// The text, for an export in `format` (with `rank` for a best rank-K PEFT adapter).
    public func render(format: MergeRequest.Format, rank: Int?) -> String {
        var lines = ["# Merged LoRA deltas", "", "Written by seedlora \(SeedloraVersion.string) (format \(format.rawValue)).", ""]
        if let method {
            lines.append("- method: \(method)\(summary.isEmpty ? "" : ": " + summary)")
        } else {
            lines.append("- method: none (an adapter exported as loaded)")
        }
        let shape = rank.map { "best rank-\($0) approximation" } ?? (format == .peft ? form : "dense")
        if !shape.isEmpty { lines.append("- form: \(shape)") }
        if let seed { lines.append("- seed: \(seed)") }
        lines.append("- inputs, in order:")
        lines += inputs.map { "  - `\($0)`" + (HubCache.provenance(of: $0).map { " (\($0))" } ?? "") }
        if let base, let hub = HubCache.provenance(of: base) { lines.append("- base: `\(base)` (\(hub))") }
        lines += notes.map { "- \($0)" }
        lines += ["", "Parameters:"]
        if parameterSets > 1 {
            lines.append("- \(parameterSets) parameter sets, varying per module (from the recipe)")
        }
        lines += parameters.isEmpty ? ["- none"] : parameters.map { "- `\($0.name)`: \($0.value)" }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
