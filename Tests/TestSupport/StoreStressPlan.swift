import Ops

/// The commits of the store's kill test. Commit `n` is a pure function of `n`, so a checker can
/// recompute what every committed cell and every latest name must hold, bit for bit.
public enum StoreStressPlan {
    /// Commits cycle through this many cells, so later commits replace earlier ones.
    public static let cellCount = 7

    public static func cell(_ n: Int) -> CellRecord {
        let index = n % cellCount
        return CellRecord(index: index, title: "cell \(index) — σ", sourceHash: "source-\(n)",
                          inputHashes: ["adapter": "sha256:\(n)", "x": "h\(n % 3)"],
                          parameters: .object([("n", .number(Double(n))), ("rank", .number(8))]),
                          scriptPath: "scripts/stress.seed")
    }

    /// Every third commit carries a 256 KiB tensor (chunked and compressed), so kills land inside writes.
    public static func values(_ n: Int) -> [(String, StoreValue)] {
        var state = UInt64(n) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let index = n % cellCount
        let shape = n % 3 == 0 ? [256, 256] : [8, 8]
        let count = shape.reduce(1, *)
        // xorshift in a plain loop: the test builds are unoptimised, and this runs for every commit.
        var bits = next() | 1
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialised in
            for i in 0..<count {
                bits ^= bits << 13
                bits ^= bits >> 7
                bits ^= bits << 17
                buffer[i] = Float(Int(bits % 2001) - 1000) / 7
            }
            initialised = count
        }
        let rows = n % 5
        let table = try? StoreTable([
            ("step", .integers((0..<rows).map { Int64(n * 10 + $0) })),
            ("loss", .numbers((0..<rows).map { _ in Double(next() % 1_000_000) / 1e6 })),
            ("label", .strings((0..<rows).map { "row \($0) of \(n) — ✓" })),
        ])
        return [
            ("counter", .integer(Int64(n))),
            ("cell\(index)/weights", .tensor(Tensor(uncheckedShape: shape, data: data), dimensions: ["row", "column"])),
            ("cell\(index)/table", table.map(StoreValue.table) ?? .list([])),
            ("cell\(index)/notes", .list([.string("commit \(n) ✓"), .number(Double(n) / 3), .bool(n % 2 == 0),
                                          .list([.integer(Int64(n)), .list([])])])),
            ("shared/last_cell", .integer(Int64(index))),
        ]
    }
}
