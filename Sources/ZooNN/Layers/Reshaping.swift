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
public final class ZeroPadding: Layer {
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
    public let scale: Float
    public let offset: Float

    public init(scale: Float, offset: Float = 0, name: String? = nil) {
        self.scale = scale
        self.offset = offset
        super.init(named: name ?? BuildContext.automaticName("rescaling"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor { x.affine(scale: scale, shift: offset) }
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
