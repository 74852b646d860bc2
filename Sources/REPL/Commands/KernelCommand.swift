#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Kernel
import Notebook
import Ops

/// `seedlora kernel --connection-file FILE`: the Jupyter kernel (started by a notebook client).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run the Jupyter kernel (Jupyter clients start this through the kernelspec).",
        discussion: "Install the kernelspec once with `seedlora kernel install --user`.",
        subcommands: [KernelInstallCommand.self])

    @Option(name: .customLong("connection-file"), help: ArgumentHelp("The connection file the client wrote.", valueName: "file"))
    var connectionFile: String?

    func run() throws {
        guard let connectionFile else {
            throw ValidationError("--connection-file FILE is required (or `seedlora kernel install`)")
        }
        let session = ScriptRunner.makeSession()
        // Clients interrupt with SIGINT to the process group (interrupt_mode "signal") or an
        // interrupt_request; both only set the session's cancellation flag.
        Interrupts.install(session.cancellation)
        try NotebookKernel.run(connectionFile: connectionFile, session: session)
    }
}

/// `seedlora kernel install [--user | --prefix DIR]`: writes the kernelspec directory.
struct KernelInstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install", abstract: "Install the Jupyter kernelspec 'seedlora' (kernel.json).")

    @Flag(help: "Install for this user (~/.local/share/jupyter/kernels).")
    var user = false

    @Option(help: ArgumentHelp("Install under DIR/share/jupyter/kernels (a venv, a test's JUPYTER_PATH).", valueName: "dir"))
    var prefix: String?

    func validate() throws {
        if user && prefix != nil { throw ValidationError("--user and --prefix exclude each other") }
    }

    func run() throws {
        let directory = Kernelspec.directory(user: user, prefix: prefix, environment: ProcessEnvironment.current)
        try Kernelspec.install(into: directory, executable: Kernelspec.executablePath())
        print("installed kernelspec seedlora in \(directory)")
    }
}
