import Foundation
import Ops
import Testing

/// `seedlora` runs with the kernels BLASKernels picks, and says so in `seedlora version`.
@Suite struct BLASKernelsCLITests {
    @Test func versionNamesTheKernelsInUse() throws {
        // This test process runs with the kernels OpenBLAS chose by itself.
        let chosen = LinearAlgebra.blasCoreName
        let better = BLASKernels.betterCoreType(userChoice: nil, coreName: chosen, cpuFlags: BLASKernels.cpuFlags())
        let plain = try CLIRunner.run(["version"], prefix: ["/usr/bin/env", "-u", "OPENBLAS_CORETYPE"])
        #expect(plain.status == 0)
        if let better {
            #expect(plain.stdout.contains(" \(better) "), "\(plain.stdout)")
            #expect(plain.stdout.contains("(OpenBLAS chose \(chosen) for this CPU; seedlora set OPENBLAS_CORETYPE)"))
        } else {
            #expect(plain.stdout.contains(" \(chosen) "), "\(plain.stdout)")
            #expect(!plain.stdout.contains("seedlora set OPENBLAS_CORETYPE"))
        }
        // A choice of the user's is kept.
        let user = try CLIRunner.run(["version"], prefix: ["/usr/bin/env", "OPENBLAS_CORETYPE=Prescott"])
        #expect(user.stdout.contains(" Prescott "), "\(user.stdout)")
        #expect(!user.stdout.contains("seedlora set OPENBLAS_CORETYPE"))
    }
}
