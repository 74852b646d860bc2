@testable import Plugins
import Testing

/// Radix selection against sorting, on keys with many duplicates.
struct RankSelectionTests {
    @Test(arguments: [1, 2, 7, 100, 5000])
    func boundaryMatchesSort(_ n: Int) {
        var state: UInt64 = 12345
        let keys = (0..<n).map { _ -> UInt32 in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return UInt32(truncatingIfNeeded: state >> 20) % UInt32(max(1, n / 3)) &* 2_654_435_761
        }
        let descending = keys.sorted(by: >)
        keys.withUnsafeBufferPointer { buffer in
            for rank in Set([0, 1, n / 2, n - 1, n / 3, n]) {
                let boundary = RankSelection.boundary(rank: rank, keys: StoredKeys(keys: buffer))
                if rank == 0 { #expect(boundary == .nothing); continue }
                if rank >= n { #expect(boundary == .everything); continue }
                let value = descending[rank - 1]
                let greater = keys.filter { $0 > value }.count
                #expect(boundary == .threshold(key: value, equalKept: rank - greater), "n \(n) rank \(rank)")
            }
        }
    }

    @Test func sixtyFourBitKeys() {
        let keys: [UInt64] = [5, 1 << 63, 3, 1 << 40, 3, 0, 1 << 40]
        keys.withUnsafeBufferPointer { buffer in
            #expect(RankSelection.boundary(rank: 3, keys: StoredKeys(keys: buffer)) == .threshold(key: 1 << 40, equalKept: 2))
            #expect(RankSelection.boundary(rank: 5, keys: StoredKeys(keys: buffer)) == .threshold(key: 3, equalKept: 1))
        }
    }

    @Test func nanRanksAboveInfinity() {
        #expect(RankSelection.magnitudeKey(.nan) > RankSelection.magnitudeKey(.infinity))
        #expect(RankSelection.magnitudeKey(-0.0) == RankSelection.magnitudeKey(0))
        #expect(RankSelection.magnitudeKey(-2) > RankSelection.magnitudeKey(1.5))
    }
}
