// ROC curve and AUC. The AUC is the Mann-Whitney statistic: the probability that a random
// positive scores above a random negative, a tie counting one half. Computed from midranks
// in O(n log n); it equals the trapezoidal area under the empirical curve, ties included.

/// One operating point of a ROC curve.
public struct ROCPoint: Sendable, Equatable {
    /// Cases with score >= threshold are called positive (+inf: none is).
    public var threshold: Double
    /// 1 - specificity at this threshold.
    public var falsePositiveRate: Double
    /// Sensitivity at this threshold.
    public var truePositiveRate: Double
}

/// The empirical ROC curve of a set of scores, from (0, 0) at threshold +inf down through
/// every distinct score to (1, 1).
public struct ROCCurve: Sendable {
    /// Points in order of decreasing threshold (increasing rates).
    public let points: [ROCPoint]
    /// Area under the curve (the Mann-Whitney statistic).
    public let auc: Double

    /// Builds the curve; throws when the labels hold one class (the curve is then undefined).
    public init(_ data: BinaryScores) throws {
        try data.requireBothClasses("ROC curve")
        let positives = Double(data.positiveCount)
        let negatives = Double(data.negativeCount)
        let order = data.scores.indices.sorted { data.scores[$0] > data.scores[$1] }
        var points = [ROCPoint(threshold: .infinity, falsePositiveRate: 0, truePositiveRate: 0)]
        var tp = 0.0
        var fp = 0.0
        var index = 0
        while index < order.count {
            // Every case tied at this score crosses the threshold together.
            let threshold = data.scores[order[index]]
            while index < order.count, data.scores[order[index]] == threshold {
                if data.labels[order[index]] { tp += 1 } else { fp += 1 }
                index += 1
            }
            points.append(
                ROCPoint(
                    threshold: threshold, falsePositiveRate: fp / negatives,
                    truePositiveRate: tp / positives))
        }
        self.points = points
        self.auc = ROCCurve.mannWhitneyAUC(data)
    }

    /// Area under the ROC curve of `data` (throws for a single class).
    public static func auc(_ data: BinaryScores) throws -> Double {
        try data.requireBothClasses("AUC")
        return mannWhitneyAUC(data)
    }

    /// (sum of positive ranks - m(m+1)/2) / (m n), with midranks over all cases.
    static func mannWhitneyAUC(_ data: BinaryScores) -> Double {
        let ranks = midranks(data.scores)
        var rankSum = 0.0
        for (rank, label) in zip(ranks, data.labels) where label { rankSum += rank }
        let m = Double(data.positiveCount)
        let n = Double(data.negativeCount)
        return (rankSum - m * (m + 1) / 2) / (m * n)
    }

    /// The trapezoidal area under `points`; equals `auc` (a test checks it).
    public var trapezoidalArea: Double {
        var area = 0.0
        for (a, b) in zip(points, points.dropFirst()) {
            area +=
                (b.falsePositiveRate - a.falsePositiveRate)
                * (a.truePositiveRate + b.truePositiveRate) / 2
        }
        return area
    }
}

/// 1-based ranks with ties given the mean of the ranks they span (the midrank).
func midranks(_ values: [Double]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var ranks = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
        let rank = Double(start + end) / 2 + 1
        for k in start...end { ranks[order[k]] = rank }
        start = end + 1
    }
    return ranks
}

/// Scores of a K-class model: one probability (or score) per class per case.
public struct MultiClassScores: Sendable {
    /// `scores[i][k]`: the score of case i for class k.
    public let scores: [[Double]]
    /// The true class of each case, in 0..<classCount.
    public let labels: [Int]
    /// Number of classes K.
    public let classCount: Int

    /// Validates shape (every row K scores, K >= 2), finiteness and label range.
    public init(scores: [[Double]], labels: [Int]) throws {
        try requireLength(labels.count, scores.count, "multi-class scores and labels")
        guard let k = scores.first?.count else {
            throw MetricsError.tooFewCases(what: "multi-class scores", needed: 1, actual: 0)
        }
        guard k >= 2 else {
            throw MetricsError.invalidShape(
                what: "multi-class scores", reason: "need at least 2 classes, got \(k)")
        }
        for (i, row) in scores.enumerated() {
            try requireLength(row.count, k, "scores of case \(i)")
            try requireFinite(row, "scores of case \(i)")
        }
        for label in labels where !(0..<k).contains(label) {
            throw MetricsError.invalidLabel(
                what: "multi-class labels", value: label, allowed: "0..<\(k)")
        }
        self.scores = scores
        self.labels = labels
        self.classCount = k
    }

    /// Class `k` against the rest, as binary scores.
    public func oneVsRest(_ k: Int) throws -> BinaryScores {
        guard (0..<classCount).contains(k) else {
            throw MetricsError.invalidLabel(
                what: "one-vs-rest class", value: k, allowed: "0..<\(classCount)")
        }
        return try BinaryScores(scores: scores.map { $0[k] }, labels: labels.map { $0 == k })
    }

    /// AUC of each class against the rest; throws if a class is absent (its AUC is undefined).
    public func oneVsRestAUC() throws -> [Double] {
        try (0..<classCount).map { k in
            let data = try oneVsRest(k)
            do { return try ROCCurve.auc(data) } catch MetricsError.singleClass(_, let present) {
                throw MetricsError.singleClass(
                    what: "one-vs-rest AUC of class \(k)", present: present)
            }
        }
    }

    /// Unweighted mean of the one-vs-rest AUCs (scikit-learn's `multi_class="ovr"`,
    /// `average="macro"`).
    public func macroAUC() throws -> Double {
        let aucs = try oneVsRestAUC()
        return aucs.reduce(0, +) / Double(aucs.count)
    }
}

/// A 95% (or `level`) band around an empirical ROC curve: at each specificity of a grid, the
/// percentile interval of the sensitivity over stratified bootstrap resamples of the cases, as
/// pROC's `ci.se(specificities = ..., boot.stratified = TRUE)` gives it. The sensitivity at a
/// specificity is pROC's `coords(input = "specificity")` (`sensitivity(of:atSpecificity:)`).
public struct ROCBand: Sendable {
    public let specificities: [Double]
    public let lower: [Double]
    public let upper: [Double]
    public let level: Double
    public let replicates: Int

    public init(
        _ data: BinaryScores, specificities: [Double] = stride(from: 0, through: 1, by: 0.02).map { $0 }, replicates: Int = 2000,
        level: Double = 0.95, seed: UInt64 = 42
    ) throws {
        try data.requireBothClasses("ROC band")
        guard replicates >= 2 else { throw MetricsError.tooFewCases(what: "ROC band replicates", needed: 2, actual: replicates) }
        guard level > 0, level < 1 else { throw MetricsError.outOfRange(what: "confidence level", value: level, range: "(0, 1)") }
        var draws = [[Double]](repeating: [], count: specificities.count)
        try Bootstrap.resamples(caseCount: data.count, strata: data.labels, replicates: replicates, seed: seed) { sample in
            let curve = try ROCCurve(data.subset(sample))
            for (index, specificity) in specificities.enumerated() {
                draws[index].append(ROCBand.sensitivity(of: curve, atSpecificity: specificity))
            }
        }
        let alpha = (1 - level) / 2
        let sorted = draws.map { $0.sorted() }
        self.specificities = specificities
        lower = sorted.map { quantile(sorted: $0, alpha) }
        upper = sorted.map { quantile(sorted: $0, 1 - alpha) }
        self.level = level
        self.replicates = replicates
    }

    /// The sensitivity of `curve` at `specificity`, as pROC's `coords(input = "specificity")`:
    /// at a specificity of the curve its highest sensitivity there; between two, the straight
    /// line the curve draws from the lowest sensitivity of the one to the highest of the next.
    public static func sensitivity(of curve: ROCCurve, atSpecificity specificity: Double) -> Double {
        var range = [Double: (low: Double, high: Double)]()
        for point in curve.points {
            let key = 1 - point.falsePositiveRate
            let known = range[key] ?? (point.truePositiveRate, point.truePositiveRate)
            range[key] = (Swift.min(known.low, point.truePositiveRate), Swift.max(known.high, point.truePositiveRate))
        }
        let points = range.sorted { $0.key < $1.key }
        // Exactly at a specificity of the curve (compared exactly, as pROC does: a hair to the
        // right of a vertical step is on the line that leaves its foot).
        if let exact = points.first(where: { $0.key == specificity }) { return exact.value.high }
        guard let next = points.firstIndex(where: { $0.key > specificity }) else { return points.last?.value.high ?? 0 }
        guard next > 0 else { return points[0].value.high }
        let (a, b) = (points[next - 1], points[next])
        return a.value.low + (specificity - a.key) / (b.key - a.key) * (b.value.high - a.value.low)
    }
}
