import ArgumentParser
internal import CReadline
import Kernel
import Ops

/// `seedlora version`: our version and the native libraries we run on (for bug reports).
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print versions of seedlora and its native libraries.")

    func run() throws {
        print(KernelInfo.banner)
        print("BLAS: \(NativeLibraries.blas)")
        print("HDF5: \(NativeLibraries.hdf5Version)")
        print("readline: \(String(cString: seedlora_rl_library_version()))")
    }
}
