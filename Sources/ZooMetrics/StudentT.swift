// Student's t distribution, needed because pROC's unpaired DeLong test refers its statistic
// to a t distribution with Welch-Satterthwaite degrees of freedom. The CDF is the regularized
// incomplete beta function, evaluated by its continued fraction (modified Lentz).

import Foundation

/// Student's t distribution with `degreesOfFreedom` (any positive real).
public enum StudentT {
    /// Two-sided p-value 2 P(T > |t|).
    public static func twoSidedP(_ t: Double, degreesOfFreedom df: Double) throws -> Double {
        guard df > 0, df.isFinite else {
            throw MetricsError.outOfRange(what: "degrees of freedom", value: df, range: "(0, inf)")
        }
        // P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2).
        return regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// I_x(a, b), the regularized incomplete beta function.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        // The continued fraction converges fast for x < (a+1)/(a+b+2); else use the symmetry.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d
            if abs(d) < tiny { d = tiny }
            c = 1 + even / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d
            if abs(d) < tiny { d = tiny }
            c = 1 + odd / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}
