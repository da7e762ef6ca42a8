// Threshold metrics: the 2x2 table at one operating point and the rates read from it. A case
// is called positive when its score is >= the threshold (pROC's rule for direction "<").
// A rate whose denominator is zero throws instead of returning NaN or 0.

/// How to choose the operating point.
public enum ThresholdRule: Sendable, Equatable {
    /// A fixed probability threshold in 0...1 (0.5 is the usual default).
    case fixed(Double)
    /// The threshold maximizing Youden's J = sensitivity + specificity - 1; among ties, the
    /// highest threshold (the most specific operating point).
    case youden
    /// The highest threshold whose sensitivity reaches the target (so specificity is as high
    /// as it can be at that sensitivity).
    case sensitivity(Double)
}

/// The 2x2 table of predictions against truth at one threshold.
public struct ConfusionMatrix: Sendable, Equatable {
    /// Positives called positive.
    public var truePositives: Int
    /// Negatives called positive.
    public var falsePositives: Int
    /// Negatives called negative.
    public var trueNegatives: Int
    /// Positives called negative.
    public var falseNegatives: Int
    /// The threshold used (score >= threshold is called positive).
    public var threshold: Double

    /// A table from its four counts.
    public init(
        truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int,
        threshold: Double = .nan
    ) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
        self.threshold = threshold
    }

    /// The table of `data` at the threshold chosen by `rule`.
    public init(_ data: BinaryScores, rule: ThresholdRule = .fixed(0.5)) throws {
        let threshold = try ConfusionMatrix.threshold(data, rule: rule)
        self.init(data, threshold: threshold)
    }

    /// The table at a given threshold (score >= threshold is positive).
    public init(_ data: BinaryScores, threshold: Double) {
        var tp = 0
        var fp = 0
        var tn = 0
        var fn = 0
        for (score, label) in zip(data.scores, data.labels) {
            switch (score >= threshold, label) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
        }
        self.init(
            truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn,
            threshold: threshold)
    }

    /// The threshold `rule` selects on `data`.
    public static func threshold(_ data: BinaryScores, rule: ThresholdRule) throws -> Double {
        switch rule {
        case .fixed(let t):
            guard t.isFinite, (0...1).contains(t) else {
                throw MetricsError.outOfRange(what: "threshold", value: t, range: "0...1")
            }
            return t
        case .youden:
            try data.requireBothClasses("Youden's J")
            var best = (j: -Double.infinity, threshold: Double.infinity)
            // Candidates from high to low, so a tie keeps the higher threshold.
            for point in try ROCCurve(data).points where point.threshold.isFinite {
                let j = point.truePositiveRate - point.falsePositiveRate
                if j > best.j + 1e-12 { best = (j, point.threshold) }
            }
            return best.threshold
        case .sensitivity(let target):
            guard target.isFinite, (0...1).contains(target) else {
                throw MetricsError.outOfRange(
                    what: "target sensitivity", value: target, range: "0...1")
            }
            try data.requireBothClasses("threshold at a target sensitivity")
            // Sensitivity only grows as the threshold falls: the first point reaching it wins.
            for point in try ROCCurve(data).points
            where point.threshold.isFinite && point.truePositiveRate >= target - 1e-12 {
                return point.threshold
            }
            return data.scores.min()!
        }
    }

    /// Number of cases.
    public var total: Int { truePositives + falsePositives + trueNegatives + falseNegatives }

    /// (TP + TN) / all.
    public var accuracy: Double {
        get throws { try ratio(truePositives + trueNegatives, total, "accuracy", "no cases") }
    }
    /// TP / (TP + FN), the true-positive rate or recall.
    public var sensitivity: Double {
        get throws {
            try ratio(
                truePositives, truePositives + falseNegatives, "sensitivity", "no positive cases")
        }
    }
    /// TN / (TN + FP), the true-negative rate.
    public var specificity: Double {
        get throws {
            try ratio(
                trueNegatives, trueNegatives + falsePositives, "specificity", "no negative cases")
        }
    }
    /// TP / (TP + FP), the positive predictive value or precision.
    public var positivePredictiveValue: Double {
        get throws {
            try ratio(
                truePositives, truePositives + falsePositives, "PPV", "no case called positive")
        }
    }
    /// TN / (TN + FN), the negative predictive value.
    public var negativePredictiveValue: Double {
        get throws {
            try ratio(
                trueNegatives, trueNegatives + falseNegatives, "NPV", "no case called negative")
        }
    }
    /// 2 TP / (2 TP + FP + FN), the harmonic mean of PPV and sensitivity.
    public var f1: Double {
        get throws {
            try ratio(
                2 * truePositives, 2 * truePositives + falsePositives + falseNegatives, "F1",
                "no positive case and none called positive")
        }
    }
    /// (sensitivity + specificity) / 2.
    public var balancedAccuracy: Double {
        get throws { (try sensitivity + specificity) / 2 }
    }
    /// FP / (FP + TN) = 1 - specificity.
    public var falsePositiveRate: Double {
        get throws {
            try ratio(
                falsePositives, falsePositives + trueNegatives, "false-positive rate",
                "no negative cases")
        }
    }

    private func ratio(_ numerator: Int, _ denominator: Int, _ what: String, _ reason: String)
        throws
        -> Double
    {
        guard denominator > 0 else { throw MetricsError.undefined(what: what, reason: reason) }
        return Double(numerator) / Double(denominator)
    }
}
