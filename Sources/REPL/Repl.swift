import Kernel

/// Placeholder until the line editor lands.
struct Repl {
    let historyPath: String?
    func run() {}
}
