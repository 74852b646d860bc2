/// Turns the lines of a samples file into rows of `SampleColumns`, fast: a million lines share
/// the same dozen keys, so keys are matched as bytes against the fields seen before (no `String`
/// and no hashing per key), and a text value equal to the column's previous one reuses it.
struct SampleLineParser {
    var columns = SampleColumns()
    var filtersSeen = Set<String>()

    /// A key seen before: its bytes, the object it belongs to (-1: the line itself; else the
    /// field index of the enclosing object, `doc` or deeper) and its column once it has one.
    struct Field {
        let parent: Int
        let key: [UInt8]
        let name: String
        var column: Int?
        /// For top-level fields: whether the key is a metric under `metricsGeneration`.
        var isMetric = false
        var metricsGeneration = -1
    }

    private var fields: [Field] = []
    private var guess = 0

    /// The last `metrics` list (its raw bytes, so an identical list is not parsed again).
    private var metricsBytes: [UInt8] = []
    private var metricNames: Set<String>?
    private var metricsGeneration = 0

    /// Scalars of the current line, until it is known whether the line is kept and which
    /// top-level fields are metrics.
    enum Pending {
        case number(Double)
        case text(Range<Int>, plain: Bool)
        case null
    }
    private var pending: [(field: Int, value: Pending)] = []

    private let docKey = Array("doc".utf8), docIDKey = Array("doc_id".utf8), metricsKey = Array("metrics".utf8)
    private let filterKey = Array("filter".utf8), targetKey = Array("target".utf8)
    private var filterColumn: Int?, taskColumn: Int?, docIDColumn: Int?
    private var lastFilter: (bytes: [UInt8], text: String)?

    // MARK: fields

    /// The index of the field `key` (bytes of the line) under `parent`.
    private mutating func field(_ scanner: inout JSONLineScanner, parent: Int) throws -> Int {
        let span = try scanner.stringSpan()
        if span.plain {
            if guess < fields.count, fields[guess].parent == parent, scanner.bytesEqual(span.range, fields[guess].key) {
                defer { guess += 1 }
                return guess
            }
            for (i, f) in fields.enumerated() where f.parent == parent && scanner.bytesEqual(span.range, f.key) {
                guess = i + 1
                return i
            }
            return addField(parent: parent, key: Array(UnsafeRawBufferPointer(rebasing: scanner.bytes[span.range])),
                            text: scanner.plainText(span.range))
        }
        // A key with escapes or non-ASCII text: decode it, then match its UTF-8.
        var copy = scanner
        copy.position = span.range.lowerBound - 1
        let text = try copy.string()
        let key = Array(text.utf8)
        if let i = fields.indices.first(where: { fields[$0].parent == parent && fields[$0].key == key }) { return i }
        return addField(parent: parent, key: key, text: text)
    }

    private mutating func addField(parent: Int, key: [UInt8], text: String) -> Int {
        let name = parent < 0 ? text : fields[parent].name + "." + text
        fields.append(Field(parent: parent, key: key, name: name))
        guess = fields.count
        return fields.count - 1
    }

    private mutating func column(of field: Int) -> Int {
        if let c = fields[field].column { return c }
        let c = columns.index(of: fields[field].name)
        fields[field].column = c
        return c
    }

    // MARK: lines

    /// Parses one line (without its newline); a blank line is skipped.
    mutating func parse(_ bytes: UnsafeRawBufferPointer, task: String?, filter: String?) throws {
        var scanner = JSONLineScanner(bytes)
        scanner.skipWhitespace()
        if scanner.atEnd { return }
        pending.removeAll(keepingCapacity: true)
        var docID: Double?
        var lineFilter: Range<Int>?
        var sawMetrics = false
        guess = 0
        try scanner.object(depth: 0, keyReader: { scanner in
            try field(&scanner, parent: -1)
        }, member: { scanner, f in
            let key = fields[f].key
            if key == docIDKey {
                guard case let .number(x)? = try scanner.scalarOrSkip() else { throw scanner.fail("doc_id must be a number") }
                docID = x
            } else if key == docKey {
                try flatten(&scanner, parent: f, depth: 1)
            } else if key == metricsKey {
                sawMetrics = true
                try readMetrics(&scanner)
            } else if key == filterKey {
                scanner.skipWhitespace()
                if scanner.peek() == UInt8(ascii: "\"") {
                    let span = try scanner.stringSpan()
                    lineFilter = span.range
                    if !span.plain { throw scanner.fail("a filter name must be plain ASCII text") }
                } else {
                    try scanner.skipValue()
                }
            } else {
                try scalar(&scanner, field: f, depth: 1)
            }
        })
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.fail("text after the JSON object (one object per line)") }
        guard let docID else { throw JSONLineScanner.Failure(offset: 0, message: "no doc_id (every samples line has one)") }
        if !sawMetrics { metricNames = nil; metricsBytes = [] }

        var filterText: String?
        if let range = lineFilter {
            if let last = lastFilter, scanner.bytesEqual(range, last.bytes) {
                filterText = last.text
            } else {
                let text = scanner.plainText(range)
                lastFilter = (Array(text.utf8), text)
                filtersSeen.insert(text)
                filterText = text
            }
        }
        if let filter, filterText != filter { return }

        if let task {
            let c = taskColumn ?? columns.index(of: "task")
            taskColumn = c
            try columns.set(c, text: task)
        }
        let idColumn = docIDColumn ?? columns.index(of: "doc_id")
        docIDColumn = idColumn
        try columns.set(idColumn, number: docID)
        if let filterText {
            let c = filterColumn ?? columns.index(of: "filter")
            filterColumn = c
            try columns.set(c, text: filterText)
        }
        for (f, value) in pending {
            if fields[f].parent < 0 && !isMetric(f) { continue }
            let c = column(of: f)
            switch value {
            case let .number(x): try columns.set(c, number: x)
            case .null: try columns.setNull(c)
            case let .text(range, plain):
                if plain, columns.lastTextMatches(c, { scanner.bytesEqual(range, $0) }) {
                    try columns.repeatLastText(c)
                } else {
                    var copy = scanner
                    copy.position = range.lowerBound - 1
                    try columns.set(c, text: plain ? scanner.plainText(range) : try copy.string())
                }
            }
        }
        columns.endRow()
    }

    /// Whether top-level field `f` is a metric: named in the line's `metrics` list, or without
    /// one, any number or boolean but `target`.
    private mutating func isMetric(_ f: Int) -> Bool {
        if fields[f].metricsGeneration == metricsGeneration { return fields[f].isMetric }
        let yes = metricNames.map { $0.contains(fields[f].name) } ?? (fields[f].key != targetKey)
        fields[f].isMetric = yes
        fields[f].metricsGeneration = metricsGeneration
        return yes
    }

    private mutating func readMetrics(_ scanner: inout JSONLineScanner) throws {
        scanner.skipWhitespace()
        let start = scanner.position
        var probe = scanner
        try probe.skipValue()
        let range = start..<probe.position
        if metricNames != nil, scanner.bytesEqual(range, metricsBytes) {
            scanner.position = probe.position
            return
        }
        let names = try scanner.stringArrayOrSkip()
        metricNames = names.map(Set.init) ?? []
        metricsBytes = Array(UnsafeRawBufferPointer(rebasing: scanner.bytes[range]))
        metricsGeneration += 1
    }

    /// A scalar of field `f` into `pending`; arrays and objects are skipped.
    private mutating func scalar(_ scanner: inout JSONLineScanner, field f: Int, depth: Int) throws {
        scanner.skipWhitespace()
        switch scanner.peek() {
        case UInt8(ascii: "\""):
            let span = try scanner.stringSpan()
            if fields[f].parent >= 0 { pending.append((f, .text(span.range, plain: span.plain))) }
        case UInt8(ascii: "t"): try scanner.literal("true"); pending.append((f, .number(1)))
        case UInt8(ascii: "f"): try scanner.literal("false"); pending.append((f, .number(0)))
        case UInt8(ascii: "n"): try scanner.literal("null"); pending.append((f, .null))
        case UInt8(ascii: "["), UInt8(ascii: "{"): try scanner.skipValue(depth: depth)
        default: pending.append((f, .number(try scanner.number())))
        }
    }

    /// The scalar fields of an object under field `parent`, nested objects flattened; a
    /// non-object value is skipped.
    private mutating func flatten(_ scanner: inout JSONLineScanner, parent: Int, depth: Int) throws {
        scanner.skipWhitespace()
        guard scanner.peek() == UInt8(ascii: "{") else {
            try scanner.skipValue(depth: depth)
            return
        }
        let outerGuess = guess
        try scanner.object(depth: depth, keyReader: { scanner in
            try field(&scanner, parent: parent)
        }, member: { scanner, f in
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "{") {
                try flatten(&scanner, parent: f, depth: depth + 1)
            } else {
                try scalar(&scanner, field: f, depth: depth + 1)
            }
        })
        guess = max(guess, outerGuess)
    }
}
