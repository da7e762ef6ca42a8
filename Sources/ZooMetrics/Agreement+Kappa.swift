// Agreement between readers on binary (or categorical) reads: Cohen's kappa for two readers,
// Fleiss' kappa for three or more (Fleiss 1971), as the parotid study checks its radiologists.

extension Agreement {
    /// Cohen's kappa of two readers' categorical reads of the same cases:
    /// (p_observed - p_expected) / (1 - p_expected), p_expected from each reader's marginals.
    public static func cohenKappa(_ a: [Int], _ b: [Int]) throws -> Double {
        try requireLength(b.count, a.count, "the two readers' reads")
        guard !a.isEmpty else { throw MetricsError.tooFewCases(what: "Cohen's kappa", needed: 1, actual: 0) }
        let n = Double(a.count)
        let categories = Set(a + b)
        let observed = Double(zip(a, b).filter { $0 == $1 }.count) / n
        let expected = categories.reduce(0.0) { sum, c in
            sum + Double(a.filter { $0 == c }.count) / n * Double(b.filter { $0 == c }.count) / n
        }
        guard expected < 1 else {
            throw MetricsError.undefined(what: "Cohen's kappa", reason: "both readers give one category to every case")
        }
        return (observed - expected) / (1 - expected)
    }

    /// Fleiss' kappa of `reads[reader][case]` (every reader reads every case).
    public static func fleissKappa(_ reads: [[Int]]) throws -> Double {
        guard reads.count >= 2 else { throw MetricsError.tooFewCases(what: "Fleiss' kappa (readers)", needed: 2, actual: reads.count) }
        let cases = reads[0].count
        for r in reads { try requireLength(r.count, cases, "each reader's reads") }
        guard cases > 0 else { throw MetricsError.tooFewCases(what: "Fleiss' kappa", needed: 1, actual: 0) }
        let categories = Array(Set(reads.flatMap { $0 })).sorted()
        let m = Double(reads.count)
        var proportions = [Double](repeating: 0, count: categories.count)
        var agreement = 0.0
        for i in 0..<cases {
            let counts = categories.map { c in Double(reads.filter { $0[i] == c }.count) }
            for (k, count) in counts.enumerated() { proportions[k] += count }
            agreement += (counts.reduce(0) { $0 + $1 * $1 } - m) / (m * (m - 1))
        }
        let pBar = agreement / Double(cases)
        let pExpected = proportions.reduce(0) { $0 + pow2($1 / (Double(cases) * m)) }
        guard pExpected < 1 else {
            throw MetricsError.undefined(what: "Fleiss' kappa", reason: "every read of every reader is one category")
        }
        return (pBar - pExpected) / (1 - pExpected)
    }

    private static func pow2(_ x: Double) -> Double { x * x }
}
