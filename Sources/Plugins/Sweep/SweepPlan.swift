import Ops

/// Which merges a sweep really runs: the points that differ only in `lambda` share one
/// lambda-free merge, and each point is that merge times its `lambda` (`MergeScale.apply`), the
/// same function a single merge applies, so every point has the bits of a single merge.
public struct SweepPlan: Sendable {
    /// One lambda-free merge and the points it serves.
    public struct Group: Sendable {
        /// The strategy without its final multiplier.
        public let strategy: ConfiguredStrategy
        /// Indices into `points`.
        public let points: [Int]
    }

    public let entry: StrategyEntry
    /// Every point's raw parameters (fixed ones, then the swept ones), in grid order.
    public let points: [[(String, String)]]
    public let resolved: [ResolvedParameters]
    /// Each point's `lambda` (1 when the point does not set it).
    public let lambdas: [Double]
    public let groups: [Group]

    /// Resolves every point before any file is read, so a bad value stops the sweep at once.
    /// `fixed` are the parameters every point shares; a swept name must not be among them.
    public init(entry: StrategyEntry, fixed: [(String, String)], grid: SweepGrid, inputCount: Int, seed: UInt64) throws {
        let declared = entry.info.parameters.map(\.name)
        for name in grid.names where !declared.contains(name) {
            let hint = Suggest.closest(to: name, in: declared).map { "did you mean '\($0)'? " } ?? ""
            throw SeedloraError(.usage, "--sweep \(name): \(entry.info.name) has no parameter '\(name)'; \(hint)its parameters: \(declared.isEmpty ? "none" : declared.joined(separator: ", "))")
        }
        if let both = fixed.first(where: { grid.names.contains($0.0) }) {
            throw SeedloraError(.usage, "\(both.0) is both a fixed parameter and swept; give it once")
        }
        self.entry = entry
        points = grid.points.map { fixed + $0 }
        var resolved: [ResolvedParameters] = []
        var lambdas: [Double] = []
        var groups: [Group] = []
        var groupOf: [String: Int] = [:]
        for (index, raw) in points.enumerated() {
            let (configured, parameters) = try entry.instantiate(raw, inputCount: inputCount, seed: seed)
            let (strategy, lambda) = configured.withoutLambda
            resolved.append(parameters)
            lambdas.append(lambda)
            // Points that agree on everything but lambda share the lambda-free merge.
            let key = parameters.values.filter { $0.key != MergeScale.parameter.name }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1F}")
            if let g = groupOf[key] {
                groups[g] = Group(strategy: groups[g].strategy, points: groups[g].points + [index])
            } else {
                groupOf[key] = groups.count
                groups.append(Group(strategy: strategy, points: [index]))
            }
        }
        self.resolved = resolved
        self.lambdas = lambdas
        self.groups = groups
    }
}
