import ZooTensor

/// An image (HWC) or a volume (DHWC) of Float32 values, channels last: the layout of one
/// element of an NHWC or NDHWC batch.
///
/// A value type rather than a `Tensor`: samples are decoded and augmented on background
/// threads, and an array of floats is `Sendable` and copy-on-write, where a tensor is a
/// reference into an autograd graph. `tensor()` makes the tensor when a batch is assembled.
public struct ImageArray: Equatable, Sendable {
    /// Extents: [height, width, channels] or [depth, height, width, channels].
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public var values: [Float]

    /// An array of `shape` holding `values` (their count must match).
    public init(shape: [Int], values: [Float]) {
        precondition(shape.count == 3 || shape.count == 4, "ImageArray: shape must be HWC or DHWC, got \(shape)")
        precondition(shape.reduce(1, *) == values.count, "ImageArray: \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// An array of `shape` filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, values: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// Copies a tensor of shape HWC or DHWC (a batch element).
    public init(_ tensor: Tensor) throws {
        guard tensor.rank == 3 || tensor.rank == 4 else {
            throw DataError("ImageArray", "a tensor of shape \(tensor.shape) is not HWC or DHWC")
        }
        self.init(shape: tensor.shape, values: tensor.scalars)
    }

    /// The number of spatial axes: 2 for an image, 3 for a volume.
    public var spatialRank: Int { shape.count - 1 }
    /// The spatial extents: [height, width] or [depth, height, width].
    public var spatialShape: [Int] { Array(shape.dropLast()) }
    /// The number of channels.
    public var channels: Int { shape[shape.count - 1] }
    /// Whether this is a volume (DHWC).
    public var isVolume: Bool { shape.count == 4 }
    /// The number of voxels (spatial positions).
    public var voxelCount: Int { spatialShape.reduce(1, *) }

    /// A tensor holding a copy of the values.
    public func tensor() -> Tensor {
        // The shape and count are valid by construction, so this cannot fail.
        try! Tensor(shape: shape, scalars: values)
    }

    /// The smallest and largest value (0, 0 when empty).
    public var range: (min: Float, max: Float) {
        values.withUnsafeBufferPointer { buffer in
            guard var low = buffer.first else { return (0, 0) }
            var high = low
            for value in buffer {
                low = Swift.min(low, value)
                high = Swift.max(high, value)
            }
            return (low, high)
        }
    }
}
