/// A PEFT adapter directory opened but not loaded: its config, its mapped weights file, and
/// where each module's factors are in it.
///
/// `PeftAdapter(directory:)` loads every module through it. A streaming merge keeps only the
/// index and loads a few modules at a time (`load`), dropping their pages afterwards
/// (`release`), so its memory does not grow with the size of the model.
public struct PeftAdapterIndex: Sendable {
    public let path: String
    public let config: AdapterConfig
    public let weightsPath: String
    /// Adapted modules, sorted by name.
    public let moduleNames: [String]
    /// Keys that are not LoRA factors (modules_to_save copies, full weights).
    public let otherTensors: [String]
    let file: any TensorFile
    let keys: [String: PeftAdapter.ModuleKeys]

    /// The header-level facts of one module, known without reading its factors.
    public struct Layout: Sendable, Equatable {
        public let kind: ModuleKind
        /// Rows and columns of the delta in the base weight's orientation.
        public let rows: Int
        public let cols: Int
        public let rank: Int
        /// Whether it has a LoRA bias or a DoRA magnitude (which a plain merge refuses).
        public let hasExtras: Bool
        /// How the factors are stored (A's dtype, as `AdapterModule.dtype`).
        public let dtype: DType
    }

    public init(directory: String) throws {
        path = directory
        config = try AdapterConfig(directory: directory)
        let file = try PeftAdapter.openWeights(directory)
        self.file = file
        weightsPath = file.path
        let grouped = try PeftAdapter.groupKeys(file)
        keys = grouped.modules
        otherTensors = grouped.other
        moduleNames = grouped.modules.keys.sorted()
    }

    /// Reads module `name` (converted to Float32 and screened for non-finite values in one pass).
    public func load(_ name: String) throws -> AdapterModule {
        try PeftAdapter.loadModule(name, keys: keys[name] ?? PeftAdapter.ModuleKeys(), file: file,
                                   config: config, weightsPath: weightsPath)
    }

    /// Bytes of all tensors in the weights file.
    public var tensorBytes: Int { file.entries.reduce(0) { $0 + $1.byteCount } }

    /// Lets the kernel drop the modules' mapped pages from this process (they stay in the page
    /// cache): what keeps a streaming merge's resident memory at a few modules.
    public func release(_ names: [String]) {
        guard let mapped = file as? SafetensorsFile else { return }
        mapped.releasePages(names.flatMap { name -> [TensorEntry] in
            guard let entry = keys[name] else { return [] }
            return [entry.a, entry.b, entry.bias, entry.magnitude].compactMap { $0 }
        })
    }

    /// The module's kind and shape from the header alone, or nil when its keys are incomplete or
    /// malformed (then `load` gives the precise error).
    public func layout(_ name: String) -> Layout? {
        guard let entry = keys[name], let a = entry.a, let b = entry.b, a.shape.count == 2, b.shape.count == 2,
              b.shape[1] == a.shape[0] else { return nil }
        let kind: ModuleKind = entry.embedding ? .embedding : (config.fanInFanOut ? .fanInFanOut : .linear)
        let (rows, cols) = kind.isTransposed ? (a.shape[1], b.shape[0]) : (b.shape[0], a.shape[1])
        return Layout(kind: kind, rows: rows, cols: cols, rank: a.shape[0],
                      hasExtras: entry.bias != nil || entry.magnitude != nil, dtype: a.dtype)
    }
}
