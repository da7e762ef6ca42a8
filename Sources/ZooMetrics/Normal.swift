// The standard normal distribution, written out because ZooMetrics depends on Foundation only
// (swift-numerics is not a dependency). The CDF goes through the C library's erfc, accurate in
// both tails; the quantile starts from Acklam's rational approximation (relative error about
// 1e-9) and takes one Halley step on erfc, which brings it to full double precision.

import Foundation

/// The standard normal distribution N(0, 1).
public enum Normal {
    /// P(Z <= x).
    public static func cdf(_ x: Double) -> Double {
        0.5 * erfc(-x / 2.0.squareRoot())
    }

    /// P(Z > x), computed directly so that small upper tails keep their precision.
    public static func survival(_ x: Double) -> Double {
        0.5 * erfc(x / 2.0.squareRoot())
    }

    /// The density exp(-x^2/2)/sqrt(2 pi).
    public static func pdf(_ x: Double) -> Double {
        exp(-0.5 * x * x) / (2 * Double.pi).squareRoot()
    }

    /// Two-sided p-value of a z statistic: 2 P(Z > |z|).
    public static func twoSidedP(_ z: Double) -> Double {
        2 * survival(abs(z))
    }

    /// The x with P(Z <= x) = p (-inf at 0, +inf at 1); throws outside 0...1.
    public static func quantile(_ p: Double) throws -> Double {
        guard p >= 0, p <= 1 else {
            throw MetricsError.outOfRange(
                what: "normal quantile probability", value: p, range: "0...1")
        }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        var x = acklam(p)
        // One Halley step on f(x) = cdf(x) - p: cubic convergence from ~1e-9.
        let e = cdf(x) - p
        let u = e / pdf(x)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// The two-sided critical value z with P(|Z| <= z) = level (1.959964 for 0.95).
    public static func critical(level: Double) throws -> Double {
        guard level > 0, level < 1 else {
            throw MetricsError.outOfRange(what: "confidence level", value: level, range: "(0, 1)")
        }
        return try quantile(1 - (1 - level) / 2)
    }

    /// Acklam's approximation of the normal quantile (central rational part and two tails).
    static func acklam(_ p: Double) -> Double {
        let a = [
            -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
        ]
        let b = [
            -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01,
        ]
        let c = [
            -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
        ]
        let d = [
            7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00,
        ]
        func tail(_ q: Double) -> Double {
            let numerator = ((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]
            return numerator / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let low = 0.02425
        if p < low { return tail((-2 * log(p)).squareRoot()) }
        if p > 1 - low { return -tail((-2 * log(1 - p)).squareRoot()) }
        let q = p - 0.5
        let r = q * q
        let numerator = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        return numerator / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
