import Ops
import Testing

/// The tensor-size hook the interpreter's resource limits build on.
struct TensorLimitTests {
    @Test func aShapeOverTheLimitIsAnErrorNotAnAllocation() throws {
        #expect(try Tensor.elementCount([1000, 1000], limit: 1 << 20) == 1_000_000)
        let error = #expect(throws: SeedloraError.self) { try Tensor.elementCount([1_000_000, 1_000_000], limit: 1 << 28) }
        #expect(error?.message == "shape [1000000, 1000000] has 1000000000000 elements (3814697 MiB as float32), more than the limit of 268435456 elements")
        #expect(throws: SeedloraError.self) { try Tensor.elementCount([Int.max, 2], limit: 1 << 28) }
        #expect(throws: SeedloraError.self) { try Tensor.elementCount([-1, 2], limit: 1 << 28) }
    }
}
