// Fuzz target: a safetensors file from the internet. Opens it (header length, JSON header, entry
// and layout rules) and, when it is valid, converts every tensor and reads its raw bytes.
import FuzzSupport
import Ops

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Scratch.write(fuzzBytes(data, size), to: "input.safetensors")
    guard let file = try? SafetensorsFile(path: path) else { return 0 }
    for entry in file.entries {
        _ = try? file.tensor(entry)
        _ = file.withRawBytes(entry) { $0.count }
    }
    _ = file.metadata.count
    return 0
}
