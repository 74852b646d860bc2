import Ops

/// The generic scale knob `lambda`: the one final multiplier every merge method shares.
///
/// A strategy computes its result without `lambda`; the registry wraps every configured strategy
/// (`LambdaScaledFactored`, `LambdaScaledDense`, `LambdaScaledMerger`) so that
/// `MergeScale.apply(lambda:to:)` multiplies the result exactly once, after the method. Nothing
/// inside a method depends on `lambda`, so a sweep computes the lambda-free result once and
/// applies each value with the same function.
public enum MergeScale {
    /// The `lambda` declaration every strategy lists.
    public static let parameter = ParameterSpec(
        "lambda", .real(-1e6...1e6), default: .real(1),
        doc: "final multiplier of the merged delta, applied once after the method")

    /// `lambda` from resolved parameters (1 when the strategy does not declare it).
    public static func lambda(_ parameters: ResolvedParameters) -> Double {
        if case let .real(x)? = parameters.values["lambda"] { return x }
        return 1
    }

    /// Multiplies a factored merge result by `lambda`: every Float entry of `B` becomes
    /// `Float(Double(b) * lambda)` (one rounding); `A` and `scale` are kept.
    ///
    /// Bit-identity contract: for the same lambda-free result `r`, `apply(lambda: x, to: r)` is a
    /// pure function of `r`'s bits and `x`, so a sweep that computes `r` once and calls this per
    /// point gets exactly the bits of single merges with `lambda = x`. `lambda = 1` returns `r`
    /// unchanged (bit for bit). NaN and inf propagate (0 * inf is NaN), never become 0.
    public static func apply(lambda: Double, to delta: LowRank) -> LowRank {
        guard lambda != 1 else { return delta }
        return LowRank(uncheckedB: scaled(delta.b, lambda), a: delta.a, scale: delta.scale)
    }

    /// Multiplies a dense merge result (`out x in` delta) by `lambda`, entry by entry as
    /// `Float(Double(x) * lambda)`. The same bit-identity contract as the factored form.
    public static func apply(lambda: Double, to delta: Tensor) -> Tensor {
        guard lambda != 1 else { return delta }
        return scaled(delta, lambda)
    }

    /// Every module of a factored result (see `apply(lambda:to:)` for a single one).
    public static func apply(lambda: Double, to deltas: [LowRank]) -> [LowRank] {
        guard lambda != 1 else { return deltas }
        return deltas.map { apply(lambda: lambda, to: $0) }
    }

    private static func scaled(_ tensor: Tensor, _ lambda: Double) -> Tensor {
        let source = tensor.data
        let data = [Float](unsafeUninitializedCapacity: source.count) { out, initialized in
            source.withUnsafeBufferPointer { x in
                for i in 0..<x.count { out[i] = Float(Double(x[i]) * lambda) }
            }
            initialized = source.count
        }
        return Tensor(uncheckedShape: tensor.shape, data: data)
    }
}

/// A configured strategy whose result `MergeScale` multiplies by `lambda`; `unscaled` is the same
/// strategy without the multiplier (what a lambda sweep runs once).
public protocol LambdaScaled: Sendable {
    var lambda: Double { get }
    var unscaled: ConfiguredStrategy { get }
}

extension ConfiguredStrategy {
    /// This strategy without its final `lambda` multiplier, and that `lambda` (1 when none).
    /// A sweep runs `strategy` once and calls `MergeScale.apply(lambda:to:)` per point.
    public var withoutLambda: (strategy: ConfiguredStrategy, lambda: Double) {
        let payload: Any
        switch self {
        case let .factored(s): payload = s
        case let .dense(s): payload = s
        case let .denseMerger(s): payload = s
        }
        if let scaled = payload as? any LambdaScaled { return (scaled.unscaled, scaled.lambda) }
        return (self, 1)
    }
}

/// A factored strategy followed by the final `lambda` multiplier.
public struct LambdaScaledFactored: FactoredMerger, LambdaScaled {
    public let inner: any FactoredMerger
    public let lambda: Double

    public init(inner: any FactoredMerger, lambda: Double) {
        self.inner = inner
        self.lambda = lambda
    }

    public var unscaled: ConfiguredStrategy { .factored(inner) }

    public func merge(_ input: MergeInput, cancellation: Cancellation) throws -> [LowRank] {
        MergeScale.apply(lambda: lambda, to: try inner.merge(input, cancellation: cancellation))
    }

    public func denseEquivalent() -> (any DenseModuleMerger)? {
        inner.denseEquivalent().map { LambdaScaledMerger(inner: $0, lambda: lambda) }
    }
}

/// A dense strategy followed by the final `lambda` multiplier.
public struct LambdaScaledDense<S: DenseMergeStrategy>: DenseMergeStrategy, LambdaScaled {
    public static var info: StrategyInfo { S.info }
    public let inner: S
    public let lambda: Double

    public init(parameters: ResolvedParameters, inputCount: Int, seed: UInt64) throws {
        inner = try S(parameters: parameters, inputCount: inputCount, seed: seed)
        lambda = MergeScale.lambda(parameters)
    }

    public var unscaled: ConfiguredStrategy { .dense(inner) }

    public func merge(_ module: DenseModule) throws -> Tensor {
        MergeScale.apply(lambda: lambda, to: try inner.merge(module))
    }

    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? {
        try inner.mergeRowBlocks(module).map { MergeScale.apply(lambda: lambda, to: $0) }
    }
}

/// A dense module merger (a factored method on DoRA deltas) followed by the `lambda` multiplier.
public struct LambdaScaledMerger: DenseModuleMerger, LambdaScaled {
    public let inner: any DenseModuleMerger
    public let lambda: Double

    public var unscaled: ConfiguredStrategy { .denseMerger(inner) }

    public func merge(_ module: DenseModule) throws -> Tensor {
        MergeScale.apply(lambda: lambda, to: try inner.merge(module))
    }

    public func mergeRowBlocks(_ module: FactoredDenseModule) throws -> Tensor? {
        try inner.mergeRowBlocks(module).map { MergeScale.apply(lambda: lambda, to: $0) }
    }
}
