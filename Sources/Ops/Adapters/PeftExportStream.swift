/// Writes a PEFT export module by module, as a streaming merge produces them, into the same
/// bytes `PeftExport.write(into:)` writes for the modules all at once: the tensors sorted by
/// name, every module zero-padded to one rank, the scale folded into A.
///
/// The safetensors header comes first, so the export rank and every module's shape must be
/// known before the first module is merged; `append` refuses (returns false) a module of larger
/// rank, and the caller falls back to the in-memory export.
public final class PeftExportStream {
    /// A module to be written: its name, kind and delta shape (base-weight orientation).
    public struct Slot: Sendable {
        public let name: String
        public let kind: ModuleKind
        public let rows: Int
        public let cols: Int
        public init(name: String, kind: ModuleKind, rows: Int, cols: Int) {
            self.name = name
            self.kind = kind
            self.rows = rows
            self.cols = cols
        }
    }

    public let rank: Int
    private let export: PeftExport
    private let slots: [Slot]
    private let writer: SafetensorsStreamWriter
    private var next = 0

    /// Nil when sorting the tensors by name would interleave two modules (then the stored order
    /// is not the module order, and the export cannot be streamed).
    public init?(export: PeftExport, slots: [Slot], rank: Int, directory: AtomicDirectory) throws {
        guard [.f32, .bf16, .f16].contains(export.dtype) else {
            throw SeedloraError("export dtype must be f32, bf16 or f16")
        }
        let entries = slots.flatMap {
            PeftExport.entries(name: $0.name, kind: $0.kind, rows: $0.rows, cols: $0.cols, rank: rank, dtype: export.dtype)
        }
        guard entries.map(\.name) == entries.map(\.name).sorted() else { return nil }
        self.export = export
        self.slots = slots
        self.rank = rank
        writer = try SafetensorsStreamWriter(path: directory.file("adapter_model.safetensors"), entries: entries)
    }

    /// Appends the next module (in slot order); false when its rank exceeds the stream's.
    public func append(_ module: PeftExport.Module) throws -> Bool {
        guard next < slots.count, slots[next].name == module.name, slots[next].kind == module.kind,
              module.delta.rows == slots[next].rows, module.delta.cols == slots[next].cols else {
            throw SeedloraError("internal: streamed export got module \(module.name) out of order")
        }
        guard module.delta.rank <= rank else { return false }
        next += 1
        for item in PeftExport.items(module, rank: rank, dtype: export.dtype) { try writer.append(item.tensor) }
        return true
    }

    /// Commits the weights file and writes the config and model card.
    public func finish(into directory: AtomicDirectory) throws {
        try writer.commit()
        try export.writeConfigAndCard(into: directory, rank: rank, moduleNames: slots.map(\.name))
    }
}
