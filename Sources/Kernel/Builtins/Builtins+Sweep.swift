import Ops
import Plugins

/// `sweep`: the merge at every point of a parameter grid, as a table with one row per point.
///
/// A keyword argument given a list is swept (several lists make a grid, the first varying
/// slowest); any other value is fixed. For a per-input parameter (`weights`, `density`) a list of
/// numbers is one value per input, as in `merge`, so a list of lists is swept. The points that differ only in `lambda` share one lambda-free merge, and each
/// is that merge times its `lambda` by the engine's one multiplier (`MergeScale`), so every row's
/// merge has the bits of `merge(...)` with the same arguments.
enum SweepBuiltins {
    static var all: [Builtin] { [
        Builtin("sweep(adapters, strategy=\"seedlora\", weights=nil, seed=0, **params)", .merging,
                "Merges at every point of a parameter grid (a list-valued keyword is swept); a table with a column per swept parameter, `merge` (the merged adapters), `norm` and `rank`.",
                example: "t = sweep([a, b], strategy=\"ties\", density=0.2, lambda=[0.5, 0.75, 1])") { args, interp in
            let adapters = try args.list(0).enumerated().map { i, v -> AdapterValue in
                guard case let .adapter(a) = v else { throw args.bad(0, "list of adapters", got: "a list with \(v.typeNameWithArticle) at index \(i)") }
                return a
            }
            guard !adapters.isEmpty else { throw args.bad(0, "a non-empty list of adapters", got: "an empty list") }
            let name = try args.string(1)
            if interp.strategies.contains(where: { $0.name == name }) {
                throw BuiltinError("sweep runs the built-in strategies; \(name) is written in Seed (call merge(...) in a loop)", span: args.spans[1])
            }
            let entry: StrategyEntry
            do { entry = try StrategyRegistry.entry(named: name) } catch let error as SeedloraError {
                throw BuiltinError(error.message, span: args.spans[1])
            }
            // The same parameter handling as merge(...): the engine seed, unless the method declares one.
            var seed = UInt64(bitPattern: Int64(try args.int(3)))
            var fixed: [(String, String)] = []
            var axes: [SweepGrid.Axis] = []
            var axisValues: [[Value]] = []
            var named: [(String, Value, Span)] = args.keywords
            if !args.isNil(2) { named.insert(("weights", args[2], args.spans[2] ?? args.callSpan), at: 0) }
            if entry.info.parameters.contains(where: { $0.name == "seed" }) && args.given[3] {
                fixed.append(("seed", "\(try args.int(3))"))
                seed = 0
            }
            for (key, value, span) in named {
                let perInput = entry.info.parameters.first { $0.name == key }.map { spec -> Bool in
                    if case .realPerInput = spec.kind { return true }
                    return false
                } ?? false
                if let items = sweptItems(value, perInput: perInput) {
                    guard !items.isEmpty else { throw BuiltinError("sweep: \(key) has an empty list of values", span: span) }
                    axes.append(.init(name: key, values: try items.map { try MergeBuiltins.parameterText($0, name: key, span: span) }))
                    axisValues.append(items)
                } else {
                    fixed.append((key, try MergeBuiltins.parameterText(value, name: key, span: span)))
                }
            }
            let plan: SweepPlan
            do {
                plan = try SweepPlan(entry: entry, fixed: fixed, grid: try SweepGrid(axes: axes),
                                     inputCount: adapters.count, seed: seed)
            } catch let error as SeedloraError {
                // The engine speaks of --sweep; here the axes are keyword arguments.
                let message = error.message.hasPrefix("--sweep ") ? "sweep: " + error.message.dropFirst("--sweep ".count) : error.message
                throw BuiltinError(String(message), span: args.callSpan)
            }
            let input = try MergeBuiltins.prepare(adapters, span: args.spans[0] ?? args.callSpan, interp: interp)
            var merges = [AdapterValue?](repeating: nil, count: plan.points.count)
            for group in plan.groups {
                // The strategy without lambda, once per group; each point is it times its lambda.
                let lambdaFree = try MergeBuiltins.mergedModules(group.strategy, input: input, interp: interp)
                for index in group.points {
                    let lambda = plan.lambdas[index]
                    let modules = lambdaFree.map { module -> AdapterValue.Module in
                        switch module.form {
                        case let .factored(l): return .init(name: module.name, kind: module.kind, form: .factored(MergeScale.apply(lambda: lambda, to: l)))
                        case let .dense(t): return .init(name: module.name, kind: module.kind, form: .dense(MergeScale.apply(lambda: lambda, to: t)),
                                                         rangeStart: module.rangeStart)
                        }
                    }
                    let label = "sweep(\(name), " + SweepGrid.directoryName(plan.points[index].suffix(axes.count)) + ")"
                    merges[index] = AdapterValue(label: label, modules: modules, source: nil, template: adapters.first?.template,
                                                 inputs: adapters.flatMap(\.inputs), method: name)
                }
            }
            // One row per point in grid order: the swept values as given, the merge, its norm and rank.
            let points = SweepGrid.indices(axisValues.map(\.count))
            let rows: [[Value]] = zip(points, merges).map { coordinates, merge in
                guard let merge else { return [] }
                let norm = merge.modules.reduce(0.0) { $0 + Analysis.moments($1.form).sumOfSquares }.squareRoot()
                let ranks = merge.modules.compactMap { m -> Int? in if case let .factored(l) = m.form { return l.rank }; return nil }
                let rank: Value = merge.isFactored ? .int(ranks.max() ?? 0) : .nil
                return zip(axisValues, coordinates).map { $0[$1] } + [.adapter(merge), .float(norm), rank]
            }
            return .table(Table(columns: axes.map(\.name) + ["merge", "norm", "rank"], rows: rows))
        },
    ] }

    /// The values to sweep when `value` is a list of them (for a per-input parameter: a list of
    /// lists), else nil (a fixed value).
    static func sweptItems(_ value: Value, perInput: Bool) -> [Value]? {
        let items: [Value]
        switch value {
        case let .list(list): items = list.items
        case let .range(start, stop, step):
            guard step != 0 else { return nil }
            items = Swift.stride(from: start, to: stop, by: step).map { .int($0) }
        default: return nil
        }
        guard perInput else { return items }
        return items.allSatisfy({ if case .list = $0 { return true }; return false }) && !items.isEmpty ? items : nil
    }
}
