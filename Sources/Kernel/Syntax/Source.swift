/// A piece of Seed source text with its name, kept whole so diagnostics can quote any line.
///
/// Offsets are indices into `characters` (Swift `Character`s, i.e. grapheme clusters), so a
/// column is what a person counts on screen for ordinary text.
public final class SourceFile: Sendable {
    public let name: String
    public let text: String
    let characters: [Character]
    /// Offset of the first character of each line.
    let lineStarts: [Int]

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        let chars = Array(text)
        characters = chars
        var starts = [0]
        for (i, c) in chars.enumerated() where c == "\n" || c == "\r\n" { starts.append(i + 1) }
        lineStarts = starts
    }

    /// 1-based line and column of `offset`.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        // Binary search for the last line start <= offset.
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, offset - lineStarts[lo] + 1)
    }

    /// The character offsets of 1-based `line`, without its newline (empty when out of range).
    func lineRange(_ line: Int) -> Range<Int> {
        guard line >= 1, line <= lineStarts.count else { return 0..<0 }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] : characters.count
        while end > start, characters[end - 1] == "\n" || characters[end - 1] == "\r\n" || characters[end - 1] == "\r" {
            end -= 1
        }
        return start..<end
    }

    /// The text of 1-based `line`, without its newline ("" when out of range).
    public func line(_ line: Int) -> String {
        text(lineRange(line))
    }

    /// The characters at `range` (clamped to the file).
    func text(_ range: Range<Int>) -> String {
        let lower = max(0, min(range.lowerBound, characters.count)), upper = max(lower, min(range.upperBound, characters.count))
        return String(characters[lower..<upper])
    }

    var count: Int { characters.count }
}

/// A half-open range of character offsets in one source file.
public struct Span: Sendable {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// The span from the start of `self` to the end of `other`.
    func through(_ other: Span) -> Span {
        Span(file: file, start: start, end: max(end, other.end))
    }

    public var line: Int { file.location(of: start).line }
    public var column: Int { file.location(of: start).column }
    /// `file:line:col`
    public var position: String {
        let (l, c) = file.location(of: start)
        return "\(file.name):\(l):\(c)"
    }
}
