// Decision curve analysis (Vickers and Elkin, Med Decis Making 2006): the net benefit of
// treating the cases a model calls positive at threshold probability pt,
//   NB(pt) = TP / n - FP / n * pt / (1 - pt),
// against treating everyone (NB = prevalence - (1 - prevalence) * pt / (1 - pt)) and no one
// (NB = 0). A case is called positive when its score is >= pt, as in ConfusionMatrix.

/// Net benefit over a range of threshold probabilities.
public struct DecisionCurve: Sendable, Equatable {
    /// The threshold probabilities, in (0, 1).
    public var thresholds: [Double]
    /// The model's net benefit at each threshold.
    public var model: [Double]
    /// Treating every case.
    public var treatAll: [Double]
    /// Treating no case: 0 at every threshold.
    public var treatNone: [Double] { thresholds.map { _ in 0 } }

    /// The curve of `data` at `thresholds` (by default 0.01, 0.02, ..., 0.99).
    public init(_ data: BinaryScores, thresholds: [Double] = (1...99).map { Double($0) / 100 }) throws {
        for t in thresholds where !(t > 0 && t < 1) {
            throw MetricsError.outOfRange(what: "decision-curve threshold", value: t, range: "(0, 1)")
        }
        guard data.count > 0 else { throw MetricsError.tooFewCases(what: "decision curve", needed: 1, actual: 0) }
        let n = Double(data.count)
        let prevalence = Double(data.positiveCount) / n
        self.thresholds = thresholds
        model = thresholds.map { pt in
            var (tp, fp) = (0.0, 0.0)
            for (score, positive) in zip(data.scores, data.labels) where score >= pt {
                if positive { tp += 1 } else { fp += 1 }
            }
            return tp / n - fp / n * pt / (1 - pt)
        }
        treatAll = thresholds.map { pt in prevalence - (1 - prevalence) * pt / (1 - pt) }
    }
}
