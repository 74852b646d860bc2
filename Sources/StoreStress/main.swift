// StoreStress STORE LOG: commits the cells of `StoreStressPlan` to the store at STORE, one after
// another, until killed. It continues after the newest commit found in the store (its `counter`)
// and appends "n" to LOG after commit n returns. The store's kill test SIGKILLs it at random moments.
#if canImport(Glibc)
import Glibc
#endif
import Ops
import TestSupport

func fail(_ message: String, status: Int32) -> Never {
    let bytes = Array((message + "\n").utf8)
    _ = write(2, bytes, bytes.count)
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else { fail("usage: StoreStress STORE LOG", status: 2) }
do {
    let store = try ResultStore(path: arguments[1])
    var n = 0
    if try store.results().contains(where: { $0.name == "counter" }), case let .integer(last) = try store.load(name: "counter") {
        n = Int(last) + 1
    }
    let log = open(arguments[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard log >= 0 else { throw SeedloraError(.io, path: arguments[2], "cannot open the log") }
    while true {
        try store.commit(cell: StoreStressPlan.cell(n), values: StoreStressPlan.values(n))
        let line = Array("\(n)\n".utf8)
        guard write(log, line, line.count) == line.count else { throw SeedloraError(.io, path: arguments[2], "cannot write the log") }
        n += 1
    }
} catch {
    fail("StoreStress: \(error)", status: 1)
}
