/// Versions of the native libraries, for `seedlora version` and bug reports.
public enum NativeLibraries {
    public static var hdf5Version: String { HDF5.libraryVersion }

    public static var blas: String { LinearAlgebra.blasDescription }
}
