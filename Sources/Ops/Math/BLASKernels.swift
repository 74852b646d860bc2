#if canImport(Glibc)
import Glibc
#endif

/// Which OpenBLAS kernels run, and a better choice when OpenBLAS falls back to generic ones.
///
/// OpenBLAS (a DYNAMIC_ARCH build, as Debian's) picks its kernels from a table of known CPUs when
/// the library loads. 0.3.21 (Debian 12) does not know newer CPUs, nor virtual CPUs that report a
/// generic model ("Intel Xeon Processor"), and falls back to its Prescott (SSE3) kernels: measured
/// on this project's 2-core AVX-512 machine, single-threaded sgemm at n = 1536 runs at 13 GFLOP/s
/// with them, 42 with Haswell's (AVX2) and 83-100 with SkylakeX's (AVX-512). OpenBLAS reads the
/// choice from `OPENBLAS_CORETYPE`, but only at load time, before `main`: so the `seedlora`
/// executable sets it and re-executes itself once (`betterCoreType`), a few milliseconds.
public enum BLASKernels {
    /// The kernel set OpenBLAS is using ("Prescott", "Haswell", "SkylakeX", ...).
    public static var coreName: String { LinearAlgebra.blasCoreName }

    /// Kernel sets OpenBLAS falls back to for CPUs it does not recognise.
    static let fallbacks: Set<String> = ["Prescott", "Katmai", "Core2", "Nehalem"]

    /// The `OPENBLAS_CORETYPE` to ask for: nil when the user chose one, when OpenBLAS already
    /// recognised the CPU, or when the CPU has neither AVX2 + FMA nor AVX-512. The flags are
    /// read only when the first two tests pass (every start of `seedlora` asks).
    public static func betterCoreType(userChoice: String?, coreName: String, cpuFlags: @autoclosure () -> Set<String>) -> String? {
        guard userChoice == nil, fallbacks.contains(coreName) else { return nil }
        let cpuFlags = cpuFlags()
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(cpuFlags.contains)
        if avx512 { return cpuFlags.contains("avx512_bf16") ? "Cooperlake" : "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The CPU feature flags the kernel reports for the first CPU (empty when unreadable). The
    /// kernel lists a flag only when it also saves that register state (AVX-512 included).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let text = line.map({ String(cString: $0) }) {
            if text.hasPrefix("flags") || text.hasPrefix("Features") {
                let values = text.split(separator: ":", maxSplits: 1).dropFirst().first ?? ""
                return Set(values.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init))
            }
        }
        return []
    }
}
