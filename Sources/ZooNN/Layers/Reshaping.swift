import ZooCore
import ZooTensor

/// Keras's input placeholder: the first entry of a functional model's `layers`, no weights.
/// It checks the shape of what comes in (batch excluded).
public final class InputLayer: Layer {
    /// The expected shape without the batch axis; nil extents accept any size.
    public let shape: [Int?]

    public init(shape: [Int?], name: String? = nil) {
        self.shape = shape
        super.init(named: name ?? BuildContext.automaticName("input_layer"))
    }

    /// An input layer is a graph's source: its output is its declared shape.
    public override func computeOutputShape(inputs inputShapes: [[Int?]]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let matches = x.rank == shape.count + 1 && zip(x.shape.dropFirst(), shape).allSatisfy { $1 == nil || $0 == $1 }
        guard matches else {
            let expected = "(batch, " + shape.map { $0.map(String.init) ?? "any" }.joined(separator: ", ") + ")"
            throw LayerError(layer: name, "expects input \(expected), got \(x.shape)")
        }
        return x
    }
}

/// A model's input (Keras's `keras.Input`): the symbolic output of a new input layer, which a
/// functional model starts from. `shape` excludes the batch; nil extents accept any size, the
/// channel extent must be known.
public func Input(shape: [Int?], name: String? = nil) throws -> SymbolicTensor {
    let layer = InputLayer(shape: shape, name: name)
    return try GraphNode(operation: layer, inputs: [], outputShapes: [shape]).outputs[0]
}

/// Keras `ZeroPadding2D/3D`: zeros before and after each spatial axis.
public final class ZeroPadding: Layer, SpatialZeroPadding {
    public let padding: [(before: Int, after: Int)]

    /// `padding` holds one (before, after) pair per spatial axis.
    public init(_ padding: [(before: Int, after: Int)], name: String? = nil) {
        self.padding = padding
        super.init(named: name ?? BuildContext.automaticName("zero_padding\(padding.count)d"))
    }

    /// The same padding on both sides of every axis of a 2D (or 3D) input.
    public convenience init(symmetric amount: Int, spatialDims: Int = 2, name: String? = nil) {
        self.init([(before: Int, after: Int)](repeating: (amount, amount), count: spatialDims), name: name)
    }

    public override var kerasClassName: String { "ZeroPadding\(padding.count)D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: padding.count, channels: nil)
        return padding.enumerated().map { axis, pad in shape[axis].map { $0 + pad.before + pad.after } } + [shape.last!]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == padding.count + 2 else {
            throw LayerError(layer: name, "\(kerasClassName) expects rank \(padding.count + 2), got \(x.shape)")
        }
        return try x.padded([(0, 0)] + padding + [(0, 0)])
    }
}

/// Keras `UpSampling2D/3D`: nearest (repeat) or bilinear/trilinear with half-pixel centres.
public final class UpSampling: Layer {
    public let size: [Int]
    public let interpolation: Interpolation

    public init(size: [Int], interpolation: Interpolation = .nearest, name: String? = nil) {
        self.size = size
        self.interpolation = interpolation
        super.init(named: name ?? BuildContext.automaticName("up_sampling\(size.count)d"))
    }

    public override var kerasClassName: String { "UpSampling\(size.count)D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: size.count, channels: nil)
        return size.enumerated().map { axis, factor in shape[axis].map { $0 * factor } } + [shape.last!]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == size.count + 2 else {
            throw LayerError(layer: name, "\(kerasClassName) expects rank \(size.count + 2), got \(x.shape)")
        }
        return try upsample(x, factors: size, interpolation: interpolation)
    }
}

/// Keras `Flatten`: (N, ...) -> (N, product).
public final class Flatten: Layer {
    public init(name: String? = nil) { super.init(named: name ?? BuildContext.automaticName("flatten")) }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        guard shape.allSatisfy({ $0 != nil }) else {
            throw LayerError(layer: name, "Flatten needs an input of fixed size, got \(SymbolicTensor.describe(shape))")
        }
        return [shape.compactMap { $0 }.reduce(1, *)]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1 else { throw LayerError(layer: name, "Flatten needs a batch axis, got \(x.shape)") }
        return try x.reshaped([x.shape[0], -1])
    }
}

/// Keras `Rescaling`: x * scale + offset.
public final class Rescaling: Layer {
    /// One value, or one per channel.
    public let scale: [Float]
    public let offset: [Float]

    public init(scale: Float, offset: Float = 0, name: String? = nil) {
        self.scale = [scale]
        self.offset = [offset]
        super.init(named: name ?? BuildContext.automaticName("rescaling"))
    }

    /// Per-channel scale and offset (Keras's lists); a list of one applies to every channel.
    public init(scales: [Float], offsets: [Float], name: String? = nil) {
        scale = scales
        offset = offsets
        super.init(named: name ?? BuildContext.automaticName("rescaling"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        for values in [scale, offset] where values.count > 1 {
            guard let channels = shape.last, channels == nil || channels == values.count else {
                throw LayerError(layer: name, "Rescaling with \(values.count) per-channel values does not fit the input \(SymbolicTensor.describe(shape))")
            }
        }
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        if scale.count == 1, offset.count == 1 { return x.affine(scale: scale[0], shift: offset[0]) }
        return try x * Tensor(shape: [scale.count], scalars: scale) + Tensor(shape: [offset.count], scalars: offset)
    }
}

/// Keras `Cropping2D/3D`: rows (and slices, columns) removed before and after each spatial axis.
public final class Cropping: Layer {
    public let cropping: [(before: Int, after: Int)]

    public init(_ cropping: [(before: Int, after: Int)], name: String? = nil) {
        self.cropping = cropping
        super.init(named: name ?? BuildContext.automaticName("cropping\(cropping.count)d"))
    }

    public override var kerasClassName: String { "Cropping\(cropping.count)D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: cropping.count, channels: nil)
        return try cropping.enumerated().map { axis, crop -> Int? in
            guard let extent = shape[axis] else { return nil }
            guard extent - crop.before - crop.after > 0 else {
                throw LayerError(layer: name, "cropping \(crop.before) + \(crop.after) leaves nothing of extent \(extent) (input \(SymbolicTensor.describe(shape)))")
            }
            return extent - crop.before - crop.after
        } + [shape.last!]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == cropping.count + 2 else {
            throw LayerError(layer: name, "\(kerasClassName) expects rank \(cropping.count + 2), got \(x.shape)")
        }
        let ranges = [0..<x.shape[0]] + cropping.enumerated().map { axis, crop in crop.before..<(x.shape[axis + 1] - crop.after) } + [0..<x.shape[x.rank - 1]]
        return try x.sliced(ranges)
    }
}

/// Keras `Reshape`: the sample's values in a new shape (batch kept; one extent may be -1).
public final class Reshape: Layer {
    public let targetShape: [Int]

    public init(targetShape: [Int], name: String? = nil) {
        self.targetShape = targetShape
        super.init(named: name ?? BuildContext.automaticName("reshape"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        let known = targetShape.filter { $0 != -1 }.reduce(1, *)
        guard targetShape.filter({ $0 == -1 }).count <= 1, known > 0 else {
            throw LayerError(layer: name, "Reshape's target \(targetShape) needs positive extents and at most one -1")
        }
        guard let total = shape.reduce(Optional(1), { product, extent in product.flatMap { p in extent.map { p * $0 } } }) else {
            return targetShape.map { $0 == -1 ? nil : $0 }
        }
        guard total % known == 0, targetShape.contains(-1) || total == known else {
            throw LayerError(layer: name, "cannot reshape \(SymbolicTensor.describe(shape)) (\(total) values) to \(targetShape)")
        }
        return targetShape.map { $0 == -1 ? total / known : $0 }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.reshaped([x.shape[0]] + targetShape)
    }
}

/// Keras `Permute`: the sample's axes reordered; `dims` counts them from 1, as Keras does.
public final class Permute: Layer {
    public let dims: [Int]

    public init(dims: [Int], name: String? = nil) {
        self.dims = dims
        super.init(named: name ?? BuildContext.automaticName("permute"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        guard dims.sorted() == Array(1...shape.count) else {
            throw LayerError(layer: name, "Permute's dims \(dims) are not a permutation of 1...\(shape.count) (input \(SymbolicTensor.describe(shape)))")
        }
        return dims.map { shape[$0 - 1] }
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try x.permuted([0] + dims) }
}

/// Keras `Dropout`: inverted dropout in training mode, the identity otherwise. Each layer has
/// its own generator, seeded from the build context, whose state checkpoints can save.
public final class Dropout: Layer, RandomizedLayer {
    public let rate: Float
    public var random: RandomGenerator

    public init(rate: Float, name: String? = nil) {
        self.rate = rate
        random = RandomGenerator(seed: BuildContext.nextSeed())
        super.init(named: name ?? BuildContext.automaticName("dropout"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining else { return x }
        return try dropout(x, rate: rate, using: &random)
    }
}
