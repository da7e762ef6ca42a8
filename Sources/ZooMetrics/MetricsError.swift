// The one error type of ZooMetrics. Every precondition a metric relies on is checked and
// reported here by name, so that bad input never turns into a silent number (NaN, 0, 1).

/// What is wrong with the input of a metric or statistic.
public enum MetricsError: Error, Equatable, CustomStringConvertible {
    /// Two arrays that must be parallel (scores and labels, two models' scores, masks) differ
    /// in length.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A value is NaN or infinite; `index` is its position in the input.
    case notFinite(what: String, index: Int)
    /// The labels hold one class only, so the quantity (AUC, sensitivity, ...) is undefined.
    case singleClass(what: String, present: String)
    /// A threshold or probability outside its range.
    case outOfRange(what: String, value: Double, range: String)
    /// Two masks or label maps have different shapes.
    case shapeMismatch(what: String, expected: [Int], actual: [Int])
    /// A shape, spacing or label layout that cannot be used (wrong rank, non-positive size).
    case invalidShape(what: String, reason: String)
    /// The input is empty, or too small for the statistic (e.g. a variance from one case).
    case tooFewCases(what: String, needed: Int, actual: Int)
    /// A label that is not one of the allowed classes.
    case invalidLabel(what: String, value: Int, allowed: String)
    /// Any other argument that makes the statistic undefined, with the reason.
    case undefined(what: String, reason: String)

    /// A sentence naming what is wrong.
    public var description: String {
        switch self {
        case .lengthMismatch(let what, let expected, let actual):
            return "\(what): lengths differ (expected \(expected), got \(actual))"
        case .notFinite(let what, let index):
            return "\(what): value at index \(index) is NaN or infinite"
        case .singleClass(let what, let present):
            return "\(what) is undefined: the labels contain only \(present)"
        case .outOfRange(let what, let value, let range):
            return "\(what) = \(value) is outside \(range)"
        case .shapeMismatch(let what, let expected, let actual):
            return "\(what): shapes differ (\(expected) vs \(actual))"
        case .invalidShape(let what, let reason):
            return "\(what): \(reason)"
        case .tooFewCases(let what, let needed, let actual):
            return "\(what) needs at least \(needed) cases, got \(actual)"
        case .invalidLabel(let what, let value, let allowed):
            return "\(what): label \(value) is not one of \(allowed)"
        case .undefined(let what, let reason):
            return "\(what) is undefined: \(reason)"
        }
    }
}

/// Throws `notFinite` at the first NaN or infinity of `values`.
func requireFinite(_ values: [Double], _ what: String) throws {
    if let index = values.firstIndex(where: { !$0.isFinite }) {
        throw MetricsError.notFinite(what: what, index: index)
    }
}

/// Throws `lengthMismatch` unless `actual == expected`.
func requireLength(_ actual: Int, _ expected: Int, _ what: String) throws {
    if actual != expected {
        throw MetricsError.lengthMismatch(what: what, expected: expected, actual: actual)
    }
}
