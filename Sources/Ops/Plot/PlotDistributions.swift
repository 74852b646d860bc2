import Foundation

/// Histograms and kernel density estimates: raw values in, the binned data a figure draws out.
///
/// Both take the values of a `Plot.Sample` (Float32 weights of a tensor, or Float64 numbers) in one
/// or two linear passes, so a 16M-element delta costs no copy. Non-finite values are an error
/// (a NaN weight is a problem to report, not to hide).
extension Plot {
    /// Named raw values to bin or smooth.
    public struct Sample: Sendable {
        enum Storage: Sendable {
            case float([Float])
            case double([Double])
        }

        public var name: String
        let storage: Storage

        public init(name: String, values: [Double]) {
            self.name = name
            storage = .double(values)
        }

        /// The elements of a tensor (any shape), read in place as Float32.
        public init(name: String, tensor: Tensor) {
            self.name = name
            storage = .float(tensor.data)
        }

        public var count: Int {
            switch storage {
            case let .float(v): return v.count
            case let .double(v): return v.count
            }
        }

        /// Count, mean, population std, min and max, refusing non-finite values.
        func summary() throws -> Summary {
            switch storage {
            case let .float(v): return try Summary(name: name, values: v)
            case let .double(v): return try Summary(name: name, values: v)
            }
        }

        /// Adds each value in `range` to `bins` equal bins; returns how many fell inside.
        func bin(into counts: inout [Double], range: ClosedRange<Double>, linear: Bool) -> Int {
            switch storage {
            case let .float(v): return Plot.bin(v, into: &counts, range: range, linear: linear)
            case let .double(v): return Plot.bin(v, into: &counts, range: range, linear: linear)
            }
        }
    }

    /// What a histogram's bar heights mean.
    public enum Normalization: String, Sendable, CaseIterable {
        /// Values per bin.
        case count
        /// Share of the values in range per bin (bars sum to 1).
        case fraction
        /// Share per unit of x (bars integrate to 1 over the range), comparable across bin widths.
        case density
    }

    /// Statistics of one sample, kept with its histogram.
    public struct Summary: Equatable, Sendable {
        public var name: String
        public var count: Int
        public var mean: Double
        /// Population standard deviation (divides by count, as numpy's default).
        public var std: Double
        public var min: Double
        public var max: Double

        init<C: Collection>(name: String, values: C) throws where C.Element: BinaryFloatingPoint {
            var sum = 0.0, lo = Double.infinity, hi = -Double.infinity
            for (i, element) in values.enumerated() {
                let x = Double(element)
                guard x.isFinite else {
                    throw SeedloraError("sample '\(name)': value \(x) at index \(i) is not finite; "
                                        + "histograms and densities need finite values")
                }
                sum += x
                lo = Swift.min(lo, x)
                hi = Swift.max(hi, x)
            }
            let n = values.count
            let mean = n > 0 ? sum / Double(n) : .nan
            var squares = 0.0
            for element in values { let d = Double(element) - mean; squares += d * d }
            self.name = name
            self.count = n
            self.mean = mean
            self.std = n > 0 ? (squares / Double(n)).squareRoot() : .nan
            self.min = lo
            self.max = hi
        }
    }

    /// Counts of several samples on shared bins.
    public struct Histogram: Equatable, Sendable {
        /// bins + 1 increasing bin edges; the last bin includes its right edge.
        public var edges: [Double]
        /// Bar heights per series, in `normalization` units.
        public var heights: [[Double]]
        public var summaries: [Summary]
        public var normalization: Normalization

        public var names: [String] { summaries.map(\.name) }

        /// Bins `samples` into `bins` equal bins over `range` (default: from the smallest to the
        /// largest value of all samples); values outside the range are left out.
        public init(_ samples: [Sample], bins: Int = 50, range: ClosedRange<Double>? = nil,
                    normalization: Normalization = .count) throws {
            guard !samples.isEmpty else { throw SeedloraError("histogram needs at least one sample") }
            guard (1...100_000).contains(bins) else {
                throw SeedloraError("histogram bin count must be between 1 and 100000, got \(bins)")
            }
            summaries = try samples.map { try $0.summary() }
            let span = try range ?? Plot.dataRange(summaries)
            guard span.lowerBound.isFinite, span.upperBound.isFinite, span.upperBound > span.lowerBound else {
                throw SeedloraError("histogram range \(span) must be finite and not empty")
            }
            let width = (span.upperBound - span.lowerBound) / Double(bins)
            edges = (0...bins).map { span.lowerBound + Double($0) * width }
            edges[bins] = span.upperBound
            heights = samples.map { sample in
                var counts = [Double](repeating: 0, count: bins)
                let inside = sample.bin(into: &counts, range: span, linear: false)
                switch normalization {
                case .count: return counts
                case .fraction: return counts.map { inside > 0 ? $0 / Double(inside) : 0 }
                case .density: return counts.map { inside > 0 ? $0 / (Double(inside) * width) : 0 }
                }
            }
            self.normalization = normalization
        }
    }

    /// Gaussian kernel density estimates of `samples` on one grid of `points` x values, one
    /// series per sample, each integrating to 1 over the grid.
    ///
    /// Values are linearly binned onto the grid first (Wand 1994), so the cost is one pass over
    /// the values plus points² per sample. The bandwidth defaults to Silverman's rule
    /// `0.9 min(std, IQR/1.34) n^(-1/5)` per sample (IQR from the binned values), and is never
    /// less than the grid spacing: with millions of values the curve is a smoothed histogram at the
    /// grid's resolution. The grid spans `range`, or the data's range widened by 3 bandwidths.
    public static func densityCurves(_ samples: [Sample], points: Int = 512, bandwidth: Double? = nil,
                                     range: ClosedRange<Double>? = nil) throws -> [Series] {
        guard !samples.isEmpty else { throw SeedloraError("density needs at least one sample") }
        guard (16...100_000).contains(points) else {
            throw SeedloraError("density grid must have between 16 and 100000 points, got \(points)")
        }
        if let bandwidth, !(bandwidth > 0 && bandwidth.isFinite) {
            throw SeedloraError("density bandwidth must be a positive number, got \(bandwidth)")
        }
        let summaries = try samples.map { try $0.summary() }
        var span = try range ?? dataRange(summaries)
        if range == nil {
            // Widen by 3 rule-of-thumb bandwidths so the tails come down to 0 inside the grid.
            let pad = 3 * (bandwidth ?? summaries.map { 1.06 * $0.std * pow(Double(Swift.max($0.count, 1)), -0.2) }.max() ?? 0)
            span = (span.lowerBound - pad)...(span.upperBound + pad)
        }
        let step = (span.upperBound - span.lowerBound) / Double(points - 1)
        let grid = (0..<points).map { span.lowerBound + Double($0) * step }
        return zip(samples, summaries).map { sample, summary in
            var weights = [Double](repeating: 0, count: points)
            let inside = sample.bin(into: &weights, range: span, linear: true)
            guard inside > 0 else { return Series(name: sample.name, x: grid, y: [Double](repeating: 0, count: points)) }
            let h = Swift.max(bandwidth ?? silverman(weights, grid: grid, summary: summary, n: inside), step)
            return Series(name: sample.name, x: grid, y: smooth(weights, step: step, bandwidth: h, n: inside))
        }
    }

    /// The smallest to largest value over all samples (widened when they are all equal).
    static func dataRange(_ summaries: [Summary]) throws -> ClosedRange<Double> {
        let lo = summaries.filter { $0.count > 0 }.map(\.min).min()
        let hi = summaries.filter { $0.count > 0 }.map(\.max).max()
        guard let lo, let hi else { throw SeedloraError("every sample is empty; nothing to bin") }
        return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
    }

    /// Equal-width binning (`linear: false`, counts per bin) or linear binning onto grid points
    /// (`linear: true`, each value split between its two neighbouring points).
    static func bin<C: Collection>(_ values: C, into counts: inout [Double], range: ClosedRange<Double>,
                                   linear: Bool) -> Int where C.Element: BinaryFloatingPoint {
        let lo = range.lowerBound, hi = range.upperBound, n = counts.count
        var inside = 0
        if linear {
            let scale = Double(n - 1) / (hi - lo)
            for element in values {
                let x = Double(element)
                guard x >= lo && x <= hi else { continue }
                let position = (x - lo) * scale
                let i = Swift.min(Int(position), n - 2)
                let frac = position - Double(i)
                counts[i] += 1 - frac
                counts[i + 1] += frac
                inside += 1
            }
        } else {
            let scale = Double(n) / (hi - lo)
            for element in values {
                let x = Double(element)
                guard x >= lo && x <= hi else { continue }
                counts[Swift.min(Int((x - lo) * scale), n - 1)] += 1
                inside += 1
            }
        }
        return inside
    }

    /// Silverman's rule of thumb from the std and the interquartile range of binned weights.
    static func silverman(_ weights: [Double], grid: [Double], summary: Summary, n: Int) -> Double {
        func quantile(_ q: Double) -> Double {
            let target = q * Double(n)
            var cumulative = 0.0
            for (i, w) in weights.enumerated() {
                cumulative += w
                if cumulative >= target { return grid[i] }
            }
            return grid[grid.count - 1]
        }
        let iqr = quantile(0.75) - quantile(0.25)
        let spread = iqr > 0 ? Swift.min(summary.std, iqr / 1.34) : summary.std
        return 0.9 * spread * pow(Double(n), -0.2)
    }

    /// The density at each grid point: binned weights convolved with a Gaussian of std `bandwidth`.
    static func smooth(_ weights: [Double], step: Double, bandwidth: Double, n: Int) -> [Double] {
        let points = weights.count
        // The kernel depends only on the distance in grid steps; cut it at 5 bandwidths.
        let reach = Swift.min(points - 1, Int((5 * bandwidth / step).rounded(.up)))
        let norm = 1 / (Double(n) * bandwidth * (2 * Double.pi).squareRoot())
        let kernel = (0...reach).map { d -> Double in
            let u = Double(d) * step / bandwidth
            return exp(-0.5 * u * u) * norm
        }
        var density = [Double](repeating: 0, count: points)
        for (j, w) in weights.enumerated() where w != 0 {
            for k in Swift.max(0, j - reach)...Swift.min(points - 1, j + reach) {
                density[k] += w * kernel[abs(k - j)]
            }
        }
        return density
    }
}
