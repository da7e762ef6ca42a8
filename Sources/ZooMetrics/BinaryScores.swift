// The input of every binary classification metric: one score per case and its true class,
// validated once on construction so that the metrics themselves need not re-check.

/// Scores of one model on a set of cases with their true binary labels. A higher score means
/// "more likely positive" (Zoo never flips the direction the way pROC's `direction = "auto"`
/// can: an AUC below 0.5 is reported as it is).
public struct BinaryScores: Sendable, Equatable {
    /// One finite score per case.
    public let scores: [Double]
    /// `true` for a positive case (disease, malignant, event).
    public let labels: [Bool]

    /// Validates that the arrays are non-empty, parallel and finite.
    public init(scores: [Double], labels: [Bool]) throws {
        try requireLength(labels.count, scores.count, "scores and labels")
        guard !scores.isEmpty else {
            throw MetricsError.tooFewCases(what: "binary scores", needed: 1, actual: 0)
        }
        try requireFinite(scores, "scores")
        self.scores = scores
        self.labels = labels
    }

    /// Labels given as integers: 1 is positive, 0 negative; anything else is an error.
    public init(scores: [Double], labels: [Int]) throws {
        let flags = try labels.map { label -> Bool in
            guard label == 0 || label == 1 else {
                throw MetricsError.invalidLabel(
                    what: "binary labels", value: label, allowed: "{0, 1}")
            }
            return label == 1
        }
        try self.init(scores: scores, labels: flags)
    }

    /// Number of cases.
    public var count: Int { scores.count }
    /// Scores of the positive cases, in input order.
    public var positiveScores: [Double] { zip(scores, labels).filter { $0.1 }.map { $0.0 } }
    /// Scores of the negative cases, in input order.
    public var negativeScores: [Double] { zip(scores, labels).filter { !$0.1 }.map { $0.0 } }
    /// Number of positive cases.
    public var positiveCount: Int { labels.lazy.filter { $0 }.count }
    /// Number of negative cases.
    public var negativeCount: Int { count - positiveCount }

    /// Throws `singleClass` unless both classes are present; `what` names the statistic.
    public func requireBothClasses(_ what: String) throws {
        let positives = positiveCount
        if positives == 0 { throw MetricsError.singleClass(what: what, present: "negatives") }
        if positives == count { throw MetricsError.singleClass(what: what, present: "positives") }
    }

    /// The cases at `indices` (repeats allowed), as a bootstrap resample needs.
    public func subset(_ indices: [Int]) -> BinaryScores {
        BinaryScores(unchecked: indices.map { scores[$0] }, indices.map { labels[$0] })
    }

    /// For subsets of already validated data.
    init(unchecked scores: [Double], _ labels: [Bool]) {
        self.scores = scores
        self.labels = labels
    }
}
