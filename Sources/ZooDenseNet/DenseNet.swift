// Densely Connected Convolutional Networks (Gao Huang, Zhuang Liu, Laurens van der Maaten,
// Kilian Q. Weinberger; arXiv:1608.06993), DenseNet-BC as keras.applications builds it.
//
// Layers, names, order and shapes are Keras's (`densenet.py`), so Keras weight files load by
// name: growth rate 32, a 4x-growth bottleneck in each conv block, transition layers that halve
// the channels (compression 0.5), batch-norm epsilon 1.001e-5, no convolution biases. The two
// zero paddings of the stem are unnamed in Keras and keep its automatic names
// (`zero_padding2d`, `zero_padding2d_1`). No deliberate deviation.
//
// The model is built inside `BuildContext.freshNames`, features and top in one scope, so the
// unnamed layers are named as a freshly started Keras program names them.
import ZooCore
import ZooNN
import ZooTensor

extension DenseNet {
    /// A DenseNet variant: how many conv blocks each of the four dense blocks holds (the
    /// paper's Table 1).
    public struct Configuration: Sendable, Equatable {
        public let name: String
        public let blocks: [Int]

        public init(name: String, blocks: [Int]) {
            self.name = name
            self.blocks = blocks
        }

        public static let densenet121 = Configuration(name: "densenet121", blocks: [6, 12, 24, 16])
        public static let densenet201 = Configuration(name: "densenet201", blocks: [6, 12, 48, 32])
    }

    /// Channels each conv block adds.
    public static let growthRate = 32
    /// The fraction of channels a transition layer keeps.
    public static let compression = 0.5
    /// Keras's DenseNet epsilon, which its ImageNet weights were trained with.
    static let epsilon: Float = 1.001e-5
}

/// One conv block of a dense block (Keras `conv_block`, e.g. `conv2_block1`): BN-ReLU-1x1 conv
/// to 4k channels, BN-ReLU-3x3 conv to k channels, then the result joined to the input.
final class DenseConvBlock: Model {
    let norm0, norm1: BatchNormalization
    let relu0, relu1: Activation
    let bottleneck, conv: Conv2D
    let concat: Concatenate

    init(name: String, inputChannels: Int, growthRate: Int) {
        norm0 = BatchNormalization(channels: inputChannels, epsilon: DenseNet.epsilon, name: "\(name)_0_bn")
        relu0 = Activation(.relu, name: "\(name)_0_relu")
        bottleneck = Conv2D(
            filters: 4 * growthRate, kernelSize: [1], inputChannels: inputChannels, useBias: false,
            name: "\(name)_1_conv")
        norm1 = BatchNormalization(channels: 4 * growthRate, epsilon: DenseNet.epsilon, name: "\(name)_1_bn")
        relu1 = Activation(.relu, name: "\(name)_1_relu")
        conv = Conv2D(
            filters: growthRate, kernelSize: [3], inputChannels: 4 * growthRate, padding: .same,
            useBias: false, name: "\(name)_2_conv")
        concat = Concatenate(axis: -1, name: "\(name)_concat")
        super.init(name: name, isScope: false)
        for layer in [norm0, relu0, bottleneck, norm1, relu1, conv, concat] as [Layer] { add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let new = try conv(relu1(norm1(bottleneck(relu0(norm0(x))))))
        return try concat([x, new])
    }
}

/// A transition layer (Keras `transition_block`, e.g. `pool2`): BN-ReLU, a 1x1 convolution to
/// the compressed width, 2x2 average pooling.
func transitionLayer(name: String, inputChannels: Int, outputChannels: Int) -> Sequential {
    Sequential(name: name, [
        BatchNormalization(channels: inputChannels, epsilon: DenseNet.epsilon, name: "\(name)_bn"),
        Activation(.relu, name: "\(name)_relu"),
        Conv2D(
            filters: outputChannels, kernelSize: [1], inputChannels: inputChannels, useBias: false,
            name: "\(name)_conv"),
        AveragePooling2D(poolSize: [2], strides: [2], name: "\(name)_pool"),
    ])
}

/// DenseNet as `keras.applications.DenseNet121/201`: the stem, four dense blocks joined by
/// transition layers, a final BN-ReLU (`relu`, Grad-CAM's layer), and the top the options ask
/// for (`avg_pool` and `predictions` by default).
public final class DenseNet: ApplicationModel {
    public let configuration: Configuration
    private var stem: Sequential!
    private var stages: [Model] = []
    private var finalNorm: BatchNormalization!
    private var finalRelu: Activation!

    /// Builds `configuration` with `options`; `variant` supplies the default and minimum input.
    public init(
        _ configuration: Configuration, variant: ArchitectureVariant, options: ArchitectureOptions
    ) throws {
        self.configuration = configuration
        let input = try variant.resolvedInput(options)
        super.init(name: configuration.name, inputShape: input, options: options)
        try BuildContext.freshNames { try buildLayers(input: input) }
    }

    /// The layers in Keras's `model.layers` order, tracking channels and spatial extents.
    private func buildLayers(input: [Int]) throws {
        var size = Array(input.prefix(2))
        var channels = 64
        stem = add(Sequential(name: "stem", [
            ZeroPadding([(3, 3), (3, 3)]),
            Conv2D(
                filters: 64, kernelSize: [7], inputChannels: input[2], strides: [2], useBias: false,
                name: "conv1_conv"),
            BatchNormalization(channels: 64, epsilon: DenseNet.epsilon, name: "conv1_bn"),
            Activation(.relu, name: "conv1_relu"),
            ZeroPadding([(1, 1), (1, 1)]),
            MaxPooling2D(poolSize: [3], strides: [2], name: "pool1"),
        ]))
        size = size.map { outputExtent($0 + 6, kernel: 7, stride: 2) }
        size = size.map { outputExtent($0 + 2, kernel: 3, stride: 2) }

        for (stage, blocks) in configuration.blocks.enumerated() {
            for block in 1...blocks {
                let name = "conv\(stage + 2)_block\(block)"
                stages.append(add(DenseConvBlock(
                    name: name, inputChannels: channels, growthRate: DenseNet.growthRate)))
                channels += DenseNet.growthRate
            }
            if stage < configuration.blocks.count - 1 {
                let compressed = Int(Double(channels) * DenseNet.compression)
                stages.append(add(transitionLayer(
                    name: "pool\(stage + 2)", inputChannels: channels, outputChannels: compressed)))
                channels = compressed
                size = size.map { outputExtent($0, kernel: 2, stride: 2) }
            }
        }
        finalNorm = add(BatchNormalization(channels: channels, epsilon: DenseNet.epsilon, name: "bn"))
        finalRelu = add(Activation(.relu, name: "relu"))

        try buildTop(featureShape: size + [channels]) {
            [
                GlobalAveragePooling2D(name: "avg_pool"),
                Dense(
                    units: options.classes, inputFeatures: channels, activation: options.classifierActivation,
                    name: "predictions"),
            ]
        }
    }

    public override func features(_ x: Tensor) throws -> Tensor {
        var y = try stem(x)
        for stage in stages { y = try stage(y) }
        return try finalRelu(finalNorm(y))
    }
}

/// The DenseNet variants of the zoo, with Keras's parameter counts (1000 classes, top included).
public enum DenseNetFamily: ArchitectureFamily {
    static let reference =
        "Densely Connected Convolutional Networks (Huang, Liu, van der Maaten, Weinberger, arXiv:1608.06993)"

    /// DenseNet-121: 8,062,504 parameters (7,978,856 trainable).
    public static let densenet121: ArchitectureVariant = ArchitectureVariant(
        name: "densenet121", family: "DenseNet", reference: reference, defaultInput: [224, 224, 3],
        minimumInput: [32, 32], preprocessing: .torch, parameterCount: 8_062_504,
        trainableParameterCount: 7_978_856, firstConvolution: "conv1_conv", lastConvolution: "relu",
        classifier: "predictions", source: "keras.applications.DenseNet121",
        build: { try DenseNet(.densenet121, variant: densenet121, options: $0) })

    /// DenseNet-201: 20,242,984 parameters (20,013,928 trainable).
    public static let densenet201: ArchitectureVariant = ArchitectureVariant(
        name: "densenet201", family: "DenseNet", reference: reference, defaultInput: [224, 224, 3],
        minimumInput: [32, 32], preprocessing: .torch, parameterCount: 20_242_984,
        trainableParameterCount: 20_013_928, firstConvolution: "conv1_conv", lastConvolution: "relu",
        classifier: "predictions", source: "keras.applications.DenseNet201",
        build: { try DenseNet(.densenet201, variant: densenet201, options: $0) })

    public static var variants: [ArchitectureVariant] { [densenet121, densenet201] }
}
