import Foundation

// Logistic regression by iteratively reweighted least squares (Newton-Raphson on the
// log-likelihood), as R's glm(family = binomial) fits it: the same start and convergence rule
// on the deviance (|dev - dev_old| / (|dev| + 0.1) < 1e-8, at most 25 iterations), the
// coefficients' standard errors from the inverse information of the last step, Wald z and
// two-sided p. Used for the
// clinical-variable model that studies report beside image models.

/// A fitted logistic model: P(y = 1 | x) = 1 / (1 + exp(-(b0 + b . x))).
public struct LogisticModel: Sendable, Equatable {
    /// The intercept first, then one coefficient per variable.
    public var coefficients: [Double]
    public var standardErrors: [Double]
    public var deviance: Double
    public var iterations: Int

    public var z: [Double] { zip(coefficients, standardErrors).map { $0 / $1 } }
    public var p: [Double] { z.map(Normal.twoSidedP) }

    /// The probability of y = 1 for each row of `x`.
    public func probabilities(_ x: [[Double]]) -> [Double] {
        x.map { row in
            let eta = coefficients[0] + zip(coefficients.dropFirst(), row).reduce(0) { $0 + $1.0 * $1.1 }
            return 1 / (1 + exp(-eta))
        }
    }
}

public enum LogisticRegression {
    /// Fits `y` on the rows of `x` (cases x variables) with an intercept.
    public static func fit(_ x: [[Double]], _ y: [Bool]) throws -> LogisticModel {
        try requireLength(y.count, x.count, "outcomes and rows")
        let variables = x.first?.count ?? 0
        let k = variables + 1
        guard x.count > k else { throw MetricsError.tooFewCases(what: "logistic regression", needed: k + 1, actual: x.count) }
        for (i, row) in x.enumerated() {
            guard row.count == variables else { throw MetricsError.lengthMismatch(what: "row \(i) of the variables", expected: variables, actual: row.count) }
            if let bad = row.firstIndex(where: { !$0.isFinite }) { throw MetricsError.notFinite(what: "variable \(bad) of row \(i)", index: i) }
        }
        guard y.contains(true), y.contains(false) else {
            throw MetricsError.singleClass(what: "logistic regression", present: y.contains(true) ? "positives" : "negatives")
        }
        let design = x.map { [1] + $0 }
        var beta = [Double](repeating: 0, count: k)
        // glm's start: the fitted means (y + 0.5) / 2, i.e. eta = logit of those.
        var mu = y.map { ($0 ? 1.0 : 0.0) * 0.5 + 0.25 }
        var eta = mu.map { log($0 / (1 - $0)) }
        var deviance = Self.deviance(y, mu)
        for iteration in 1...25 {
            // Weighted least squares on the working response z = eta + (y - mu) / w.
            var information = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            var score = [Double](repeating: 0, count: k)
            for (i, row) in design.enumerated() {
                let w = mu[i] * (1 - mu[i])
                guard w > 1e-300 else { continue }
                let z = eta[i] + ((y[i] ? 1 : 0) - mu[i]) / w
                for a in 0..<k {
                    score[a] += row[a] * w * z
                    for b in 0..<k { information[a][b] += row[a] * w * row[b] }
                }
            }
            beta = try solve(information, score)
            eta = design.map { row in zip(row, beta).reduce(0) { $0 + $1.0 * $1.1 } }
            mu = eta.map { 1 / (1 + exp(-$0)) }
            let next = Self.deviance(y, mu)
            defer { deviance = next }
            if abs(next - deviance) / (abs(next) + 0.1) < 1e-8 {
                // As glm's summary: the covariance of the last weighted least-squares step
                // (weights of the fitted values before it).
                let covariance = try inverse(information)
                if mu.contains(where: { $0 < 1e-10 || $0 > 1 - 1e-10 }) {
                    throw MetricsError.undefined(
                        what: "logistic regression", reason: "the outcome is (quasi-)separated by the variables: fitted probabilities of 0 or 1")
                }
                return LogisticModel(
                    coefficients: beta, standardErrors: (0..<k).map { covariance[$0][$0].squareRoot() }, deviance: next, iterations: iteration)
            }
        }
        throw MetricsError.undefined(what: "logistic regression", reason: "did not converge in 25 iterations (separated outcome?)")
    }

    static func deviance(_ y: [Bool], _ mu: [Double]) -> Double {
        -2 * zip(y, mu).reduce(0) { $0 + ($1.0 ? log(Swift.max($1.1, 1e-300)) : log(Swift.max(1 - $1.1, 1e-300))) }
    }

    /// Gaussian elimination with partial pivoting; a singular system (collinear variables) is
    /// an error.
    static func solve(_ matrix: [[Double]], _ vector: [Double]) throws -> [Double] {
        let n = vector.count
        var a = matrix, b = vector
        for column in 0..<n {
            let pivot = (column..<n).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            guard abs(a[pivot][column]) > 1e-12 else {
                throw MetricsError.undefined(what: "logistic regression", reason: "the variables are collinear (a singular information matrix)")
            }
            a.swapAt(column, pivot)
            b.swapAt(column, pivot)
            for row in (column + 1)..<n {
                let factor = a[row][column] / a[column][column]
                for c in column..<n { a[row][c] -= factor * a[column][c] }
                b[row] -= factor * b[column]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            let rest = ((row + 1)..<n).reduce(0) { $0 + a[row][$1] * x[$1] }
            x[row] = (b[row] - rest) / a[row][row]
        }
        return x
    }

    static func inverse(_ matrix: [[Double]]) throws -> [[Double]] {
        let n = matrix.count
        let columns = try (0..<n).map { column in try solve(matrix, (0..<n).map { $0 == column ? 1 : 0 }) }
        return (0..<n).map { row in (0..<n).map { columns[$0][row] } }
    }
}
