import ZooCore
import ZooTensor

/// Keras `BatchNormalization` over the channel (last) axis: weights `gamma`, `beta`, and the
/// buffers `moving_mean`, `moving_variance`, in Keras's order. Keras's defaults: momentum 0.99,
/// epsilon 1e-3. In training mode it normalizes with the batch statistics and updates the
/// moving ones; frozen (Keras `trainable = False`) or in inference mode it uses the moving
/// statistics and leaves them alone, as Keras does since 2.1.
public final class BatchNormalization: Layer {
    public let channels: Int
    public var momentum: Float
    public var epsilon: Float
    public let center: Bool
    public let scale: Bool

    public var gamma: Parameter? { scale ? parameters[0] : nil }
    public var beta: Parameter? { center ? parameters[scale ? 1 : 0] : nil }
    public var movingMean: Parameter { parameters[parameters.count - 2] }
    public var movingVariance: Parameter { parameters[parameters.count - 1] }

    public init(
        channels: Int, momentum: Float = 0.99, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        name: String? = nil
    ) {
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        super.init(named: name ?? BuildContext.automaticName("batch_normalization"))
        if scale { addParameter("gamma", BuildContext.make(.ones, [channels])) }
        if center { addParameter("beta", BuildContext.make(.zeros, [channels])) }
        addParameter("moving_mean", BuildContext.make(.zeros, [channels]), kind: .buffer)
        addParameter("moving_variance", BuildContext.make(.ones, [channels]), kind: .buffer)
    }

    /// Whether the batch statistics are used (and the moving ones updated).
    public var usesBatchStatistics: Bool { isTraining && !isFrozen }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: nil, channels: channels)
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape.last == channels else {
            throw LayerError(layer: name, "BatchNormalization expects (..., \(channels)), got \(x.shape)")
        }
        let statistics = BatchNormStatistics(movingMean: movingMean.value, movingVariance: movingVariance.value)
        return try batchNorm(
            x, gamma: gamma?.value, beta: beta?.value, statistics: statistics, training: usesBatchStatistics,
            momentum: momentum, epsilon: epsilon)
    }
}
