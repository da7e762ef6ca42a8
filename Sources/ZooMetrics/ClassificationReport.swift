// Per-class precision, recall and F1 of predicted classes against true ones, with their macro
// and support-weighted averages: the table scikit-learn's `classification_report` prints and
// the LIDC study reports.

/// Precision, recall, F1 and support of one class (or an average over classes).
public struct ClassScores: Sendable, Equatable {
    /// TP / (TP + FP); 0 when the class was never predicted (scikit-learn's zero_division=0).
    public var precision: Double
    /// TP / (TP + FN); 0 when the class never occurs.
    public var recall: Double
    /// 2PR / (P + R); 0 when both are 0.
    public var f1: Double
    /// Cases of the class (the sum over classes for an average).
    public var support: Int
}

/// The classification report of `predicted` against `truth` over `classCount` classes.
public struct ClassificationReport: Sendable, Equatable {
    /// One entry per class, in class order.
    public var classes: [ClassScores]
    /// The unweighted mean over classes.
    public var macro: ClassScores
    /// The mean over classes weighted by their support.
    public var weighted: ClassScores
    /// Correct predictions over all cases.
    public var accuracy: Double

    public init(predicted: [Int], truth: [Int], classCount: Int) throws {
        try requireLength(predicted.count, truth.count, "predicted and true classes")
        guard !truth.isEmpty else { throw MetricsError.tooFewCases(what: "classification report", needed: 1, actual: 0) }
        guard classCount >= 2 else { throw MetricsError.undefined(what: "classification report", reason: "needs at least two classes") }
        for label in predicted + truth where !(0..<classCount).contains(label) {
            throw MetricsError.invalidLabel(what: "classification report", value: label, allowed: "0..<\(classCount)")
        }
        var truePositives = [Int](repeating: 0, count: classCount)
        var predictedCount = truePositives, support = truePositives
        for (p, t) in zip(predicted, truth) {
            predictedCount[p] += 1
            support[t] += 1
            if p == t { truePositives[p] += 1 }
        }
        let classes = (0..<classCount).map { k in
            let precision = predictedCount[k] > 0 ? Double(truePositives[k]) / Double(predictedCount[k]) : 0
            let recall = support[k] > 0 ? Double(truePositives[k]) / Double(support[k]) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassScores(precision: precision, recall: recall, f1: f1, support: support[k])
        }
        let total = truth.count
        func average(_ weight: (ClassScores) -> Double) -> ClassScores {
            let weights = classes.map(weight)
            let sum = weights.reduce(0, +)
            func mean(_ value: (ClassScores) -> Double) -> Double {
                zip(classes, weights).reduce(0) { $0 + value($1.0) * $1.1 } / sum
            }
            return ClassScores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1), support: total)
        }
        self.classes = classes
        macro = average { _ in 1 }
        weighted = average { Double($0.support) }
        accuracy = Double(truePositives.reduce(0, +)) / Double(total)
    }
}

extension AUCInterval {
    /// The two-sided p-value of the AUC against 0.5 (no discrimination), from its DeLong
    /// variance: z = (AUC - 0.5) / sqrt(variance).
    public var pAgainstChance: Double {
        guard variance > 0 else { return auc == 0.5 ? 1 : 0 }
        return Normal.twoSidedP((auc - 0.5) / variance.squareRoot())
    }
}
