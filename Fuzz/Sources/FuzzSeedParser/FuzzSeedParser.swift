// Fuzz target: the Seed lexer and parser on arbitrary text, and what front ends do with a
// script before running it: split it into `#%%` cells, decide whether a REPL entry is complete,
// complete the word at a cursor, and render every diagnostic with its caret line.
@testable import Kernel

/// One session for completion (it only reads its names); nothing runs in it.
nonisolated(unsafe) let completionSession = Session(host: Host(write: { _ in }), fileAccess: false)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSeedParser(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // Scripts are text: invalid UTF-8 is repaired, as the REPL's and `seedlora run`'s readers do.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), as: UTF8.self)
    let file = SourceFile(name: "fuzz.seed", text: text)
    let (_, diagnostics) = Parser.parse(file)
    for diagnostic in diagnostics { _ = diagnostic.rendered() }
    if case let .failure(errors) = CellScript.parse(text, path: "fuzz.seed") { for error in errors.items { _ = error.rendered() } }
    // (Session.isComplete and .completeness are this parse on a thread with a 512 MiB stack,
    // whose set-up under ASan costs more than the parse: the parse above covers them.)
    _ = Session.isInsideString(text)
    // Cursors in the middle, at the end and past the end (a front end's stale cursor).
    let scalars = text.unicodeScalars.count
    for cursor in [scalars / 2, scalars, scalars + 3] { _ = completionSession.completions(text, cursor: cursor) }
    return 0
}
