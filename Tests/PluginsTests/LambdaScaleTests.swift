import Ops
@testable import Plugins
import Testing
import TestSupport

/// The generic scale knob: every strategy declares `lambda`, and the engine's one final
/// multiplier (`MergeScale.apply`) scales every method's result exactly.
struct LambdaScaleTests {
    static var names: [String] { StrategyRegistry.all.map(\.info.name) }

    /// Inputs a method accepts: two seeds for the two-input interpolations, else three.
    static func paths(_ name: String) -> [String] {
        ["slerp", "nuslerp"].contains(name) ? Array(Fixtures.seedPaths.prefix(2)) : Fixtures.seedPaths
    }

    @Test func everyStrategyDeclaresLambdaWithDefaultOne() {
        for entry in StrategyRegistry.all {
            let spec = entry.info.parameters.first { $0.name == "lambda" }
            #expect(spec != nil, "\(entry.info.name) does not declare lambda")
            #expect(spec?.defaultValue == .real(1), "\(entry.info.name)")
        }
    }

    /// `lambda = x` gives exactly the bits of `MergeScale.apply(x)` on the `lambda = 1` result, and
    /// that is `x` times it (1e-6 relative Frobenius on the dense deltas).
    @Test(arguments: names)
    func lambdaScalesTheResultExactly(_ name: String) throws {
        let paths = Self.paths(name)
        let input = try MergeEngine.loadInputs(paths)
        // One module keeps the dense methods quick.
        let one = input.subset([0])
        let entry = try StrategyRegistry.entry(named: name)
        let lambda = -0.7
        let (plain, _) = try entry.instantiate([], inputCount: paths.count, seed: 3)
        let (scaled, _) = try entry.instantiate([("lambda", "\(lambda)")], inputCount: paths.count, seed: 3)
        #expect(scaled.withoutLambda.lambda == lambda)
        let (base, baseLambda) = plain.withoutLambda
        #expect(baseLambda == 1)
        switch (base, scaled) {
        case let (.factored(unscaled), .factored(strategy)):
            let reference = try unscaled.merge(one, cancellation: Cancellation())
            let result = try strategy.merge(one, cancellation: Cancellation())
            let expected = MergeScale.apply(lambda: lambda, to: reference)
            for (r, e) in zip(result, expected) {
                #expect(r.b.data.map(\.bitPattern) == e.b.data.map(\.bitPattern), "\(name): B bits")
                #expect(r.a.data.map(\.bitPattern) == e.a.data.map(\.bitPattern), "\(name): A bits")
                let times = reference[0].dense().data.map { Float(Double($0) * lambda) }
                let error = Compare.relativeFrobenius(r.dense().data, times)
                #expect(error <= 1e-6, "\(name): \(error)")
            }
        case let (.dense(unscaled), .dense(strategy)):
            let group = one.modules[0]
            let module = DenseModule(name: group.name, index: 0, deltas: group.deltas.map { $0.denseFloat() })
            let reference = try unscaled.merge(module)
            let result = try strategy.merge(module)
            #expect(result.data.map(\.bitPattern) == MergeScale.apply(lambda: lambda, to: reference).data.map(\.bitPattern), "\(name)")
            let times = reference.data.map { Float(Double($0) * lambda) }
            #expect(Compare.relativeFrobenius(result.data, times) == 0, "\(name)")
        default:
            Issue.record("\(name): lambda changed the form of the strategy")
        }
    }

    /// The element-wise methods in a merge space go through the same multiplier.
    @Test(arguments: ["core", "knots"])
    func lambdaScalesMergeSpaceResults(_ space: String) throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths).subset([0, 5])
        let entry = try StrategyRegistry.entry(named: "dare_ties")
        let (plain, _) = try entry.instantiate([("space", space)], inputCount: 3, seed: 5)
        let (scaled, _) = try entry.instantiate([("space", space), ("lambda", "0.6")], inputCount: 3, seed: 5)
        guard case let .factored(unscaled) = plain.withoutLambda.strategy, case let .factored(strategy) = scaled else {
            Issue.record("dare_ties space=\(space) is not factored")
            return
        }
        let expected = MergeScale.apply(lambda: 0.6, to: try unscaled.merge(input, cancellation: Cancellation()))
        let result = try strategy.merge(input, cancellation: Cancellation())
        #expect(result.map { $0.b.data.map(\.bitPattern) } == expected.map { $0.b.data.map(\.bitPattern) })
        #expect(result.map { $0.a.data.map(\.bitPattern) } == expected.map { $0.a.data.map(\.bitPattern) })
    }

    @Test func lambdaOneLeavesTheBitsAlone() {
        let delta = LowRank(uncheckedB: Tensor(uncheckedShape: [2, 1], data: [1.5, -.nan]),
                            a: Tensor(uncheckedShape: [1, 2], data: [3, .infinity]), scale: 2)
        #expect(MergeScale.apply(lambda: 1, to: delta).b.data.map(\.bitPattern) == delta.b.data.map(\.bitPattern))
        let scaled = MergeScale.apply(lambda: 0, to: delta)
        #expect(scaled.b.data[0] == 0 && scaled.b.data[1].isNaN, "NaN propagates, never becomes 0")
        #expect(scaled.a == delta.a && scaled.scale == 2)
    }
}
