internal import CHDF5

/// Versions of the native libraries, for `seedlora version` and bug reports.
public enum NativeLibraries {
    public static var hdf5Version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return "unknown" }
        return "\(major).\(minor).\(release)"
    }

    public static var blas: String { LinearAlgebra.blasDescription }
}
