// DeLong's nonparametric variance of the AUC and the tests built on it, computed with the
// fast algorithm of Sun and Xu (2014, IEEE Signal Processing Letters 21:1389-1393): the
// placement values come from midranks, so the cost is O(n log n) instead of O(m n).
// Conventions follow pROC (Robin et al., 2011) so that its numbers are reproduced.
//
// DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated
// receiver operating characteristic curves: a nonparametric approach. Biometrics
// 1988;44:837-845.

/// The AUC with its DeLong variance and confidence interval.
public struct AUCInterval: Sendable, Equatable {
    /// The AUC (Mann-Whitney).
    public var auc: Double
    /// DeLong's variance estimate of the AUC.
    public var variance: Double
    /// Lower limit, auc - z sqrt(variance), clamped to 0 as pROC does.
    public var lower: Double
    /// Upper limit, auc + z sqrt(variance), clamped to 1 as pROC does.
    public var upper: Double
    /// The confidence level (0.95).
    public var level: Double
}

/// A two-sided test of equal AUCs.
public struct AUCComparison: Sendable, Equatable {
    /// AUC of the first model.
    public var auc1: Double
    /// AUC of the second model.
    public var auc2: Double
    /// The test statistic (z for the paired test, t for the unpaired one).
    public var statistic: Double
    /// Degrees of freedom of the unpaired t statistic; nil for the paired z test.
    public var degreesOfFreedom: Double?
    /// Two-sided p-value.
    public var p: Double
    /// The DeLong variances of the two AUCs and their covariance (paired test; nil for the
    /// unpaired one, whose variances are the sets' own).
    public var variance1: Double? = nil
    public var variance2: Double? = nil
    public var covariance: Double? = nil
}

/// DeLong's method for the AUC.
public enum DeLong {
    /// The structural components: AUC, one placement value per positive (V10, the fraction of
    /// negatives it outscores) and per negative (V01, the fraction of positives outscoring it).
    public struct Placements: Sendable {
        /// The AUC, equal to the mean of either placement vector.
        public var auc: Double
        /// V10 for each positive case, in input order.
        public var positives: [Double]
        /// V01 for each negative case, in input order.
        public var negatives: [Double]
    }

    /// Placement values by Sun and Xu's midrank identity: for positive i,
    /// V10_i = (rank of x_i among all - rank of x_i among positives) / n, and for negative j,
    /// V01_j = 1 - (rank of y_j among all - rank of y_j among negatives) / m.
    public static func placements(_ data: BinaryScores) throws -> Placements {
        try data.requireBothClasses("DeLong placements")
        let x = data.positiveScores
        let y = data.negativeScores
        let m = Double(x.count)
        let n = Double(y.count)
        let all = midranks(x + y)
        let rx = midranks(x)
        let ry = midranks(y)
        let v10 = x.indices.map { (all[$0] - rx[$0]) / n }
        let v01 = y.indices.map { 1 - (all[x.count + $0] - ry[$0]) / m }
        let auc = v10.reduce(0, +) / m
        return Placements(auc: auc, positives: v10, negatives: v01)
    }

    /// DeLong's variance of the AUC: S10/m + S01/n, with S10 and S01 the sample variances
    /// (denominator m-1, n-1) of the placements. Needs at least two cases of each class.
    public static func variance(_ data: BinaryScores) throws -> Double {
        let p = try placements(data)
        try requireTwoPerClass(p)
        return sampleCovariance(p.positives, p.positives) / Double(p.positives.count)
            + sampleCovariance(p.negatives, p.negatives) / Double(p.negatives.count)
    }

    /// AUC ± z sqrt(variance), as pROC's `ci.auc(method = "delong")`, limits clamped to
    /// [0, 1] as pROC clamps them.
    public static func confidenceInterval(_ data: BinaryScores, level: Double = 0.95) throws
        -> AUCInterval
    {
        let z = try Normal.critical(level: level)
        let p = try placements(data)
        let v = try variance(data)
        let half = z * v.squareRoot()
        return AUCInterval(
            auc: p.auc, variance: v, lower: max(0, p.auc - half), upper: min(1, p.auc + half),
            level: level)
    }

    /// The paired test of two models scored on the same cases (pROC's `roc.test`, method
    /// "delong", paired): z = (A1 - A2) / sqrt(V1 + V2 - 2 C), with C the DeLong covariance;
    /// p = 2 P(Z > |z|).
    public static func pairedTest(_ first: BinaryScores, _ second: BinaryScores) throws
        -> AUCComparison
    {
        guard first.labels == second.labels else {
            throw MetricsError.undefined(
                what: "paired DeLong test",
                reason: "the two models must be scored on the same cases with the same labels")
        }
        let a = try placements(first)
        let b = try placements(second)
        try requireTwoPerClass(a)
        let m = Double(a.positives.count)
        let n = Double(a.negatives.count)
        func component(_ u: Placements, _ v: Placements) -> Double {
            sampleCovariance(u.positives, v.positives) / m + sampleCovariance(
                u.negatives, v.negatives) / n
        }
        let varianceOfDifference = component(a, a) + component(b, b) - 2 * component(a, b)
        let difference = a.auc - b.auc
        guard varianceOfDifference > 0 else {
            // Identical rankings: pROC reports z = NaN here; say why instead.
            throw MetricsError.undefined(
                what: "paired DeLong test",
                reason:
                    "the variance of the AUC difference is zero (the two models rank the cases identically)"
            )
        }
        let z = difference / varianceOfDifference.squareRoot()
        return AUCComparison(
            auc1: a.auc, auc2: b.auc, statistic: z, degreesOfFreedom: nil, p: Normal.twoSidedP(z),
            variance1: component(a, a), variance2: component(b, b), covariance: component(a, b))
    }

    /// Paired test from one label vector and two score vectors.
    public static func pairedTest(scores1: [Double], scores2: [Double], labels: [Bool]) throws
        -> AUCComparison
    {
        try requireLength(scores2.count, scores1.count, "scores of the two models")
        return try pairedTest(
            BinaryScores(scores: scores1, labels: labels),
            BinaryScores(scores: scores2, labels: labels))
    }

    /// The unpaired test of two models on different cases, as pROC's `roc.test(paired = FALSE,
    /// method = "delong")`: t = (A1 - A2) / sqrt(V1 + V2) referred to Student's t with
    /// Welch-Satterthwaite degrees of freedom df = (V1 + V2)^2 / (V1^2/(N1-1) + V2^2/(N2-1)),
    /// N the total number of cases of each set.
    public static func unpairedTest(_ first: BinaryScores, _ second: BinaryScores) throws
        -> AUCComparison
    {
        let v1 = try variance(first)
        let v2 = try variance(second)
        let a1 = try ROCCurve.auc(first)
        let a2 = try ROCCurve.auc(second)
        guard v1 + v2 > 0 else {
            throw MetricsError.undefined(
                what: "unpaired DeLong test",
                reason: "both AUC variances are zero (perfect separation)")
        }
        let t = (a1 - a2) / (v1 + v2).squareRoot()
        let df =
            (v1 + v2) * (v1 + v2)
            / (v1 * v1 / Double(first.count - 1) + v2 * v2 / Double(second.count - 1))
        return AUCComparison(
            auc1: a1, auc2: a2, statistic: t, degreesOfFreedom: df,
            p: try StudentT.twoSidedP(t, degreesOfFreedom: df))
    }

    private static func requireTwoPerClass(_ p: Placements) throws {
        let fewest = min(p.positives.count, p.negatives.count)
        if fewest < 2 {
            throw MetricsError.tooFewCases(
                what: "DeLong variance (per class)", needed: 2, actual: fewest)
        }
    }
}

/// Sample covariance with denominator count - 1 (R's `var`/`cov`).
func sampleCovariance(_ a: [Double], _ b: [Double]) -> Double {
    let count = Double(a.count)
    let meanA = a.reduce(0, +) / count
    let meanB = b.reduce(0, +) / count
    var sum = 0.0
    for (u, v) in zip(a, b) { sum += (u - meanA) * (v - meanB) }
    return sum / (count - 1)
}
