/// An error the user can act on: where it is, what is wrong, and (for runtime errors) how the
/// program got there.
///
/// Rendered as
///
///     analysis.seed:3:7: error: unknown name 'cosin'; did you mean 'cosine'?
///         sim = cosin(seeds)
///               ^~~~~
///     Seed call stack (most recent call last):
///       analysis.seed:9:1 in <script>
///       analysis.seed:3:7 in f
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case syntax
        case runtime
        /// Ctrl-C or a host interrupt; not a mistake in the program.
        case interrupted
    }

    public let kind: Kind
    public let message: String
    public let span: Span?
    /// Outermost call first: (function name, span of the call or of the failing expression).
    public var stack: [StackFrame]
    /// True when a syntax error is at the end of the input: more text could complete it
    /// (the REPL then asks for a continuation line).
    public let atEndOfInput: Bool

    public init(_ kind: Kind, _ message: String, at span: Span?, stack: [StackFrame] = [], atEndOfInput: Bool = false) {
        self.kind = kind
        self.message = message
        self.span = span
        self.stack = stack
        self.atEndOfInput = atEndOfInput
    }

    public struct StackFrame: Sendable {
        public let function: String
        public let span: Span
    }

    /// `file:line:col: error: message` (no source excerpt).
    public var headline: String {
        let place = span.map { $0.position + ": " } ?? ""
        return "\(place)error: \(message)"
    }

    public var description: String { rendered() }

    /// Lines longer than this are quoted as a window around the span, marked with "...".
    public static let quoteWidth = 160

    /// The quoted source text, the 1-based column of the caret in it and the caret's width.
    /// A long line (minified or generated code) is cut to a window around the span's start.
    static func quote(_ span: Span, line: Range<Int>) -> (text: String, column: Int, width: Int) {
        var window = line
        if line.count > quoteWidth {
            let start = max(line.lowerBound, min(span.start - quoteWidth / 2, line.upperBound - quoteWidth))
            window = start..<min(line.upperBound, start + quoteWidth)
        }
        let head = window.lowerBound > line.lowerBound ? "..." : ""
        let tail = window.upperBound < line.upperBound ? "..." : ""
        let column = max(1, span.start - window.lowerBound + 1) + head.count
        let endOnLine = min(span.end, max(span.start + 1, window.upperBound))
        let width = max(1, endOnLine - span.start)
        return (head + span.file.text(window) + tail, column, width)
    }

    /// The full text: headline, source line with a caret under the span, and the call stack.
    public func rendered() -> String {
        var lines = [headline]
        if let span {
            let (lineNumber, _) = span.file.location(of: span.start)
            let (text, column, width) = Diagnostic.quote(span, line: span.file.lineRange(lineNumber))
            lines.append("    " + text)
            lines.append("    " + String(repeating: " ", count: max(0, column - 1)) + "^" + String(repeating: "~", count: width - 1))
        }
        if stack.count > 1 {
            lines.append("Seed call stack (most recent call last):")
            // Runs of the same frame (deep recursion) are shown three times, then counted.
            var previous = "", repeats = 0
            for frame in stack {
                let line = "  \(frame.span.position) in \(frame.function)"
                if line == previous {
                    repeats += 1
                    if repeats >= 3 { continue }
                } else {
                    if repeats >= 3 { lines.append("  [previous line repeated \(repeats - 2) more times]") }
                    repeats = 0
                }
                previous = line
                lines.append(line)
            }
            if repeats >= 3 { lines.append("  [previous line repeated \(repeats - 2) more times]") }
        }
        return lines.joined(separator: "\n")
    }
}

/// Several syntax errors from one parse, in source order.
public struct SyntaxErrors: Error, Sendable, CustomStringConvertible {
    public let diagnostics: [Diagnostic]
    public var description: String { diagnostics.map { $0.rendered() }.joined(separator: "\n") }
}
