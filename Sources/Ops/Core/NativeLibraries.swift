#if canImport(Glibc)
import Glibc
#endif
/// Versions of the native libraries, for `seedlora version` and bug reports.
public enum NativeLibraries {
    public static var hdf5Version: String { HDF5.libraryVersion }

    /// The OpenBLAS build with the kernels in use (and the generic ones OpenBLAS picked itself,
    /// when seedlora asked for better ones).
    public static var blas: String {
        var text = LinearAlgebra.blasDescription
        if let fallback = getenv("SEEDLORA_BLAS_FALLBACK").map({ String(cString: $0) }) {
            text += " (OpenBLAS chose \(fallback) for this CPU; seedlora set OPENBLAS_CORETYPE)"
        }
        return text
    }
}
