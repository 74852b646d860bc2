#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Ops

// A write past the file size limit (ulimit -f) would kill the process with SIGXFSZ and leave
// the user no message; ignored, the write fails with EFBIG and the atomic writers report it.
signal(SIGXFSZ, SIG_IGN)

// OpenBLAS chose generic kernels on a CPU it does not know: run again with better ones (see
// BLASKernels; 3-8x faster matrix products). At most once: the new process has the variable set.
if let core = BLASKernels.betterCoreType(userChoice: getenv("OPENBLAS_CORETYPE").map { String(cString: $0) },
                                         coreName: BLASKernels.coreName, cpuFlags: BLASKernels.cpuFlags()) {
    setenv("OPENBLAS_CORETYPE", core, 1)
    setenv("SEEDLORA_BLAS_FALLBACK", BLASKernels.coreName, 1)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
    // exec failed (no /proc): go on with the kernels we have.
}

// Every BLAS call runs on one thread: the parallelism is over modules (LinearAlgebra.stopBLASThreads).
LinearAlgebra.stopBLASThreads()

// Exit codes are part of the interface (README): 0 ok, 1 bad input (files, adapters, I/O),
// 2 usage. Every error, the argument parser's included, is one `seedlora: error: ...` line,
// followed for usage errors by the usage line.
do {
    var command = try SeedloraCommand.parseAsRoot()
    try command.run()
} catch let error as SeedloraError {
    Terminal.error(error.description)
    Terminal.exit(error.kind == .usage ? 2 : 1)
} catch {
    let code = SeedloraCommand.exitCode(for: error)
    if code == .success {
        // --help and --version.
        let message = SeedloraCommand.fullMessage(for: error)
        if !message.isEmpty { print(message) }
        Terminal.exit(0)
    }
    Terminal.printError(CommandLineErrors.render(error))
    Terminal.exit(2)
}
