/// A mistake in the data handed to a plot, stated plainly.
public enum PlotError: Error, Equatable, CustomStringConvertible {
    /// A series or value of the wrong shape.
    case invalidInput(what: String, reason: String)
    /// Parallel arrays of different lengths.
    case lengthMismatch(what: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .invalidInput(let what, let reason): return "\(what): \(reason)"
        case .lengthMismatch(let what, let expected, let actual): return "\(what): lengths differ, \(expected) and \(actual)"
        }
    }
}
