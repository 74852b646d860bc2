import Ops
import Plugins
import Testing
import TestSupport

/// A strategy may read only the parameters it declares: every registered strategy runs on tiny
/// synthetic adapters with its defaults (and once per alternative word of each choice parameter,
/// to reach the branches a choice selects), and any read of an undeclared name, or of a declared
/// name as another kind, fails the test with the strategy and the name.
struct StrategyParameterAuditTests {
    static let inputs: MergeInput = {
        let directory = (try? Fixtures.temporaryDirectory("seedlora-audit")) ?? "/tmp/seedlora-audit"
        let paths = (0..<3).map { directory + "/in\($0)" }
        for (i, path) in paths.enumerated() {
            try? SyntheticAdapter.write(to: path, layers: 1, size: 8, rank: 2, seed: UInt64(i + 1))
        }
        defer { FilePaths.removeTree(directory) }
        return (try? MergeEngine.loadInputs(paths)) ?? MergeInput(adapters: [], modules: [])
    }()

    /// The defaults, then each other word of every choice parameter on its own.
    static func settings(_ info: StrategyInfo) -> [[(String, String)]] {
        var result: [[(String, String)]] = [[]]
        for spec in info.parameters {
            switch spec.kind {
            case let .choice(words), let .choiceOrInputIndex(words):
                for word in words where ParameterValue.choice(word) != spec.defaultValue { result.append([(spec.name, word)]) }
            case .boolean:
                result.append([(spec.name, spec.defaultValue == .boolean(true) ? "false" : "true")])
            default:
                break
            }
        }
        return result
    }

    /// Runs `entry` on the first `count` inputs; returns the misuse records.
    static func run(_ entry: StrategyEntry, _ raw: [(String, String)], count: Int) throws -> [ParameterMisuse] {
        let input = MergeInput(adapters: Array(inputs.adapters.prefix(count)),
                               modules: inputs.modules.map { ModuleGroup(name: $0.name, kind: $0.kind, deltas: Array($0.deltas.prefix(count)),
                                                                         magnitudes: Array($0.magnitudes.prefix(count))) })
        let (configured, resolved) = try entry.instantiate(raw, inputCount: count, seed: 7)
        let dense = try input.modules.indices.map { DenseModule(name: input.modules[$0].name, index: $0, deltas: try input.denseDeltas(of: $0)) }
        switch configured {
        case let .factored(strategy):
            _ = try MergeEngine.run(strategy, on: input)
            // Methods that run only on LoRA factors (the merge spaces, the subspace family) refuse dense
            // (DoRA) deltas by design; that refusal reads no parameter.
            if let merger = strategy.denseEquivalent() {
                do { for module in dense { _ = try merger.merge(module) } } catch let error as SeedloraError
                    where error.message.contains("DoRA deltas are not LoRAs") {}
            }
        case let .dense(strategy):
            for module in dense { _ = try strategy.merge(module) }
        case let .denseMerger(merger):
            for module in dense { _ = try merger.merge(module) }
        }
        return resolved.misuses
    }

    @Test(arguments: StrategyRegistry.all.map(\.info.name))
    func readsOnlyDeclaredParameters(_ name: String) throws {
        #expect(Self.inputs.modules.count == 4, "the synthetic adapters did not load")
        let entry = try StrategyRegistry.entry(named: name)
        for raw in Self.settings(entry.info) {
            // Two-input methods (slerp, nuslerp) refuse three inputs; every method takes two.
            var ran = false
            for count in [3, 2] {
                do {
                    let misuses = try Self.run(entry, raw, count: count)
                    #expect(misuses.isEmpty, "\(name) \(raw): \(misuses.map(\.description).joined(separator: "; "))")
                    ran = true
                    break
                } catch let error as SeedloraError where count == 3 {
                    _ = error
                }
            }
            #expect(ran, "\(name) \(raw) did not run on 3 or 2 inputs")
        }
    }

    /// The mechanism the audit relies on: a typo is recorded, not silently 0.
    @Test func anUndeclaredReadIsRecorded() throws {
        let (_, resolved) = try StrategyRegistry.entry(named: "ties").instantiate([], inputCount: 2)
        #expect(resolved.misuses.isEmpty)
        #expect(resolved.real("epsilon") == 0)
        let copy = resolved
        #expect(copy.reals("lambda") == [])
        #expect(resolved.misuses.map(\.description) == [
            "ties read parameter 'epsilon' as real, but it is not declared",
            "ties read parameter 'lambda' as reals, but it is declared as real",
        ])
        #expect(!resolved.declares("epsilon") && resolved.value("epsilon") == nil)
        #expect(resolved.declares("lambda"))
    }
}
