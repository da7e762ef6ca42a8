import ZooCore
import ZooTensor

/// Spreads a size given once over every spatial axis, as Keras accepts `kernel_size=3`.
func spatial(_ values: [Int], _ dims: Int) -> [Int] {
    values.count == 1 ? [Int](repeating: values[0], count: dims) : values
}

extension Layer {
    /// Checks a channels-last input's rank and channel count against what the layer was built for.
    func checkInput(_ x: Tensor, spatialDims: Int, channels: Int) throws {
        guard x.rank == spatialDims + 2, x.shape.last == channels else {
            let layout = spatialDims == 2 ? "(batch, height, width, \(channels))" : "(batch, depth, height, width, \(channels))"
            throw LayerError(layer: name, "\(kerasClassName) expects \(layout), got \(x.shape)")
        }
    }
}

/// What Keras's convolutions and transposed convolutions share: the geometry and the weights
/// `kernel` (spatial..., in, filters; transposed: spatial..., filters, in) and `bias` (filters).
public class KernelLayer: Layer {
    public let spatialDims: Int
    public let filters: Int
    public let inputChannels: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public let dilations: [Int]
    public let useBias: Bool

    public var kernel: Parameter { parameters[0] }
    public var bias: Parameter? { useBias ? parameters[1] : nil }

    init(
        spatialDims: Int, filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int], padding: Padding,
        dilations: [Int], useBias: Bool, transposed: Bool, kernelInitializer: Initializer, name: String
    ) {
        self.spatialDims = spatialDims
        self.filters = filters
        self.inputChannels = inputChannels
        self.kernelSize = spatial(kernelSize, spatialDims)
        self.strides = spatial(strides, spatialDims)
        self.padding = padding
        self.dilations = spatial(dilations, spatialDims)
        self.useBias = useBias
        super.init(named: name)
        let channels = transposed ? [filters, inputChannels] : [inputChannels, filters]
        addParameter("kernel", BuildContext.make(kernelInitializer, self.kernelSize + channels))
        if useBias { addParameter("bias", BuildContext.make(.zeros, [filters])) }
    }
}

/// Keras `Conv2D` / `Conv3D`.
public class Convolution: KernelLayer {
    public var activation: ActivationFunction

    init(
        spatialDims: Int, filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int], padding: Padding,
        dilations: [Int], useBias: Bool, activation: ActivationFunction, kernelInitializer: Initializer, name: String?
    ) {
        self.activation = activation
        super.init(
            spatialDims: spatialDims, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels,
            strides: strides, padding: padding, dilations: dilations, useBias: useBias, transposed: false,
            kernelInitializer: kernelInitializer,
            name: name ?? BuildContext.automaticName(spatialDims == 2 ? "conv2d" : "conv3d"))
    }

    public override var kerasClassName: String { spatialDims == 2 ? "Conv2D" : "Conv3D" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: spatialDims, channels: inputChannels)
        return try windowedShape(shape, kernel: kernelSize, strides: strides, dilations: dilations, padding: padding, channels: filters)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x, spatialDims: spatialDims, channels: inputChannels)
        let y = spatialDims == 2
            ? try conv2d(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding, dilations: dilations)
            : try conv3d(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding, dilations: dilations)
        return try activation.apply(y)
    }
}

/// Keras `Conv2D`.
public final class Conv2D: Convolution {
    public init(
        filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int] = [1], padding: Padding = .valid,
        dilations: [Int] = [1], useBias: Bool = true, activation: ActivationFunction = .linear,
        kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        super.init(
            spatialDims: 2, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels, strides: strides,
            padding: padding, dilations: dilations, useBias: useBias, activation: activation,
            kernelInitializer: kernelInitializer, name: name)
    }
}

/// Keras `Conv3D`.
public final class Conv3D: Convolution {
    public init(
        filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int] = [1], padding: Padding = .valid,
        dilations: [Int] = [1], useBias: Bool = true, activation: ActivationFunction = .linear,
        kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        super.init(
            spatialDims: 3, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels, strides: strides,
            padding: padding, dilations: dilations, useBias: useBias, activation: activation,
            kernelInitializer: kernelInitializer, name: name)
    }
}

/// Keras `Conv2DTranspose` / `Conv3DTranspose`.
public class TransposedConvolution: KernelLayer {
    init(
        spatialDims: Int, filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int], padding: Padding,
        useBias: Bool, kernelInitializer: Initializer, name: String?
    ) {
        super.init(
            spatialDims: spatialDims, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels,
            strides: strides, padding: padding, dilations: [1], useBias: useBias, transposed: true,
            kernelInitializer: kernelInitializer,
            name: name ?? BuildContext.automaticName(spatialDims == 2 ? "conv2d_transpose" : "conv3d_transpose"))
    }

    public override var kerasClassName: String { spatialDims == 2 ? "Conv2DTranspose" : "Conv3DTranspose" }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: spatialDims, channels: inputChannels)
        return try windowedShape(
            shape, kernel: kernelSize, strides: strides, dilations: dilations, padding: padding, channels: filters,
            transposed: true)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x, spatialDims: spatialDims, channels: inputChannels)
        return spatialDims == 2
            ? try conv2dTranspose(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding)
            : try conv3dTranspose(x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding)
    }
}

/// Keras `Conv2DTranspose`.
public final class Conv2DTranspose: TransposedConvolution {
    public init(
        filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int] = [1], padding: Padding = .valid,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        super.init(
            spatialDims: 2, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels, strides: strides,
            padding: padding, useBias: useBias, kernelInitializer: kernelInitializer, name: name)
    }
}

/// Keras `Conv3DTranspose`.
public final class Conv3DTranspose: TransposedConvolution {
    public init(
        filters: Int, kernelSize: [Int], inputChannels: Int, strides: [Int] = [1], padding: Padding = .valid,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        super.init(
            spatialDims: 3, filters: filters, kernelSize: kernelSize, inputChannels: inputChannels, strides: strides,
            padding: padding, useBias: useBias, kernelInitializer: kernelInitializer, name: name)
    }
}

/// Keras `DepthwiseConv2D`: `depthwise_kernel` (h, w, in, multiplier), `bias` (in * multiplier).
/// The weight keeps its Keras 2 name, which the HDF5 weight files of Keras Applications use.
public final class DepthwiseConv2D: Layer {
    public let inputChannels: Int
    public let depthMultiplier: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public let dilations: [Int]
    public let useBias: Bool

    public var kernel: Parameter { parameters[0] }
    public var bias: Parameter? { useBias ? parameters[1] : nil }

    public init(
        kernelSize: [Int], inputChannels: Int, depthMultiplier: Int = 1, strides: [Int] = [1],
        padding: Padding = .valid, dilations: [Int] = [1], useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        self.inputChannels = inputChannels
        self.depthMultiplier = depthMultiplier
        self.kernelSize = spatial(kernelSize, 2)
        self.strides = spatial(strides, 2)
        self.padding = padding
        self.dilations = spatial(dilations, 2)
        self.useBias = useBias
        super.init(named: name ?? BuildContext.automaticName("depthwise_conv2d"))
        addParameter("depthwise_kernel", BuildContext.make(depthwiseInitializer, self.kernelSize + [inputChannels, depthMultiplier]))
        if useBias { addParameter("bias", BuildContext.make(.zeros, [inputChannels * depthMultiplier])) }
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: 2, channels: inputChannels)
        return try windowedShape(
            shape, kernel: kernelSize, strides: strides, dilations: dilations, padding: padding,
            channels: inputChannels * depthMultiplier)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x, spatialDims: 2, channels: inputChannels)
        return try depthwiseConv2d(
            x, kernel: kernel.value, bias: bias?.value, strides: strides, padding: padding, dilations: dilations)
    }
}

/// Keras `SeparableConv2D`: a depthwise convolution then a 1x1 convolution; weights
/// `depthwise_kernel`, `pointwise_kernel` (1, 1, in * multiplier, filters), `bias`.
public final class SeparableConv2D: Layer {
    public let inputChannels: Int
    public let filters: Int
    public let depthMultiplier: Int
    public let kernelSize: [Int]
    public let strides: [Int]
    public let padding: Padding
    public let dilations: [Int]
    public let useBias: Bool

    public var depthwiseKernel: Parameter { parameters[0] }
    public var pointwiseKernel: Parameter { parameters[1] }
    public var bias: Parameter? { useBias ? parameters[2] : nil }

    public init(
        filters: Int, kernelSize: [Int], inputChannels: Int, depthMultiplier: Int = 1, strides: [Int] = [1],
        padding: Padding = .valid, dilations: [Int] = [1], useBias: Bool = true, name: String? = nil
    ) {
        self.inputChannels = inputChannels
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.kernelSize = spatial(kernelSize, 2)
        self.strides = spatial(strides, 2)
        self.padding = padding
        self.dilations = spatial(dilations, 2)
        self.useBias = useBias
        super.init(named: name ?? BuildContext.automaticName("separable_conv2d"))
        addParameter("depthwise_kernel", BuildContext.make(.glorotUniform, self.kernelSize + [inputChannels, depthMultiplier]))
        addParameter("pointwise_kernel", BuildContext.make(.glorotUniform, [1, 1, inputChannels * depthMultiplier, filters]))
        if useBias { addParameter("bias", BuildContext.make(.zeros, [filters])) }
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: 2, channels: inputChannels)
        return try windowedShape(shape, kernel: kernelSize, strides: strides, dilations: dilations, padding: padding, channels: filters)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x, spatialDims: 2, channels: inputChannels)
        let depthwise = try depthwiseConv2d(
            x, kernel: depthwiseKernel.value, strides: strides, padding: padding, dilations: dilations)
        return try conv2d(depthwise, kernel: pointwiseKernel.value, bias: bias?.value)
    }
}

/// Keras `Conv1D` on sequences (batch, steps, channels): the 2D convolution of a one-row image,
/// its kernel stored as Keras stores it, (kernel, in, out).
public final class Conv1D: Layer {
    public let filters: Int
    public let inputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let dilation: Int
    public let padding: Padding
    public let useBias: Bool
    public var activation: ActivationFunction

    public var kernel: Parameter { parameters[0] }
    public var bias: Parameter? { useBias ? parameters[1] : nil }

    public init(
        filters: Int, kernelSize: Int, inputChannels: Int, stride: Int = 1, padding: Padding = .valid, dilation: Int = 1,
        useBias: Bool = true, activation: ActivationFunction = .linear, kernelInitializer: Initializer = .glorotUniform, name: String? = nil
    ) {
        self.filters = filters
        self.inputChannels = inputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.dilation = dilation
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
        super.init(named: name ?? BuildContext.automaticName("conv1d"))
        addParameter("kernel", BuildContext.make(kernelInitializer, [kernelSize, inputChannels, filters]))
        if useBias { addParameter("bias", BuildContext.make(.zeros, [filters])) }
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        try checkShape(shape, spatialDims: 1, channels: inputChannels)
        return try windowedShape(shape, kernel: [kernelSize], strides: [stride], dilations: [dilation], padding: padding, channels: filters)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == inputChannels else {
            throw LayerError(layer: name, "Conv1D expects (batch, steps, \(inputChannels)), got \(x.shape)")
        }
        let image = try x.reshaped([x.shape[0], 1, x.shape[1], inputChannels])
        let kernel2D = try kernel.value.reshaped([1, kernelSize, inputChannels, filters])
        let y = try conv2d(image, kernel: kernel2D, bias: bias?.value, strides: [1, stride], padding: padding, dilations: [1, dilation])
        return try activation.apply(try y.reshaped([y.shape[0], y.shape[2], filters]))
    }
}
