import Ops

/// The one place exports are written, for `seedlora merge`, `--plugin` strategies and Seed's
/// `export()`: the refusal of an existing output, the atomic replace (files appear whole or not
/// at all), the writers of each format, and the model card.
public enum Exporter {
    /// How the caller names the override in messages: `--force` on the command line, `force=true` in Seed.
    public enum Overwrite: Sendable {
        case commandLine, seed
        var hint: String { self == .commandLine ? "choose another --out or pass --force to replace it" : "choose another directory or pass force=true to replace it" }
    }

    /// Refuses an existing output unless `force`.
    public static func refuseExisting(_ path: String, force: Bool, _ overwrite: Overwrite) throws {
        guard !path.isEmpty else { throw SeedloraError(.usage, "the output directory is an empty path") }
        if FilePaths.exists(path) && !force { throw SeedloraError(path: path, "output already exists; \(overwrite.hint)") }
    }

    /// Writes into a hidden temporary directory next to `path` and moves it into place when `body`
    /// returns (replacing an existing output only with `force`); on any error nothing is left.
    public static func export<R>(to path: String, force: Bool, _ overwrite: Overwrite,
                                 _ body: (AtomicDirectory) throws -> R) throws -> R {
        try refuseExisting(path, force: force, overwrite)
        let directory = try AtomicDirectory(path: path, replace: force)
        // Errors about files in the temporary directory name them at the output path.
        let result = try directory.writing { try body(directory) }
        try directory.commit()
        return result
    }

    /// A PEFT adapter directory: adapter_model.safetensors, adapter_config.json, README.md.
    @discardableResult
    public static func writePeft(_ modules: [PeftExport.Module], dtype: DType, template: AdapterConfig?, firstInput: String?,
                                 maxRank: Int? = nil, card: String, into directory: AtomicDirectory) throws -> PeftExport {
        var export = PeftExport(modules: modules, dtype: dtype, template: template, modelCard: card)
        if let firstInput { export.relocateBaseModel(from: firstInput, to: directory.path) }
        try checkMaxRank(export.rank, maxRank: maxRank, output: directory.path)
        try export.write(into: directory)
        return export
    }

    /// Refuses an export whose rank exceeds `--max-rank` (a server's max_lora_rank), naming the
    /// rank it needs and the option that fits it under the limit.
    public static func checkMaxRank(_ rank: Int, maxRank: Int?, output: String) throws {
        guard let maxRank, rank > maxRank else { return }
        throw SeedloraError(path: output,
            "the export needs rank \(rank) but --max-rank is \(maxRank); pass --rank \(maxRank) to write the best rank-\(maxRank) approximation")
    }

    public static let peftFiles = ["adapter_model.safetensors", "adapter_config.json", "README.md"]
    public static let deltaFiles = ["delta.safetensors", "README.md"]

    /// delta.safetensors (one `<module>.weight` per module, in order) and README.md; `produce`
    /// hands each module's dense delta to the writer it is given, streaming.
    public static func writeDelta(modules: [(name: String, shape: [Int])], dtype: DType, card: String, into directory: AtomicDirectory,
                                  produce: (_ append: (Tensor) throws -> Void) throws -> Void) throws {
        let writer = try SafetensorsStreamWriter(path: directory.file("delta.safetensors"),
                                                 entries: modules.map { .init(name: $0.name + ".weight", shape: $0.shape, dtype: dtype) })
        try produce { try writer.append($0) }
        try writer.commit()
        try writeCard(card, into: directory)
    }

    /// A merged checkpoint: the base's shards with `delta(name, shape)` added to the weights it
    /// returns a tensor for, then README.md. Returns the names of the weights changed.
    public static func writeModel(base: Checkpoint, dtype: DType?, card: String, into directory: AtomicDirectory,
                                  delta: (_ name: String, _ shape: [Int]) throws -> Tensor?) throws -> [String] {
        let changed = try base.writeMerged(into: directory, dtype: dtype, delta: delta)
        try writeCard(card, into: directory)
        return changed
    }

    static func writeCard(_ card: String, into directory: AtomicDirectory) throws {
        let file = try AtomicFile(path: directory.file("README.md"))
        try file.write(card)
        try file.commit()
    }

    /// The best rank-`rank` PEFT module of a dense merged delta (randomized SVD, its random
    /// stream keyed by `seed` and the module's index), with the share of energy it keeps. A
    /// non-finite delta gives NaN factors: no SVD runs on it. `start`: the merge's inputs' A
    /// factors (`rangeStart(of:)`), which let the SVD take 4 passes over the delta instead of 10
    /// at the same accuracy; without them it uses a Gaussian sketch (see `RandomizedSVD`).
    public static func rankK(_ merged: Tensor, name: String, kind: ModuleKind, index: Int, rank: Int, seed: UInt64,
                             start: [Tensor] = []) throws -> (PeftExport.Module, Double) {
        if merged.firstNonFinite() != nil {
            return (PeftExport.Module(name: name, kind: kind, delta: NonFiniteMerge.nanDelta(shape: merged.shape, rank: rank)), .nan)
        }
        let svd = try RandomizedSVD.approximate(merged, rank: rank, start: start, rng: CounterRNG(seed: seed, module: index, input: -1))
        return (PeftExport.Module(name: name, kind: kind, delta: svd.factors), svd.energyKept)
    }

    /// The start of `rankK`'s range finder for a dense merge of `group`: the inputs' A factors,
    /// whose row spaces the merged delta's leading right-singular directions lie close to (for a
    /// DoRA input, its LoRA part's: still a valid start, only accuracy depends on it).
    public static func rangeStart(of group: ModuleGroup) -> [Tensor] {
        group.deltas.map(\.a)
    }
}
