import Ops

/// The points of a parameter sweep: one axis per swept parameter, every combination of their
/// values (the first axis varies slowest, like nested loops in the order given).
///
/// Values stay text, exactly as a single merge would get them from `--param name=value`, so a
/// sweep point is resolved by the same parser and gets the same numbers bit for bit.
public struct SweepGrid: Sendable {
    public struct Axis: Sendable {
        public let name: String
        public let values: [String]

        public init(name: String, values: [String]) {
            self.name = name
            self.values = values
        }
    }

    /// At most this many points: a typo such as `0:100:0.0001` is refused, not run for hours.
    public static let maximumPoints = 10_000

    public let axes: [Axis]

    /// Checks the axes: a name once, at least one value each, a bounded number of points.
    public init(axes: [Axis]) throws {
        var seen = Set<String>()
        for axis in axes {
            guard seen.insert(axis.name).inserted else {
                throw SeedloraError(.usage, "--sweep \(axis.name) is given twice; give one list or range per parameter")
            }
            guard !axis.values.isEmpty else { throw SeedloraError(.usage, "--sweep \(axis.name) has no values") }
            for value in axis.values where value.isEmpty || value.contains("/") {
                throw SeedloraError(.usage, "--sweep \(axis.name): value '\(value)' must be non-empty and contain no '/' (it names a directory)")
            }
        }
        let count = axes.reduce(1) { $0.multipliedReportingOverflow(by: $1.values.count).partialValue }
        guard count <= Self.maximumPoints else {
            throw SeedloraError(.usage, "--sweep gives \(count) points; at most \(Self.maximumPoints) are allowed")
        }
        self.axes = axes
    }

    /// The axes of `--sweep name=spec` options (see `SweepGrid.parseAxis`).
    public init(options: [String]) throws {
        try self.init(axes: Assignment.parseAll(options, option: "--sweep").map { try Self.axis($0) })
    }

    public var names: [String] { axes.map(\.name) }

    /// Every point as `(name, value)` pairs in axis order.
    public var points: [[(String, String)]] {
        Self.indices(axes.map(\.values.count)).map { coordinates in
            zip(axes, coordinates).map { ($0.name, $0.values[$1]) }
        }
    }

    /// Every combination of one index per axis (`counts[i]` values on axis i), the first axis
    /// varying slowest: the order of `points`.
    public static func indices(_ counts: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for count in counts {
            result = result.flatMap { prefix in (0..<count).map { prefix + [$0] } }
        }
        return result
    }

    /// The directory of a point: `name=value[,name=value...]`.
    public static func directoryName(_ point: [(String, String)]) -> String {
        point.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
    }

    /// Parses `name=spec`. `spec` is `start:stop:step` (stop included when the steps reach it up
    /// to rounding), a comma list `a,b,c`, or, for per-input parameters such as `weights`, a list
    /// of points separated by `;` (`1,1,2;1,2,1`).
    public static func parseAxis(_ option: String) throws -> Axis {
        try axis(Assignment(parsing: option, option: "--sweep"))
    }

    /// The values of one parsed `--sweep` setting.
    static func axis(_ assignment: Assignment) throws -> Axis {
        let name = assignment.name
        let spec = assignment.value.trimmingWhitespace()
        guard !spec.isEmpty else { throw SeedloraError(.usage, "--sweep \(name)= has no values") }
        if spec.contains(":") { return Axis(name: name, values: try range(spec, name: name)) }
        let separator: Character = spec.contains(";") ? ";" : ","
        let values = spec.split(separator: separator, omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard !values.contains(where: \.isEmpty) else {
            throw SeedloraError(.usage, "--sweep \(name)=\(spec): empty value in the list")
        }
        return Axis(name: name, values: values)
    }

    /// `start:stop:step` as decimal texts. Point i is `start + i * step`, printed with as many
    /// decimals as the three numbers were written with, so `0.1:0.3:0.1` gives `0.1, 0.2, 0.3`
    /// (not `0.30000000000000004`) and the stop is kept despite binary rounding of the step.
    static func range(_ spec: String, name: String) throws -> [String] {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        func bad(_ why: String) -> SeedloraError {
            SeedloraError(.usage, "--sweep \(name)=\(spec): \(why) (expected start:stop:step, e.g. 0.25:2:0.25)")
        }
        guard parts.count == 3 else { throw bad("a range has three numbers") }
        let numbers = try parts.map { text -> Double in
            guard let x = Double(text), x.isFinite else { throw bad("'\(text)' is not a number") }
            return x
        }
        let (start, stop, step) = (numbers[0], numbers[1], numbers[2])
        guard step != 0 else { throw bad("the step is 0") }
        guard (stop - start) * step >= 0 else { throw bad("the step goes away from the stop") }
        let steps = (stop - start) / step
        // Tolerate the rounding of decimal steps in binary: 2 / 0.1 may be 19.999999999999996.
        let count = Int((steps + 1e-9 * max(1, abs(steps))).rounded(.down)) + 1
        guard count <= maximumPoints else { throw bad("\(count) values; at most \(maximumPoints)") }
        let decimals = parts.map(decimalPlaces).max() ?? 0
        return (0..<count).map { format(start + Double($0) * step, decimals: decimals) }
    }

    /// Digits after the point in a number as written; nil-like large value for exponent notation.
    static func decimalPlaces(_ text: String) -> Int {
        let lower = text.lowercased()
        if let e = lower.firstIndex(of: "e") {
            let mantissa = decimalPlaces(String(lower[..<e]))
            let exponent = Int(lower[lower.index(after: e)...]) ?? 0
            return min(17, max(0, mantissa - exponent))
        }
        guard let dot = text.firstIndex(of: ".") else { return 0 }
        return text.distance(from: text.index(after: dot), to: text.endIndex)
    }

    /// `x` rounded to `decimals` places, without trailing zeros (`1.50` is `1.5`, `2.0` is `2`).
    static func format(_ x: Double, decimals: Int) -> String {
        var text = fixed(x, decimals: decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        if text == "-0" { text = "0" }
        return text
    }

    /// Fixed-point decimal text (no Foundation in the engine).
    private static func fixed(_ x: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e15 else { return "\(x)" }
        let whole = Int64(scaled)
        var digits = String(whole)
        if decimals > 0 {
            if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
        }
        return (x < 0 ? "-" : "") + digits
    }
}
