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
