/// Python's format-spec mini-language for f-strings: `[[fill]align][sign][0][width][,][.precision][type]`
/// with types `f e g d s %` (and none). `f"{x:.4f}"`, `f"{n:>6d}"`, `f"{p:.1%}"`, `f"{s:<10}"`.
enum Format {
    struct Spec {
        var fill: Character = " "
        var align: Character?
        var sign: Character = "-"
        var zeroPad = false
        var width = 0
        var grouping = false
        var precision: Int?
        var type: Character?
    }

    static func parse(_ text: String) throws -> Spec {
        var spec = Spec()
        var chars = Array(text)[...]
        let aligns: Set<Character> = ["<", ">", "^", "="]
        if chars.count >= 2, aligns.contains(chars[chars.startIndex + 1]) {
            spec.fill = chars[chars.startIndex]
            spec.align = chars[chars.startIndex + 1]
            chars = chars.dropFirst(2)
        } else if let c = chars.first, aligns.contains(c) {
            spec.align = c
            chars = chars.dropFirst()
        }
        if let c = chars.first, c == "+" || c == "-" || c == " " { spec.sign = c; chars = chars.dropFirst() }
        if chars.first == "0" { spec.zeroPad = true; chars = chars.dropFirst() }
        var digits = ""
        while let c = chars.first, c.isASCII, c.isNumber { digits.append(c); chars = chars.dropFirst() }
        if !digits.isEmpty { spec.width = min(Int(digits) ?? 0, 1000) }
        if chars.first == "," { spec.grouping = true; chars = chars.dropFirst() }
        if chars.first == "." {
            chars = chars.dropFirst()
            var p = ""
            while let c = chars.first, c.isASCII, c.isNumber { p.append(c); chars = chars.dropFirst() }
            guard !p.isEmpty, let n = Int(p), n <= 100 else { throw BuiltinError("invalid format spec '\(text)': expected digits after '.'") }
            spec.precision = n
        }
        if let c = chars.first, "fFeEgGdsx%".contains(c) { spec.type = c; chars = chars.dropFirst() }
        guard chars.isEmpty else { throw BuiltinError("invalid format spec '\(text)' (expected e.g. '.4f', '>8', '.2%', 'd')") }
        return spec
    }

    static func apply(spec text: String, to value: Value) throws -> String {
        let spec = try parse(text)
        var body: String
        var numeric = true
        switch (value, spec.type) {
        case (.string, nil), (.string, "s"):
            body = Printer.str(value)
            if let p = spec.precision { body = String(body.prefix(p)) }
            numeric = false
        case let (.int(i), nil), let (.int(i), "d"):
            body = sign(String(abs(i)), negative: i < 0, spec)
            if spec.grouping { body = group(body) }
        case let (.int(i), "x"):
            body = String(i, radix: 16)
        case (_, "d"):
            throw BuiltinError("format code 'd' needs an int, got \(value.typeNameWithArticle)")
        case (_, "s"):
            body = Printer.str(value)
            numeric = false
        default:
            guard let x = value.asDouble ?? scalar(value) else {
                guard spec.type == nil else {
                    throw BuiltinError("format '\(text)' needs a number, got \(value.typeNameWithArticle)")
                }
                body = Printer.str(value)
                numeric = false
                break
            }
            body = try real(x, spec)
        }
        return pad(body, spec, numeric: numeric)
    }

    static func scalar(_ value: Value) -> Double? {
        if case let .tensor(t) = value, t.count == 1, let x = t.data.first { return Double(x) }
        return nil
    }

    static func real(_ x: Double, _ spec: Spec) throws -> String {
        let p = spec.precision
        var text: String
        switch spec.type {
        case "f", "F": text = cFormat("%.\(p ?? 6)f", abs(x))
        case "e", "E": text = cFormat("%.\(p ?? 6)e", abs(x))
        case "g", "G": text = cFormat("%.\(p ?? 6)g", abs(x))
        case "%": text = cFormat("%.\(p ?? 6)f", abs(x) * 100) + "%"
        default: text = p.map { cFormat("%.\($0)g", abs(x)) } ?? Printer.float(abs(x))
        }
        if spec.type == "E" || spec.type == "G" { text = text.uppercased() }
        if spec.grouping, let dot = text.firstIndex(where: { $0 == "." || $0 == "e" }) {
            text = group(String(text[..<dot])) + String(text[dot...])
        } else if spec.grouping {
            text = group(text)
        }
        return sign(text, negative: x < 0 || (x == 0 && x.sign == .minus && false), spec)
    }

    static func sign(_ digits: String, negative: Bool, _ spec: Spec) -> String {
        if negative { return "-" + digits }
        switch spec.sign {
        case "+": return "+" + digits
        case " ": return " " + digits
        default: return digits
        }
    }

    static func group(_ digits: String) -> String {
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func pad(_ body: String, _ spec: Spec, numeric: Bool) -> String {
        let missing = spec.width - body.count
        guard missing > 0 else { return body }
        if spec.zeroPad && spec.align == nil && numeric {
            let signed = body.first == "-" || body.first == "+" || body.first == " "
            let head = signed ? String(body.prefix(1)) : ""
            return head + String(repeating: "0", count: missing) + body.dropFirst(signed ? 1 : 0)
        }
        let fill = String(spec.fill)
        switch spec.align ?? (numeric ? ">" : "<") {
        case "<": return body + String(repeating: fill, count: missing)
        case "^":
            let left = missing / 2
            return String(repeating: fill, count: left) + body + String(repeating: fill, count: missing - left)
        default: return String(repeating: fill, count: missing) + body
        }
    }
}
