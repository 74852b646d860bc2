import Foundation

/// A strict, allocation-light scanner for one JSON text held in memory (one line of a JSONL
/// file), for readers that keep a few scalar fields and skip the rest.
///
/// It accepts exactly RFC 8259 JSON: strings with valid escapes and no raw control characters,
/// numbers in JSON's grammar, `true`/`false`/`null`, nested arrays and objects. Skipped strings are
/// checked byte by byte (and, when they hold non-ASCII bytes, for valid UTF-8) without being
/// decoded; only what the caller keeps becomes a Swift `String` or `Double`.
struct JSONLineScanner {
    struct Failure: Error {
        /// Byte offset into the line (0-based).
        let offset: Int
        let message: String
    }

    /// A scalar the caller keeps.
    enum Scalar {
        case number(Double)
        case bool(Bool)
        case string(String)
        case null
    }

    let bytes: UnsafeRawBufferPointer
    var position = 0
    /// Nesting limit: a line of a million `[` must not overflow the stack.
    static let maxDepth = 512

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { position >= bytes.count }

    func fail(_ message: String, at offset: Int? = nil) -> Failure { Failure(offset: offset ?? position, message: message) }

    func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while position < bytes.count {
            let b = bytes[position]
            guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D else { return }
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard peek() == byte else { throw fail("expected \(what), found \(describeNext())") }
        position += 1
    }

    func describeNext() -> String {
        guard let b = peek() else { return "the end of the line" }
        if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return String(format: "byte 0x%02X", b)
    }

    // MARK: objects

    /// Walks the members of an object (the scanner is at its `{`). The caller reads each member
    /// name itself (`keyReader`, at the opening quote; it returns an id for `member`), and
    /// `member` must consume the value (`scalarOrSkip`, `skipValue`, or a nested `object`).
    mutating func object(depth: Int, keyReader: (inout JSONLineScanner) throws -> Int,
                         member: (inout JSONLineScanner, Int) throws -> Void) throws {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        try expect(UInt8(ascii: "{"), "'{' (a JSON object)")
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { position += 1; return }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a member name in double quotes, found \(describeNext())") }
            let key = try keyReader(&self)
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard let b = peek() else { throw fail("unterminated object (expected ',' or '}')") }
            position += 1
            if b == UInt8(ascii: "}") { return }
            guard b == UInt8(ascii: ",") else { throw fail("expected ',' or '}' in an object, found \(Self.describe(b))", at: position - 1) }
        }
    }

    static func describe(_ b: UInt8) -> String {
        b >= 0x21 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : String(format: "byte 0x%02X", b)
    }

    /// The value at the cursor: a scalar, or nil for an array or object (skipped, but checked).
    mutating func scalarOrSkip(depth: Int = 0) throws -> Scalar? {
        skipWhitespace()
        guard let b = peek() else { throw fail("expected a value, found the end of the line") }
        switch b {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            try skipValue(depth: depth)
            return nil
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    /// Skips any value, checking it.
    mutating func skipValue(depth: Int = 0) throws {
        guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth) levels") }
        skipWhitespace()
        guard let b = peek() else { throw fail("expected a value, found the end of the line") }
        switch b {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"):
            try object(depth: depth + 1, keyReader: { scanner in _ = try scanner.string(); return 0 },
                       member: { scanner, _ in try scanner.skipValue(depth: depth + 1) })
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { position += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let c = peek() else { throw fail("unterminated array (expected ',' or ']')") }
                position += 1
                if c == UInt8(ascii: "]") { return }
                guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in an array, found \(Self.describe(c))", at: position - 1) }
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try number()
        }
    }

    /// The strings of an array of strings (`"metrics": ["exact_match"]`); nil (skipped) when the
    /// value is something else.
    mutating func stringArrayOrSkip() throws -> [String]? {
        skipWhitespace()
        guard peek() == UInt8(ascii: "[") else { try skipValue(); return nil }
        let start = position
        position += 1
        var out: [String] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { position += 1; return out }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else {
                position = start
                try skipValue()
                return nil
            }
            out.append(try string())
            skipWhitespace()
            guard let c = peek() else { throw fail("unterminated array (expected ',' or ']')") }
            position += 1
            if c == UInt8(ascii: "]") { return out }
            guard c == UInt8(ascii: ",") else { throw fail("expected ',' or ']' in an array, found \(Self.describe(c))", at: position - 1) }
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        let start = position
        guard position + count <= bytes.count else { throw fail("expected \(word), found \(describeNext())") }
        for i in 0..<count where bytes[position + i] != word.utf8Start[i] {
            throw fail("expected \(word), found \(describeNext())", at: start)
        }
        position += count
    }

    // MARK: strings

    /// Skips a string (the cursor is at its opening quote), checking escapes, control characters
    /// and UTF-8.
    mutating func skipString() throws {
        let start = position
        position += 1
        var ascii = true
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                if !ascii { try checkUTF8(start + 1..<position - 1) }
                return
            }
            if b == UInt8(ascii: "\\") {
                try escape(into: nil)
                continue
            }
            if b < 0x20 { throw fail(String(format: "control character 0x%02X inside a string (escape it as \\u%04X)", b, b)) }
            if b >= 0x80 { ascii = false }
            position += 1
        }
        throw fail("unterminated string (opened at column \(start + 1))", at: start)
    }

    /// The content bytes of a string (the cursor is at its opening quote), checked like
    /// `skipString`. `plain`: no escapes and ASCII only, so the bytes are the text; otherwise
    /// decode it with `string()` from `range.lowerBound - 1`.
    mutating func stringSpan() throws -> (range: Range<Int>, plain: Bool) {
        let start = position
        position += 1
        var plain = true, ascii = true
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                if !ascii { try checkUTF8(start + 1..<position - 1) }
                return (start + 1..<position - 1, plain)
            }
            if b == UInt8(ascii: "\\") {
                plain = false
                try escape(into: nil)
                continue
            }
            if b < 0x20 { throw fail(String(format: "control character 0x%02X inside a string (escape it as \\u%04X)", b, b)) }
            if b >= 0x80 { ascii = false; plain = false }
            position += 1
        }
        throw fail("unterminated string (opened at column \(start + 1))", at: start)
    }

    /// The text of a plain span (see `stringSpan`).
    func plainText(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Whether the bytes of `range` equal `other`.
    func bytesEqual(_ range: Range<Int>, _ other: [UInt8]) -> Bool {
        guard range.count == other.count else { return false }
        return other.withUnsafeBytes { o in
            guard let a = bytes.baseAddress, let b = o.baseAddress else { return range.isEmpty }
            return memcmp(a + range.lowerBound, b, range.count) == 0
        }
    }

    /// A decoded string (the cursor is at its opening quote).
    mutating func string() throws -> String {
        let start = position
        position += 1
        // Fast path: no escapes, so the bytes are the string.
        var end = position
        while end < bytes.count {
            let b = bytes[end]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { break }
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            let text = try decodeUTF8(position..<end)
            position = end + 1
            return text
        }
        position = start + 1
        var buffer: [UInt8] = []
        while position < bytes.count {
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                position += 1
                return try buffer.withUnsafeBytes { raw in
                    guard let text = String(validating: raw, as: UTF8.self) else {
                        throw fail("string is not valid UTF-8", at: start)
                    }
                    return text
                }
            }
            if b == UInt8(ascii: "\\") {
                try escape(into: &buffer)
                continue
            }
            if b < 0x20 { throw fail(String(format: "control character 0x%02X inside a string (escape it as \\u%04X)", b, b)) }
            buffer.append(b)
            position += 1
        }
        throw fail("unterminated string (opened at column \(start + 1))", at: start)
    }

    func decodeUTF8(_ range: Range<Int>) throws -> String {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw fail("string is not valid UTF-8", at: range.lowerBound)
        }
        return text
    }

    func checkUTF8(_ range: Range<Int>) throws { _ = try decodeUTF8(range) }

    /// One escape sequence (the cursor is at the backslash), appended as UTF-8 when `buffer` is
    /// given.
    mutating func escape(into buffer: UnsafeMutablePointer<[UInt8]>?) throws {
        let start = position
        guard position + 1 < bytes.count else { throw fail("unterminated escape sequence", at: start) }
        let c = bytes[position + 1]
        position += 2
        let simple: UInt8?
        switch c {
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        case UInt8(ascii: "/"): simple = 0x2F
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw fail("invalid escape \\\(Self.describe(c)) in a string", at: start)
        }
        if let simple {
            buffer?.pointee.append(simple)
            return
        }
        var code = try hex4(at: start)
        if (0xD800..<0xDC00).contains(code) {
            // A high surrogate must be followed by \u and a low surrogate.
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired UTF-16 surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string", at: start)
            }
            position += 2
            let low = try hex4(at: start)
            guard (0xDC00..<0xE000).contains(low) else {
                throw fail("unpaired UTF-16 surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string", at: start)
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
            throw fail("unpaired UTF-16 surrogate \\u\(String(code, radix: 16, uppercase: true)) in a string", at: start)
        }
        if let buffer, let scalar = Unicode.Scalar(code) {
            buffer.pointee.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
    }

    mutating func hex4(at start: Int) throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw fail("\\u needs four hex digits", at: start) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[position]
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: throw fail("\\u needs four hex digits", at: start)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    // MARK: numbers

    /// A number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    ///
    /// Up to 15 significant digits with a decimal exponent within ±22 convert exactly in one
    /// rounding (both operands are exact doubles: Clinger's fast path); anything else goes to
    /// `strtod`.
    mutating func number() throws -> Double {
        let start = position
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; position += 1 }
        guard let first = peek(), first >= 0x30 && first <= 0x39 else {
            position = start
            throw fail("expected a value (string, number, object, array, true, false or null), found \(describeNext())")
        }
        var mantissa: UInt64 = 0, digits = 0, exponent = 0
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        if first == 0x30 {
            position += 1
            if let b = peek(), isDigit(b) { throw fail("a number may not have a leading zero", at: start) }
        } else {
            while let b = peek(), isDigit(b) {
                if digits < 19 { mantissa = mantissa * 10 + UInt64(b - 0x30) } else { exponent += 1 }
                if mantissa != 0 { digits += 1 }
                position += 1
            }
        }
        if peek() == UInt8(ascii: ".") {
            position += 1
            guard let b = peek(), isDigit(b) else { throw fail("a number needs digits after its decimal point", at: start) }
            while let b = peek(), isDigit(b) {
                if digits < 19 {
                    mantissa = mantissa * 10 + UInt64(b - 0x30)
                    exponent -= 1
                    if mantissa != 0 { digits += 1 }
                }
                position += 1
            }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            position += 1
            var expNegative = false
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") {
                expNegative = s == UInt8(ascii: "-")
                position += 1
            }
            guard let b = peek(), isDigit(b) else { throw fail("a number needs digits in its exponent", at: start) }
            var e10 = 0
            while let b = peek(), isDigit(b) {
                if e10 < 100_000 { e10 = e10 * 10 + Int(b - 0x30) }
                position += 1
            }
            exponent += expNegative ? -e10 : e10
        }
        if digits <= 15 && abs(exponent) <= 22 {
            let m = Double(mantissa)
            let value = exponent < 0 ? m / Self.powersOfTen[-exponent] : m * Self.powersOfTen[exponent]
            return negative ? -value : value
        }
        return slowNumber(start..<position)
    }

    /// 10^0 ... 10^22, each exact (built by multiplying by 10, which stays exact up to 10^22).
    static let powersOfTen: [Double] = {
        var out: [Double] = [1]
        for _ in 1...22 { out.append(out[out.count - 1] * 10) }
        return out
    }()

    func slowNumber(_ range: Range<Int>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: range.count + 1) { buffer in
            for (i, b) in bytes[range].enumerated() { buffer[i] = CChar(bitPattern: b) }
            buffer[range.count] = 0
            guard let base = buffer.baseAddress else { return .nan }
            return strtod(base, nil)
        }
    }
}
