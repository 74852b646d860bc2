extension JSON {
    /// Reads and parses the JSON file at `path` (mapped, not copied). A parse error becomes a
    /// `SeedloraError` naming the file: `<path>: not valid JSON: invalid JSON at byte 12: ...`.
    public static func read(path: String, maxDepth: Int = 64) throws -> JSON {
        let file = try MappedFile(path: path)
        do {
            return try file.withBytes(0..<file.size) { try JSON.parse($0, maxDepth: maxDepth) }
        } catch let error as JSONParseError {
            throw SeedloraError(path: path, "not valid JSON: \(error)")
        }
    }
}
