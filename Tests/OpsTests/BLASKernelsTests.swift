import Foundation
import Ops
import Testing

/// seedlora asks OpenBLAS for better kernels only when OpenBLAS fell back to generic ones and
/// the CPU has AVX2 + FMA or AVX-512 (see BLASKernels).
@Suite struct BLASKernelsTests {
    static let avx512: Set<String> = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"]

    @Test func theChoice() {
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Prescott", cpuFlags: Self.avx512.union(["avx512_bf16"])) == "Cooperlake")
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Nehalem", cpuFlags: ["avx", "avx2", "fma"]) == "Haswell")
        // AVX-512F alone (no BW/DQ/VL) is not enough for the SkylakeX kernels.
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
        // A CPU OpenBLAS knows, or a choice the user made, is left alone.
        #expect(BLASKernels.betterCoreType(userChoice: nil, coreName: "Haswell", cpuFlags: Self.avx512) == nil)
        #expect(BLASKernels.betterCoreType(userChoice: "Prescott", coreName: "Prescott", cpuFlags: Self.avx512) == nil)
    }

    @Test func cpuFlagsAreReadFromTheFirstCPU() throws {
        let path = NSTemporaryDirectory() + "cpuinfo-\(getpid())"
        defer { unlink(path) }
        try "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse avx2 fma avx512f\n\nprocessor\t: 1\nflags\t\t: fpu\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(BLASKernels.cpuFlags(cpuinfo: path) == ["fpu", "sse", "avx2", "fma", "avx512f"])
        #expect(BLASKernels.cpuFlags(cpuinfo: "/nonexistent/cpuinfo").isEmpty)
    }
}
