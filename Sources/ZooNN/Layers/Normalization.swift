// Normalizations beside batch normalization.
//
// Instance normalization (Ulyanov, Vedaldi, Lempitsky, "Instance Normalization: The Missing
// Ingredient for Fast Stylization", arXiv:1607.08022) is Keras's `GroupNormalization` with one
// group per channel, so it takes that Keras class name and its weight names; epsilon is
// 1e-5, PyTorch's and MONAI's `InstanceNorm` default. U-Net's `normalization: instance`.
import ZooCore
import ZooTensor

/// Per-sample, per-channel normalization over the spatial axes, with a learned scale `gamma`
/// and offset `beta` per channel. It keeps no moving statistics: training and inference
/// compute the same thing, which suits the batch sizes of 1-2 volumes that 3D U-Nets train on.
public final class InstanceNormalization: Layer {
    public let channels: Int
    public var epsilon: Float

    public var gamma: Parameter { parameters[0] }
    public var beta: Parameter { parameters[1] }

    public init(channels: Int, epsilon: Float = 1e-5, name: String? = nil) {
        self.channels = channels
        self.epsilon = epsilon
        super.init(named: name ?? BuildContext.automaticName("group_normalization"))
        addParameter("gamma", BuildContext.make(.ones, [channels]))
        addParameter("beta", BuildContext.make(.zeros, [channels]))
    }

    /// Keras expresses instance normalization as `GroupNormalization(groups=-1)`.
    public override var kerasClassName: String { "GroupNormalization" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: nil, channels: channels)
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 3, x.shape.last == channels else {
            throw LayerError(
                layer: name,
                "InstanceNormalization expects (batch, spatial..., \(channels)), got \(x.shape)")
        }
        let spatialAxes = Array(1..<(x.rank - 1))
        // Written with differentiable tensor ops, so autograd derives the backward pass.
        let centered = try x - x.mean(axes: spatialAxes, keepingDims: true)
        let variance = try (centered * centered).mean(axes: spatialAxes, keepingDims: true)
        let normalized = try centered / (variance + epsilon).sqrt()
        return try normalized * gamma.value + beta.value
    }
}

/// Keras `LayerNormalization` over the last axis: per sample and position, the features
/// centred and scaled to unit variance, then `gamma` and `beta` (each optional).
public final class LayerNormalization: Layer {
    public let features: Int
    public let epsilon: Float
    public let center: Bool
    public let scale: Bool

    public var gamma: Parameter? { scale ? parameters[0] : nil }
    public var beta: Parameter? { center ? parameters[scale ? 1 : 0] : nil }

    public init(features: Int, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, name: String? = nil) {
        self.features = features
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        super.init(named: name ?? BuildContext.automaticName("layer_normalization"))
        if scale { addParameter("gamma", BuildContext.make(.ones, [features])) }
        if center { addParameter("beta", BuildContext.make(.zeros, [features])) }
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: nil, channels: features)
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let last = x.rank - 1
        let centered = try x - x.mean(axes: [last], keepingDims: true)
        let variance = try (centered * centered).mean(axes: [last], keepingDims: true)
        var y = try centered / (variance + epsilon).sqrt()
        if let gamma { y = try y * gamma.value }
        if let beta { y = try y + beta.value }
        return y
    }
}

/// Keras `Normalization` (the preprocessing layer, adapted to a dataset): each feature of the
/// last axis standardized with its mean and variance, (x - mean) / max(sqrt(variance), 1e-7), or
/// the inverse with `invert`. Adapted statistics are buffers (`mean`, `variance`, `count`, as
/// Keras stores them); statistics given in the configuration are constants, not weights.
public final class Normalization: Layer {
    public let features: Int
    public let invert: Bool
    /// The configuration's statistics (one value, or one per feature); nil: the buffers.
    public let constants: (mean: [Float], variance: [Float])?

    /// The adapted statistics (nil for statistics given as values).
    public var mean: Parameter? { constants == nil ? parameters[0] : nil }
    public var variance: Parameter? { constants == nil ? parameters[1] : nil }

    /// Adapted statistics, loaded as weights.
    public init(features: Int, invert: Bool = false, name: String? = nil) {
        self.features = features
        self.invert = invert
        constants = nil
        super.init(named: name ?? BuildContext.automaticName("normalization"))
        addParameter("mean", BuildContext.make(.zeros, [features]), kind: .buffer)
        addParameter("variance", BuildContext.make(.ones, [features]), kind: .buffer)
        addParameter("count", BuildContext.make(.zeros, []), kind: .buffer)
    }

    /// Statistics given as values (Keras's `Normalization(mean=..., variance=...)`).
    public init(features: Int, mean: [Float], variance: [Float], invert: Bool = false, name: String? = nil) {
        self.features = features
        self.invert = invert
        constants = (mean, variance)
        super.init(named: name ?? BuildContext.automaticName("normalization"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: nil, channels: features)
        for values in [constants?.mean, constants?.variance].compactMap({ $0 }) where values.count != 1 && values.count != features {
            throw LayerError(layer: name, "Normalization's \(values.count) statistics do not fit \(features) features")
        }
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let (mean, variance) = try constants.map {
            (try Tensor(shape: [$0.mean.count], scalars: $0.mean), try Tensor(shape: [$0.variance.count], scalars: $0.variance))
        } ?? (parameters[0].value, parameters[1].value)
        // Keras's floor on the deviation: backend.epsilon().
        let deviation = try Tensor.maximum(variance.sqrt(), Tensor(Float(1e-7)))
        return invert ? try x * deviation + mean : try (x - mean) / deviation
    }
}
