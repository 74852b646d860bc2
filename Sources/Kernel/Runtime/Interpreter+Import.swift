import Ops

/// `import "file.seed"`: runs a file once in the global scope, relative to the importing file.
extension Interpreter {
    func importFile(_ path: String, at span: Span) throws {
        do { try requireFileAccess(path) } catch let error as BuiltinError { throw fail(error.message, at: span) }
        let resolved = SourceLoader.resolve(path, relativeTo: currentDirectory)
        let key = FilePaths.absolute(resolved)
        if importing.contains(key) {
            throw fail("import cycle: \((importing + [key]).joined(separator: " -> "))", at: span)
        }
        if imported.contains(key) { return }
        let text: String
        do { text = try SourceLoader.read(resolved) } catch let error as SeedloraError {
            throw fail("cannot import \"\(path)\": \(error.message)", at: span)
        }
        recorder.noteRead(resolved)
        let file = SourceFile(name: resolved, text: text)
        let (program, diagnostics) = Parser.parse(file)
        if let first = diagnostics.first { throw first }
        importing.append(key)
        let savedDirectory = currentDirectory
        currentDirectory = SourceLoader.directory(of: resolved)
        defer {
            importing.removeLast()
            currentDirectory = savedDirectory
        }
        frames.append(("<import \(path)>", span))
        defer { frames.removeLast() }
        _ = try execute(program.statements, in: globals)
        imported.insert(key)
    }
}
