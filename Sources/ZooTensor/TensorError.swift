/// An error raised by a tensor operation. Its description names the operation and the shapes
/// involved, so that a mistake in a model definition points at the layer that made it.
public struct TensorError: Error, CustomStringConvertible, Equatable {
    /// The operation that refused its input, e.g. `"add"` or `"conv2d"`.
    public let op: String
    /// What was wrong, in words, with the shapes.
    public let message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }

    static func shapes(_ op: String, _ what: String, _ lhs: [Int], _ rhs: [Int]) -> TensorError {
        TensorError(op, "\(what): \(lhs) and \(rhs)")
    }
}

/// Formats a shape as `[2, 3, 4]`.
@inline(__always) func describe(_ shape: [Int]) -> String { "\(shape)" }

extension Array where Element == Int {
    /// The number of elements of a tensor of this shape.
    @inline(__always) var elementCount: Int { reduce(1, *) }

    /// Row-major strides of a contiguous tensor of this shape.
    var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: count)
        var running = 1
        for axis in stride(from: count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= self[axis]
        }
        return strides
    }
}

/// Resolves a possibly negative axis against a rank, or throws naming the op.
func normalizeAxis(_ axis: Int, rank: Int, op: String) throws -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < rank else {
        throw TensorError(op, "axis \(axis) is out of range for rank \(rank)")
    }
    return resolved
}
