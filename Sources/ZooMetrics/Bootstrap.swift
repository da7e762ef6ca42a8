// Percentile bootstrap confidence intervals for any statistic of a set of cases. Resampling
// is stratified by class by default (positives and negatives resampled separately, keeping
// their counts, as pROC's `stratified = TRUE`), so every resample has both classes and the
// AUC is always defined. The generator is seeded and its draws are written here, not taken
// from the standard library, so a seed gives the same interval on every platform and release.

/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast, seedable generator.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in 0..<bound by Lemire's multiply-and-reject method (no modulo bias).
    public mutating func index(below bound: Int) -> Int {
        let range = UInt64(bound)
        let threshold = (0 &- range) % range
        while true {
            let product = next().multipliedFullWidth(by: range)
            if product.low >= threshold { return Int(product.high) }
        }
    }
}

/// A bootstrap percentile interval.
public struct BootstrapInterval: Sendable, Equatable {
    /// The statistic on the original cases.
    public var estimate: Double
    /// The (1 - level)/2 quantile of the replicates.
    public var lower: Double
    /// The 1 - (1 - level)/2 quantile of the replicates.
    public var upper: Double
    /// The confidence level.
    public var level: Double
    /// Replicates on which the statistic was defined.
    public var replicates: Int
    /// Replicates on which the statistic threw (e.g. a PPV with no case called positive);
    /// they are left out, and reported so that a reader can judge the interval.
    public var failedReplicates: Int
}

/// Bootstrap resampling of cases.
public enum Bootstrap {
    /// The percentile interval of `statistic`, which receives the resampled case indices
    /// (repeats allowed) and so can compute anything over paired data: one model's AUC, the
    /// difference of two models' AUCs, an NRI. `strata` (one label per case) are resampled
    /// separately; pass nil for plain resampling of all cases.
    public static func confidenceInterval(
        caseCount: Int, strata: [Bool]?, replicates: Int = 2000, level: Double = 0.95,
        seed: UInt64 = 42, statistic: ([Int]) throws -> Double
    ) throws -> BootstrapInterval {
        guard caseCount > 0 else {
            throw MetricsError.tooFewCases(what: "bootstrap", needed: 1, actual: 0)
        }
        guard replicates >= 2 else {
            throw MetricsError.tooFewCases(
                what: "bootstrap replicates", needed: 2, actual: replicates)
        }
        guard level > 0, level < 1 else {
            throw MetricsError.outOfRange(what: "confidence level", value: level, range: "(0, 1)")
        }
        let estimate = try statistic(Array(0..<caseCount))
        var values = [Double]()
        values.reserveCapacity(replicates)
        var failed = 0
        try resamples(caseCount: caseCount, strata: strata, replicates: replicates, seed: seed) { sample in
            // A resample on which the statistic is undefined (one class only) is counted in
            // `failed`, which the result reports, rather than stopping the bootstrap.
            if let value = try? statistic(sample), value.isFinite {
                values.append(value)
            } else {
                failed += 1
            }
        }
        guard values.count >= 2 else {
            throw MetricsError.undefined(
                what: "bootstrap interval",
                reason: "the statistic was undefined on \(failed) of \(replicates) resamples")
        }
        values.sort()
        let alpha = (1 - level) / 2
        return BootstrapInterval(
            estimate: estimate, lower: quantile(sorted: values, alpha),
            upper: quantile(sorted: values, 1 - alpha), level: level,
            replicates: values.count, failedReplicates: failed)
    }

    /// Calls `body` with the case indices of each of `replicates` resamples (with replacement;
    /// within each stratum when `strata` gives one label per case), drawn from `seed`.
    public static func resamples(
        caseCount: Int, strata: [Bool]?, replicates: Int, seed: UInt64, _ body: ([Int]) throws -> Void
    ) throws {
        var groups = [Array(0..<caseCount)]
        if let strata {
            try requireLength(strata.count, caseCount, "bootstrap strata")
            groups = [strata.indices.filter { strata[$0] }, strata.indices.filter { !strata[$0] }]
                .filter { !$0.isEmpty }
        }
        var generator = SeededGenerator(seed: seed)
        var sample = [Int]()
        sample.reserveCapacity(caseCount)
        for _ in 0..<replicates {
            sample.removeAll(keepingCapacity: true)
            for group in groups {
                for _ in group.indices { sample.append(group[generator.index(below: group.count)]) }
            }
            try body(sample)
        }
    }

    /// The interval of a statistic of one model's scores, stratified by class unless told.
    public static func confidenceInterval(
        _ data: BinaryScores, replicates: Int = 2000, level: Double = 0.95, seed: UInt64 = 42,
        stratified: Bool = true, statistic: (BinaryScores) throws -> Double
    ) throws -> BootstrapInterval {
        try confidenceInterval(
            caseCount: data.count, strata: stratified ? data.labels : nil, replicates: replicates,
            level: level, seed: seed
        ) { indices in try statistic(data.subset(indices)) }
    }
}

/// The p quantile of sorted values with linear interpolation (R's type 7, NumPy's default).
func quantile(sorted values: [Double], _ p: Double) -> Double {
    let position = p * Double(values.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, values.count - 1)
    let fraction = position - Double(below)
    return values[below] + fraction * (values[above] - values[below])
}
