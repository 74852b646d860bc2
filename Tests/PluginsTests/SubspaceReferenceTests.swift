import Ops
@testable import Plugins
import Testing
import TestSupport

/// The merge spaces and the subspace family against the numpy reference (subspace.safetensors,
/// see FIXTURE-README.md "Merge spaces and the subspace family"): 1e-5 relative Frobenius error
/// per module, also after writing the PEFT export and reading it back.
struct SubspaceReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let reference: String
        let method: String
        let params: [(String, String)]
        var testDescription: String { reference }
    }

    static let cases: [Case] = [
        Case(reference: "linear_core", method: "magnitude_prune",
             params: [("space", "core"), ("density", "1"), ("weights", "\(1.0 / 3)")]),
        Case(reference: "ties_core_d0.5", method: "ties", params: [("space", "core"), ("density", "0.5")]),
        Case(reference: "ties_knots_d0.5", method: "ties", params: [("space", "knots"), ("density", "0.5")]),
        Case(reference: "magnitude_prune_core_d0.3", method: "magnitude_prune", params: [("space", "core"), ("density", "0.3")]),
        Case(reference: "tsv", method: "tsv", params: []),
        Case(reference: "tsv_lambda0.5", method: "tsv", params: [("lambda", "0.5")]),
        Case(reference: "iso_c", method: "iso_c", params: []),
        Case(reference: "iso_c_w112", method: "iso_c", params: [("weights", "1,1,2"), ("lambda", "1.5")]),
        Case(reference: "iso_cts", method: "iso_cts", params: []),
        Case(reference: "iso_cts_cf0.5", method: "iso_cts", params: [("common_fraction", "0.5")]),
    ]

    static func merge(_ method: String, _ params: [(String, String)], paths: [String] = Fixtures.seedPaths) throws -> [PeftExport.Module] {
        let input = try MergeEngine.loadInputs(paths)
        let (strategy, _) = try StrategyRegistry.entry(named: method).instantiate(params, inputCount: paths.count)
        return try MergeEngine.run(strategy, on: input)
    }

    /// Every merged module against the reference; returns the worst error.
    static func compare(_ modules: [(name: String, delta: LowRank)], reference name: String) throws -> Double {
        let reference = try Fixtures.safetensors("subspace.safetensors")
        var worst = 0.0
        for module in modules {
            let expected = try reference.tensor("merged/\(name)/\(module.name)")
            let error = Compare.relativeFrobenius(module.delta.dense().data, expected.data)
            #expect(error <= 1e-5, "\(name) \(module.name): relative Frobenius error \(error)")
            #expect(module.delta.rank <= 24, "\(name) \(module.name): an exact LoRA of rank <= R = 24")
            worst = max(worst, error)
        }
        return worst
    }

    @Test(arguments: cases)
    func matchesReference(_ c: Case) throws {
        let merged = try Self.merge(c.method, c.params)
        #expect(merged.count == 14)
        let worst = try Self.compare(merged.map { ($0.name, $0.delta) }, reference: c.reference)
        print("subspace reference \(c.reference): worst relative Frobenius error \(worst)")
    }

    /// The same merges through `seedlora merge`'s pipeline: exported exactly without --rank, read
    /// back from the PEFT directory.
    @Test(arguments: cases)
    func exportedAdapterMatchesReference(_ c: Case) throws {
        let tmp = try Fixtures.temporaryDirectory()
        defer { FilePaths.removeTree(tmp) }
        var request = MergeRequest()
        request.method = c.method
        request.parameters = c.params
        request.inputs = Fixtures.seedPaths
        request.output = tmp + "/out"
        let report = try MergePipeline.run(request)
        #expect((report.exportedRank ?? 99) <= 24)
        let exported = try PeftAdapter(directory: tmp + "/out")
        #expect(exported.modules.count == 14)
        let worst = try Self.compare(exported.modules.map { ($0.name, $0.delta) }, reference: c.reference)
        print("subspace export \(c.reference): rank \(report.exportedRank ?? -1), worst relative Frobenius error \(worst)")
    }

    /// The core space loses nothing: `U M_i Vh = tau_i` (1e-6, in Float64), and the mean of the
    /// core matrices lifted back is the plain mean (`merged/linear`, 1e-5).
    @Test func coreSpaceIsLossless() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let merged = try Fixtures.safetensors("merged.safetensors")
        var worstInput = 0.0, worstMean = 0.0
        for group in input.modules {
            let space = try CoreSpace(group.deltas)
            for (delta, core) in zip(group.deltas, space.cores) {
                let lifted = LinearAlgebra.matmul(LinearAlgebra.matmul(space.u, core), space.vh)
                let exact = LinearAlgebra.matmul(LinearAlgebra.Matrix(delta.b), LinearAlgebra.Matrix(delta.a)).scaled(by: delta.scale)
                let error = Self.relative(lifted.data, exact.data)
                #expect(error <= 1e-6, "\(group.name): U M_i Vh vs tau_i \(error)")
                worstInput = max(worstInput, error)
            }
            var mean = LinearAlgebra.Matrix(zeros: space.cores[0].rows, space.cores[0].cols)
            for core in space.cores { for i in mean.data.indices { mean.data[i] += core.data[i] / 3 } }
            let lifted = space.lift(mean).dense()
            let error = Compare.relativeFrobenius(lifted.data, try merged.tensor("merged/linear/\(group.name)").data)
            #expect(error <= 1e-5, "\(group.name): core-space mean vs merged/linear \(error)")
            worstMean = max(worstMean, error)
        }
        print("core space: worst |U M_i Vh - tau_i| / |tau_i| = \(worstInput), core mean vs linear = \(worstMean)")
    }

    /// `core/<i>/<module>` up to one sign per basis vector, the same for every input: signs d
    /// (rows, U's columns) and e (columns, Vh's rows) are fitted once, then every input must match.
    @Test func coreMatricesMatchUpToSigns() throws {
        let input = try MergeEngine.loadInputs(Fixtures.seedPaths)
        let reference = try Fixtures.safetensors("subspace.safetensors")
        let group = input.modules[0]
        #expect(group.name == "model.layers.0.mlp.down_proj")
        let ours = try CoreSpace(group.deltas).cores
        let theirs = try (0..<3).map { LinearAlgebra.Matrix(try reference.tensor("core/\($0)/\(group.name)")) }
        let rows = ours[0].rows, cols = ours[0].cols
        #expect(theirs[0].rows == rows && theirs[0].cols == cols)
        var d = [Double](repeating: 1, count: rows), e = [Double](repeating: 1, count: cols)
        for _ in 0..<4 {
            for j in 0..<rows {
                var s = 0.0
                for (m, r) in zip(ours, theirs) { for k in 0..<cols { s += m[j, k] * r[j, k] * e[k] } }
                d[j] = s < 0 ? -1 : 1
            }
            for k in 0..<cols {
                var s = 0.0
                for (m, r) in zip(ours, theirs) { for j in 0..<rows { s += m[j, k] * r[j, k] * d[j] } }
                e[k] = s < 0 ? -1 : 1
            }
        }
        var worst = 0.0
        for (i, (m, r)) in zip(ours, theirs).enumerated() {
            var signed = m
            for j in 0..<rows { for k in 0..<cols { signed.data[j * cols + k] *= d[j] * e[k] } }
            let error = Self.relative(signed.data, r.data)
            #expect(error <= 1e-5, "core/\(i): \(error)")
            worst = max(worst, error)
        }
        print("core matrices up to signs: worst relative Frobenius error \(worst)")
    }

    static func relative(_ a: [Double], _ b: [Double]) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a, b) { diff += (x - y) * (x - y); norm += y * y }
        return norm > 0 ? (diff / norm).squareRoot() : diff.squareRoot()
    }
}
