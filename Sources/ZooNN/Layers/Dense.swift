import ZooCore
import ZooTensor

/// Keras `Dense`: `kernel` (in, units) then `bias` (units), applied to the last axis.
public final class Dense: Layer {
    public let units: Int
    public let inputFeatures: Int
    public var activation: ActivationFunction
    public let useBias: Bool

    public var kernel: Parameter { parameters[0] }
    public var bias: Parameter? { useBias ? parameters[1] : nil }

    public init(
        units: Int, inputFeatures: Int, activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        self.units = units
        self.inputFeatures = inputFeatures
        self.activation = activation
        self.useBias = useBias
        super.init(named: name ?? BuildContext.automaticName("dense"))
        addParameter("kernel", BuildContext.make(kernelInitializer, [inputFeatures, units]))
        if useBias { addParameter("bias", BuildContext.make(.zeros, [units])) }
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: nil, channels: inputFeatures)
        return shape.dropLast() + [units]
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2, x.shape.last == inputFeatures else {
            throw LayerError(layer: name, "Dense expects (..., \(inputFeatures)) features, got \(x.shape)")
        }
        var y = try Tensor.matmul(x, kernel.value)
        if let bias { y = try y + bias.value }
        return try activation.apply(y)
    }
}
