internal import CKernels

/// A dense, row-major Float32 tensor with value semantics (copy-on-write through Array).
///
/// Float32 is the working type of the factors: it is what adapters are trained and stored in (or
/// wider than bf16/f16), and BLAS is fastest on it. Statistics that need more precision are taken in
/// Float64 by the routines that compute them.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]
    /// What the elements mean: `.f32` numbers, or `.bool` truth values stored as 0 and 1 (what
    /// a comparison in Seed makes: a mask that prints as true/false and selects when indexing).
    public var dtype: DType = .f32

    /// Creates a tensor; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) throws {
        let count = try Tensor.elementCount(shape)
        guard count == data.count else {
            throw SeedloraError("tensor data has \(data.count) elements but shape \(shape) needs \(count)")
        }
        self.shape = shape
        self.data = data
    }

    /// For callers that built `data` for `shape` themselves (a mismatch is a programming error).
    public init(uncheckedShape shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "tensor data does not match its shape")
        self.shape = shape
        self.data = data
    }

    public static func zeros(_ shape: [Int]) throws -> Tensor {
        Tensor(uncheckedShape: shape, data: [Float](repeating: 0, count: try elementCount(shape)))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    /// Rows and columns of a 2-D tensor (a 1-D tensor is one row).
    public var rows: Int { shape.count >= 2 ? shape[0] : 1 }
    public var cols: Int { shape.last ?? 1 }

    /// The product of the dimensions, refusing negative sizes and overflow.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else { throw SeedloraError("negative dimension in shape \(shape)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw SeedloraError("shape \(shape) has too many elements") }
            count = product
        }
        return count
    }

    /// The element count of `shape`, refused above `limit`: the hook for the interpreter's
    /// tensor-size limit (`zeros([10^6, 10^6])` must be an error with a message, not an allocation
    /// that kills the session; see docs/hardening.md).
    public static func elementCount(_ shape: [Int], limit: Int) throws -> Int {
        let count = try elementCount(shape)
        guard count <= limit else {
            let (bytes, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            let size = overflow ? "more than 9 EB" : "\(bytes / (1 << 20)) MiB"
            throw SeedloraError("shape \(shape) has \(count) elements (\(size) as float32), more than the limit of \(limit) elements")
        }
        return count
    }

    /// The transpose of a 2-D tensor (a copy).
    public func transposed() -> Tensor {
        let r = rows, c = cols
        var out = [Float](repeating: 0, count: data.count)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // Blocked so both sides stay in cache on large matrices.
                let block = 32
                for i0 in stride(from: 0, to: r, by: block) {
                    for j0 in stride(from: 0, to: c, by: block) {
                        for i in i0..<min(i0 + block, r) {
                            for j in j0..<min(j0 + block, c) { dst[j * r + i] = src[i * c + j] }
                        }
                    }
                }
            }
        }
        return Tensor(uncheckedShape: [c, r], data: out)
    }

    /// Index of the first non-finite element, if any.
    public func firstNonFinite() -> Int? {
        data.withUnsafeBufferPointer { buf in
            // Fast screen: x * 0 is NaN exactly when x is NaN or infinite; SIMD lanes keep it vectorised.
            var acc = SIMD16<Float>(repeating: 0)
            let wide = buf.count / 16 * 16
            if let base = buf.baseAddress {
                let raw = UnsafeRawPointer(base)
                for i in stride(from: 0, to: wide, by: 16) {
                    acc += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 0
                }
            }
            var clean = true
            for lane in 0..<16 where acc[lane].isNaN { clean = false }
            for i in wide..<buf.count where !buf[i].isFinite { clean = false }
            if clean { return nil }
            for i in 0..<buf.count where !buf[i].isFinite { return i }
            return nil
        }
    }
}

extension Tensor {
    /// Whether any element is NaN or infinite (one vectorised pass; `firstNonFinite` when the
    /// index matters).
    public var hasNonFinite: Bool {
        data.withUnsafeBufferPointer { seedlora_has_nonfinite($0.baseAddress, $0.count) != 0 }
    }

    /// Calls `body` with the base address of every tensor's data (for C kernels that take a
    /// list of matrices).
    public static func withDataPointers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>?]) -> R) -> R {
        func nest(_ i: Int, _ pointers: [UnsafePointer<Float>?]) -> R {
            guard i < tensors.count else { return body(pointers) }
            return tensors[i].data.withUnsafeBufferPointer { nest(i + 1, pointers + [$0.baseAddress]) }
        }
        return nest(0, [])
    }
}
