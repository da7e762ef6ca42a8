// The pieces ZooUNet builds its networks from: instance normalization and the average of
// the deep-supervision heads (layers ZooNN does not have), dimension-generic constructors for
// the 2D/3D layer pairs, and the record that lists the layers in Keras's `model.layers` order.
//
// Instance normalization (Ulyanov, Vedaldi, Lempitsky, "Instance Normalization: The Missing
// Ingredient for Fast Stylization", arXiv:1607.08022) is Keras's `GroupNormalization` with one
// group per channel, so it takes that Keras class name and its weight names; epsilon is
// 1e-5, PyTorch's and MONAI's `InstanceNorm` default.
import ZooCore
import ZooNN
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

/// Keras `Average`: the element-wise mean of its inputs (U-Net++'s "accurate mode").
public final class Average: Layer {
    public init(name: String? = nil) {
        super.init(named: name ?? BuildContext.automaticName("average"))
    }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        try commonShape(shapes, atLeast: 1)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first, inputs.allSatisfy({ $0.shape == first.shape }) else {
            throw LayerError(
                layer: name, "Average needs inputs of one shape, got \(inputs.map(\.shape))")
        }
        var sum = first
        for input in inputs.dropFirst() { sum = try sum + input }
        return sum * (1 / Float(inputs.count))
    }
}

/// The 2D or 3D member of each layer pair, so one assembly serves slices and volumes.
enum SpatialLayers {
    static func conv(
        _ dims: Int, filters: Int, kernel: Int, inputChannels: Int, padding: Padding = .same,
        name: String
    ) -> Layer {
        dims == 2
            ? Conv2D(
                filters: filters, kernelSize: [kernel], inputChannels: inputChannels,
                padding: padding, name: name)
            : Conv3D(
                filters: filters, kernelSize: [kernel], inputChannels: inputChannels,
                padding: padding, name: name)
    }

    static func transpose(_ dims: Int, filters: Int, inputChannels: Int, name: String) -> Layer {
        dims == 2
            ? Conv2DTranspose(
                filters: filters, kernelSize: [2], inputChannels: inputChannels, strides: [2],
                name: name)
            : Conv3DTranspose(
                filters: filters, kernelSize: [2], inputChannels: inputChannels, strides: [2],
                name: name)
    }

    static func maxPool(_ dims: Int, name: String) -> Layer {
        dims == 2
            ? MaxPooling2D(poolSize: [2], name: name) : MaxPooling3D(poolSize: [2], name: name)
    }
}
