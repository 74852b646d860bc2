/// A file of named tensors that adapter weights are read from: a safetensors file
/// (`SafetensorsFile`) or a `torch.save` archive (`TorchCheckpoint`).
///
/// Both validate the whole layout when opened, so `tensor(_:)` of a listed entry only fails on a
/// dtype it cannot convert; both are immutable, so a file can be read from several threads.
public protocol TensorFile: AnyObject, Sendable {
    var path: String { get }
    /// Entries in file order.
    var entries: [TensorEntry] { get }
    /// The tensor converted to Float32.
    func tensor(_ entry: TensorEntry) throws -> Tensor
}

extension SafetensorsFile: TensorFile {}
