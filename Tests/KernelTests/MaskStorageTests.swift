@testable import Kernel
import Ops
import Testing

/// A mask kept in the store by a cell comes back a mask (not a float tensor of 0 and 1, which
/// would count as a float sum and could not index).
@Suite struct MaskStorageTests {
    @Test func aMaskRoundTripsThroughTheCellCodec() throws {
        let mask = TensorArithmetic.mask(Tensor(uncheckedShape: [3], data: [1, 0, 1]))
        let encoded = try #require(ValueCodec.encode(.tensor(mask)))
        #expect(encoded.1 == "m")
        let decoded = try ValueCodec.decode(encoded.0, descriptor: encoded.1)
        guard case let .tensor(t) = decoded else { Issue.record("decoded \(decoded.typeName)"); return }
        #expect(t.dtype == .bool && t.data == [1, 0, 1] && t.shape == [3])
        let plain = try #require(ValueCodec.encode(.tensor(Tensor(uncheckedShape: [1], data: [0.5]))))
        #expect(plain.1 == "t")
    }
}
