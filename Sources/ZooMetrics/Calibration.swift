// How well a binary classifier's probabilities mean what they say, and how it trades precision
// for recall: the figures a clinical model is judged by beside its ROC curve.

/// The precision-recall curve of a set of scores: at every distinct score, taken as the
/// threshold from the highest down, the recall (sensitivity) and the precision (positive
/// predictive value) of calling every case at or above it positive.
public struct PrecisionRecallCurve: Sendable {
    /// Points in order of decreasing threshold (increasing recall).
    public let recall: [Double]
    public let precision: [Double]
    public let thresholds: [Double]
    /// Average precision: the precision at each threshold weighted by the recall it adds,
    /// sum over n of (R_n - R_{n-1}) P_n (scikit-learn's `average_precision_score`; no
    /// interpolation).
    public let averagePrecision: Double
    /// The share of positives: the precision of a classifier that calls every case positive.
    public let prevalence: Double

    /// Builds the curve; throws when the labels hold one class.
    public init(_ data: BinaryScores) throws {
        try data.requireBothClasses("precision-recall curve")
        let positives = Double(data.positiveCount)
        let order = data.scores.indices.sorted { data.scores[$0] > data.scores[$1] }
        var (recall, precision, thresholds) = ([Double](), [Double](), [Double]())
        var (tp, fp, index, area, previousRecall) = (0.0, 0.0, 0, 0.0, 0.0)
        while index < order.count {
            // Every case tied at this score crosses the threshold together.
            let threshold = data.scores[order[index]]
            while index < order.count, data.scores[order[index]] == threshold {
                if data.labels[order[index]] { tp += 1 } else { fp += 1 }
                index += 1
            }
            let r = tp / positives, p = tp / (tp + fp)
            area += (r - previousRecall) * p
            previousRecall = r
            recall.append(r)
            precision.append(p)
            thresholds.append(threshold)
        }
        self.recall = recall
        self.precision = precision
        self.thresholds = thresholds
        averagePrecision = area
        prevalence = positives / Double(data.count)
    }
}

/// A reliability diagram and the Brier score of probabilities of the positive class: the cases
/// in equal-width bins of predicted probability, each bin's mean prediction against the share of
/// positives in it (scikit-learn's `calibration_curve(strategy="uniform")`).
public struct Calibration: Sendable {
    /// One bin with cases in it.
    public struct Bin: Sendable, Equatable {
        /// The bin's range of predicted probability, [lower, upper) (the last bin includes 1).
        public let lower: Double
        public let upper: Double
        public let count: Int
        public let meanPredicted: Double
        public let observedRate: Double
    }

    /// The bins that hold cases, in order (empty bins are left out).
    public let bins: [Bin]
    /// The mean squared difference between prediction and outcome (0 best; 0.25 for a constant
    /// 0.5).
    public let brierScore: Double
    /// The case-weighted mean absolute gap between a bin's prediction and its outcome rate
    /// (expected calibration error).
    public let expectedCalibrationError: Double

    /// `bins` equal-width bins over [0, 1]; scores must be probabilities.
    public init(_ data: BinaryScores, bins count: Int = 10) throws {
        guard count >= 1 else { throw MetricsError.undefined(what: "calibration", reason: "needs at least one bin, got \(count)") }
        if let bad = data.scores.first(where: { !(0...1).contains($0) }) {
            throw MetricsError.outOfRange(what: "calibration: a predicted probability", value: bad, range: "0...1")
        }
        guard data.count > 0 else { throw MetricsError.tooFewCases(what: "calibration", needed: 1, actual: 0) }
        var sums = [(count: Int, predicted: Double, positives: Int)](repeating: (0, 0, 0), count: count)
        var squared = 0.0
        for (score, label) in zip(data.scores, data.labels) {
            let bin = Swift.min(Int(score * Double(count)), count - 1)
            sums[bin].count += 1
            sums[bin].predicted += score
            if label { sums[bin].positives += 1 }
            let outcome = label ? 1.0 : 0.0
            squared += (score - outcome) * (score - outcome)
        }
        bins = sums.enumerated().compactMap { index, sum in
            guard sum.count > 0 else { return nil }
            return Bin(
                lower: Double(index) / Double(count), upper: Double(index + 1) / Double(count), count: sum.count,
                meanPredicted: sum.predicted / Double(sum.count), observedRate: Double(sum.positives) / Double(sum.count))
        }
        let total = Double(data.count)
        brierScore = squared / total
        expectedCalibrationError = bins.map { Double($0.count) / total * abs($0.meanPredicted - $0.observedRate) }.reduce(0, +)
    }
}
