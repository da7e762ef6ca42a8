// Agreement of a measurement (a tumour volume) between two methods across cases: Pearson's
// correlation and Bland-Altman's bias and 95% limits of agreement.
//
// Bland JM, Altman DG. Statistical methods for assessing agreement between two methods of
// clinical measurement. Lancet 1986;1(8476):307-310.

/// Bland-Altman analysis of paired measurements a and b (difference a - b).
public struct BlandAltman: Sendable, Equatable {
    /// Mean difference a - b.
    public var bias: Double
    /// Sample standard deviation (n - 1) of the differences.
    public var standardDeviation: Double
    /// bias - z sd (z = 1.959964 for 95%).
    public var lowerLimit: Double
    /// bias + z sd.
    public var upperLimit: Double
}

/// Agreement statistics between two measurement methods.
public enum Agreement {
    /// Pearson's product-moment correlation of paired values.
    public static func pearson(_ a: [Double], _ b: [Double]) throws -> Double {
        try validate(a, b, needed: 2, what: "Pearson correlation")
        let va = sampleCovariance(a, a)
        let vb = sampleCovariance(b, b)
        guard va > 0, vb > 0 else {
            throw MetricsError.undefined(
                what: "Pearson correlation", reason: "one of the series is constant")
        }
        return sampleCovariance(a, b) / (va * vb).squareRoot()
    }

    /// Bias and limits of agreement of a against b at `level` (0.95 gives bias ± 1.96 sd).
    public static func blandAltman(_ a: [Double], _ b: [Double], level: Double = 0.95) throws
        -> BlandAltman
    {
        try validate(a, b, needed: 2, what: "Bland-Altman analysis")
        let differences = zip(a, b).map { $0 - $1 }
        let bias = differences.reduce(0, +) / Double(differences.count)
        let sd = sampleCovariance(differences, differences).squareRoot()
        let z = try Normal.critical(level: level)
        return BlandAltman(
            bias: bias, standardDeviation: sd, lowerLimit: bias - z * sd, upperLimit: bias + z * sd)
    }

    private static func validate(_ a: [Double], _ b: [Double], needed: Int, what: String) throws {
        try requireLength(b.count, a.count, what)
        try requireFinite(a, "\(what), first series")
        try requireFinite(b, "\(what), second series")
        if a.count < needed {
            throw MetricsError.tooFewCases(what: what, needed: needed, actual: a.count)
        }
    }
}
