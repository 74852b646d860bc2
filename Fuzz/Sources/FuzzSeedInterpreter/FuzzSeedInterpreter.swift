// Fuzz target: the Seed interpreter on small programs, with the resource limits on (small, so
// every input ends quickly and within memory) and without file access (a mutated program must
// not read or write files). A limit reached is an error with a message, like any runtime error;
// only a crash, a sanitizer report, a leak or a timeout is a finding.
import Kernel

let limits = ResourceLimits(stringBytes: 1 << 20, collectionCount: 100_000, tensorElements: 1 << 20,
                            callDepth: 200, comparisonSteps: 1_000_000, steps: 20_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSeedInterpreter(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    // A fresh session per input, so inputs do not depend on each other; the REPL's options
    // (echo every expression, go on after an error) reach the most code per input.
    let session = Session(host: Host(write: { _ in }), limits: limits, fileAccess: false)
    let diagnostics = session.run(text, name: "fuzz.seed", options: .init(echo: true, continueAfterError: true))
    for diagnostic in diagnostics { _ = diagnostic.rendered() }
    // What the notebook does with the same text: the last expression's rich value.
    _ = session.runCell(text, name: "cell.seed")
    return 0
}
