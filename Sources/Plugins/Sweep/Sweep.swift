import Dispatch
import Ops

/// What one point of a sweep wrote.
public struct SweepPointReport: Sendable {
    /// The swept parameters of the point, in axis order.
    public let parameters: [(String, String)]
    /// The point's directory, relative to the sweep's output.
    public let directory: String
    /// Frobenius norm of the merged adapter (over all modules, before any dtype conversion):
    /// |lambda| times the lambda-free merge's, which is computed from the factors.
    public let norm: Double
    public let exportedRank: Int
    /// Wall-clock seconds spent on this point alone (multiplier and export).
    public let seconds: Double
}

/// What a sweep did, for the summary.
public struct SweepReport: Sendable {
    public let info: StrategyInfo
    public let inputCount: Int
    public let moduleCount: Int
    public let points: [SweepPointReport]
    /// How many lambda-free merges ran (one per combination of the non-lambda parameters).
    public let merges: Int
    /// Seconds per phase: the shared work (load, merges, rank reductions), `exports` (all the
    /// points together) and `commit`.
    public let phases: [(String, Double)]
    /// The stored-dtype note, when the inputs chose bf16 (`ExportDType.matching`).
    public var dtypeNote: String?
}

/// `seedlora merge --sweep`: one PEFT export per grid point under `OUT/<name>=<value>[,..]/`, and
/// `OUT/sweep.csv`.
///
/// The inputs are loaded once; the points that differ only in `lambda` share one lambda-free
/// merge (and rank-K reduction), so each of them costs only its multiplier and export. The whole
/// output directory is written aside and renamed into place at the end: a sweep that is killed
/// leaves nothing at `OUT`, and an existing `OUT` is replaced only with `replace` (`--force`),
/// as a whole.
public enum Sweep {
    public static func run(_ request: MergeRequest, grid: SweepGrid, cancellation: Cancellation = Cancellation(),
                           progress: (@Sendable (_ done: Int, _ total: Int) -> Void)? = nil) throws -> SweepReport {
        var clock = PhaseClock()
        let entry = try StrategyRegistry.entry(named: request.method)
        guard request.format == .peft else {
            throw SeedloraError(.usage, "--sweep writes PEFT adapters; --format \(request.format.rawValue) is not supported with --sweep")
        }
        guard request.plan == nil else {
            throw SeedloraError(.usage, "--sweep does not combine with --config; give the adapters and --param on the command line")
        }
        try MergePipeline.check(request, entry: entry)
        let plan = try SweepPlan(entry: entry, fixed: request.parameters, grid: grid,
                                 inputCount: request.inputs.count, seed: request.seed)
        let baseCheckpoint = try request.base.map { try Checkpoint(directory: $0) }
        let input = try MergeEngine.loadInputs(request.inputs, options: .init(allowNonFinite: request.allowNonFinite, base: baseCheckpoint))
        clock.mark("load")
        let all = Array(input.modules.indices)
        let storedAs = request.exportDType(inputs: input.adapters)
        let directory = try AtomicDirectory(path: request.output, replace: request.replace)
        let swept = grid.names
        var reports = [SweepPointReport?](repeating: nil, count: plan.points.count)
        try directory.writing {
            for group in plan.groups {
                guard let firstPoint = group.points.first else { continue }
                var groups = [MergePipeline.Group(strategy: group.strategy, resolved: plan.resolved[firstPoint], indices: all)]
                if input.hasDoRA { groups = try MergePipeline.denseForDoRA(groups, request: request, info: entry.info) }
                let merge = try LambdaFreeMerge.compute(groups, input: input, rank: request.rank, seed: request.seed,
                                                        cancellation: cancellation, progress: nil, clock: &clock)
                // ||lambda D|| = |lambda| ||D||: the norm from the factors once per merge, not per point.
                let norm = merge.modules.reduce(0.0) { $0 + $1.delta.moments().sumOfSquares }.squareRoot()
                clock.mark("norm")
                for index in group.points {
                    try cancellation.check()
                    let start = DispatchTime.now().uptimeNanoseconds
                    let parameters = plan.points[index].filter { swept.contains($0.0) }
                    let name = SweepGrid.directoryName(parameters)
                    var point = request
                    point.parameters = plan.points[index]
                    point.output = request.output + "/" + name
                    let modules = merge.scaled(by: plan.lambdas[index])
                    var export = PeftExport(modules: modules, dtype: storedAs.dtype, template: input.adapters.first?.config,
                                            modelCard: MergePipeline.card(point, info: entry.info, resolved: plan.resolved[index], notes: input.notes))
                    if let first = request.inputs.first { export.relocateBaseModel(from: first, to: point.output) }
                    try Exporter.checkMaxRank(export.rank, maxRank: request.maxRank, output: point.output)
                    try export.write(to: directory.file(name), replace: false)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                    reports[index] = SweepPointReport(parameters: parameters, directory: name, norm: abs(plan.lambdas[index]) * norm,
                                                      exportedRank: export.rank, seconds: seconds)
                    progress?(reports.count { $0 != nil }, reports.count)
                }
                clock.mark("exports")
            }
            let done = reports.compactMap { $0 }
            let csv = try AtomicFile(path: directory.file("sweep.csv"))
            try csv.write(table(done, names: swept))
            try csv.commit()
        }
        try directory.commit()
        clock.mark("commit")
        return SweepReport(info: entry.info, inputCount: input.inputCount, moduleCount: input.modules.count,
                           points: reports.compactMap { $0 }, merges: plan.groups.count, phases: totals(clock.phases),
                           dtypeNote: storedAs.note)
    }

    /// Seconds per phase name, in order of first appearance (a grid repeats merge and exports).
    static func totals(_ phases: [(String, Double)]) -> [(String, Double)] {
        var result: [(String, Double)] = []
        for (name, seconds) in phases {
            if let i = result.firstIndex(where: { $0.0 == name }) { result[i].1 += seconds } else { result.append((name, seconds)) }
        }
        return result
    }

    /// sweep.csv: the swept parameters, then directory, norm, rank; one row per point in grid order.
    static func table(_ points: [SweepPointReport], names: [String]) -> String {
        var lines = [(names + ["directory", "norm", "rank"]).map(csvField).joined(separator: ",")]
        for point in points {
            let values = point.parameters.map(\.1) + [point.directory, "\(point.norm)", "\(point.exportedRank)"]
            lines.append(values.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
