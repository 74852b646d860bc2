import Dispatch
import Kernel
import Testing

/// No input may crash the process: mutated scripts and hostile inputs must end in output or
/// diagnostics. (A crash here takes the test runner down, which fails the run.)
@Suite struct RobustnessTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(max(bound, 1)))
        }
    }

    static let pieces = ["(", ")", "[", "]", "{", "}", ",", ":", "=", "+", "-", "*", "**", "/", "//", "%", "@", "\"", "'",
                         "f\"{", "}\"", "\n", "fn", "for", "in", "while", "if", "else", "return", "break", "nil", "x", "0",
                         "-1", "1e308", "9223372036854775807", ".", "..", "#", "\\", "[::-1]", "[0:0]", "range(", "tensor(",
                         "zeros(", "svd(", "len(", "print(", "strategy", "import", ";", "not", "and", "or", "\u{1F600}", "é"]

    @Test func mutatedScriptsNeverCrash() {
        let sources = GoldenScript.all().filter { $0.name.contains("/language/") || $0.name.contains("/tensors/") }.map(\.source)
        var generator = Generator(state: 42)
        var runs = 0
        for source in sources {
            var chars = Array(source)
            for _ in 0..<40 {
                var mutated = chars
                for _ in 0..<(1 + generator.next(4)) {
                    guard !mutated.isEmpty else { break }
                    let at = generator.next(mutated.count)
                    switch generator.next(3) {
                    case 0: mutated.remove(at: at)
                    case 1: mutated.insert(contentsOf: Array(Self.pieces[generator.next(Self.pieces.count)]), at: at)
                    default: mutated.swapAt(at, generator.next(mutated.count))
                    }
                }
                run(String(mutated))
                runs += 1
                chars = generator.next(5) == 0 ? mutated : chars
            }
        }
        #expect(runs > 200)
    }

    @Test("hostile inputs end in diagnostics", arguments: [
        String(repeating: "(", count: 5000), String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000),
        String(repeating: "-", count: 5000) + "1", String(repeating: "not ", count: 5000) + "x",
        "x = " + Array(repeating: "1", count: 12_000).joined(separator: "+"),
        String(repeating: "if x {", count: 500), "f\"" + String(repeating: "{", count: 3000),
        "a = []\na.append(a)\nprint(a == a, str(a) != \"\")\ntensor(a)",
        "fn f(n) { return [f(n + 1)] }\nf(0)", "import \"/dev/null\"\nimport \"no-such-file.seed\"",
        "x = 10 ** 18 * 10", "print(range(0, -9223372036854775807 - 1, -1)[-1])", "zeros([100000, 100000])",
    ])
    func hostile(_ source: String) {
        run(source)
    }

    /// Runs `source`, interrupting it after 200 ms (a mutation may loop forever).
    func run(_ source: String) {
        let session = Session(host: Host(write: { _ in }))
        let cancellation = session.cancellation
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { cancellation.cancel() }
        _ = session.run(source, name: "fuzz.seed", options: .init(echo: true, continueAfterError: true))
        _ = Session.isComplete(source)
    }
}
