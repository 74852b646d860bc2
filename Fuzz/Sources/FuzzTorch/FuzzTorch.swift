// Fuzz target: an adapter_model.bin. Input starting with "PK" is a whole torch.save archive
// (zip directory, byteorder, data.pkl, storages; CRCs are not checked, so mutations reach the
// structure behind them) and every tensor it lists is converted; any other input is a bare
// data.pkl for the restricted unpickler.
import FuzzSupport
@testable import Ops

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    if bytes.starts(with: [0x50, 0x4B]) {
        guard let layout = try? TorchCheckpoint.layout(bytes, verifyChecksums: false) else { return 0 }
        for entry in layout.entries {
            guard let view = layout.views[entry.name] else { continue }
            _ = try? TorchCheckpoint.tensor(view, name: entry.name, in: bytes)
        }
    } else {
        _ = try? TorchUnpickler.stateDict(bytes)
    }
    return 0
}
