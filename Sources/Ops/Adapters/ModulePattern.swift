/// One `rank_pattern`/`alpha_pattern` entry. PEFT matches `(.*\.)?(KEY)$` from the start of the
/// module path, i.e. KEY must match a suffix of the path that starts at a dot boundary.
///
/// Keys come from configs downloaded with adapters, and Swift's regex engine backtracks: a key
/// such as `(a*)*b` takes exponential time on a 30-character module name (seconds at 20, hours at
/// 40). Keys whose shape invites that are refused before anything is matched (see `slowShape`).
public struct ModulePattern: @unchecked Sendable {
    // Regex is immutable once built; it is not marked Sendable by the standard library.
    public let pattern: String
    public let value: Double
    private let regex: Regex<AnyRegexOutput>

    /// More unbounded repetitions than this make matching polynomial of a high degree.
    static let maxUnboundedRepetitions = 4

    init(pattern: String, value: Double, path: String, key: String) throws {
        self.pattern = pattern
        self.value = value
        if let reason = ModulePattern.slowShape(pattern) {
            throw SeedloraError(path: path, "'\(key)' entry '\(pattern)' \(reason), which can take exponential time to match; seedlora refuses it")
        }
        do {
            regex = try Regex("(?:.*\\.)?(?:\(pattern))")
        } catch {
            throw SeedloraError(path: path, "'\(key)' entry '\(pattern)' is not a valid regular expression")
        }
    }

    public func matches(_ module: String) -> Bool {
        (try? regex.wholeMatch(in: module)) != nil
    }

    /// Why `pattern` could match slowly, or nil: a repeated group that itself contains a
    /// repetition or an alternation (`(a+)+`, `(a|aa)*`, `(.*x){2,}`), or more than
    /// `maxUnboundedRepetitions` unbounded repetitions (`*`, `+`, `{n,}`). PEFT's real keys
    /// (module names, `layers\.[0-9]+\..*q_proj`) have neither.
    static func slowShape(_ pattern: String) -> String? {
        let chars = Array(pattern)
        var groups: [Bool] = []  // per open group: contains a repetition or an alternation
        var unbounded = 0
        var i = 0
        while i < chars.count {
            // One atom: an escape, a character class, a group's end, or a character.
            var closedGroup: Bool?  // the closed group's flag, when the atom is a group
            switch chars[i] {
            case "\\":
                i += 2
            case "[":
                i += 1
                if i < chars.count && chars[i] == "^" { i += 1 }
                if i < chars.count && chars[i] == "]" { i += 1 }
                while i < chars.count && chars[i] != "]" { i += chars[i] == "\\" ? 2 : 1 }
                i += 1
            case "(":
                groups.append(false)
                i += 1
                continue
            case ")":
                closedGroup = groups.popLast() ?? false
                i += 1
            case "|":
                if !groups.isEmpty { groups[groups.count - 1] = true }
                i += 1
                continue
            default:
                i += 1
            }
            guard let (isUnbounded, repeatsMore, length) = repetition(chars, at: i) else { continue }
            if closedGroup == true && repeatsMore { return "repeats a group that itself repeats or alternates" }
            if isUnbounded { unbounded += 1 }
            if !groups.isEmpty { groups[groups.count - 1] = true }
            i += length
            if i < chars.count && (chars[i] == "?" || chars[i] == "+") { i += 1 }  // lazy or possessive
        }
        if unbounded > maxUnboundedRepetitions {
            return "has \(unbounded) unbounded repetitions (at most \(maxUnboundedRepetitions))"
        }
        return nil
    }

    /// The repetition operator at `j`, if any: whether it is unbounded, whether it allows more than
    /// one occurrence, and its length in characters.
    private static func repetition(_ chars: [Character], at j: Int) -> (unbounded: Bool, repeatsMore: Bool, length: Int)? {
        guard j < chars.count else { return nil }
        switch chars[j] {
        case "*", "+": return (true, true, 1)
        case "?": return (false, false, 1)
        case "{":
            guard let close = chars[j...].firstIndex(of: "}") else { return nil }
            let parts = String(chars[(j + 1)..<close]).split(separator: ",", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let low = parts.first, !low.isEmpty,
                  parts.allSatisfy({ $0.allSatisfy { $0 >= "0" && $0 <= "9" } }) else { return nil }  // a literal brace
            let upper = parts.count == 2 ? parts[1] : low
            let isUnbounded = upper.isEmpty
            return (isUnbounded, isUnbounded || upper.count > 1 || (upper.first ?? "0") > "1", close - j + 1)
        default: return nil
        }
    }
}
