#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Ops

// A write past the file size limit (ulimit -f) would kill the process with SIGXFSZ and leave
// the user no message; ignored, the write fails with EFBIG and the atomic writers report it.
signal(SIGXFSZ, SIG_IGN)

// Exit codes are part of the interface: 0 ok, 1 bad input (files, adapters, I/O), 2 usage.
do {
    var command = try SeedloraCommand.parseAsRoot()
    try command.run()
} catch let error as SeedloraError {
    Terminal.error(error.description)
    Terminal.exit(error.kind == .usage ? 2 : 1)
} catch {
    let code = SeedloraCommand.exitCode(for: error)
    let message = SeedloraCommand.fullMessage(for: error)
    if code == .success {
        if !message.isEmpty { print(message) }
        Terminal.exit(0)
    }
    if !message.isEmpty { Terminal.printError(message) }
    Terminal.exit(2)
}
