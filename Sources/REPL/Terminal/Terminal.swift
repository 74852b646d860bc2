import Foundation

/// Output helpers: results go to stdout, human summaries and errors to stderr.
enum Terminal {
    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func error(_ text: String) {
        printError("seedlora: error: \(text)")
    }

    static func exit(_ code: Int32) -> Never {
        Foundation.exit(code)
    }

    /// A byte count as "204.8 KB", "1.2 GB".
    static func bytes(_ n: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(n)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// A number with `digits` significant digits, compact (%g).
    static func number(_ x: Double, digits: Int = 4) -> String {
        String(format: "%.\(digits)g", x)
    }

    static func percent(_ x: Double) -> String {
        String(format: "%.2f %%", x * 100)
    }

    /// Left-aligned columns, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    /// A progress callback that redraws "k/n label" on stderr when stderr is a terminal
    /// (nothing otherwise, so logs and pipes stay clean).
    static func progressReporter(label: String) -> (@Sendable (Int, Int) -> Void)? {
        guard isatty(2) != 0 else { return nil }
        return { done, total in
            FileHandle.standardError.write(Data("\r  \(done)/\(total) \(label)".utf8))
        }
    }

    /// Clears a progress line, if one was drawn.
    static func endProgress() {
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// This process's peak resident memory in bytes (VmHWM of /proc/self/status), nil elsewhere.
    /// Unlike wait4's ru_maxrss it starts counting at exec, so a large parent does not leak in.
    static func peakMemory() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return digits.map { $0 * 1024 }
        }
        return nil
    }

    /// Seconds since an arbitrary start, for timing summaries.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

