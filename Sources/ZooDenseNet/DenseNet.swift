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

/// DenseNet's constants and variants.
public enum DenseNet {
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
func denseConvBlock(_ x: SymbolicTensor, name: String, growthRate: Int) throws -> SymbolicTensor {
    var y = try BatchNormalization(channels: x.channels, epsilon: DenseNet.epsilon, name: "\(name)_0_bn")(x)
    y = try Activation(.relu, name: "\(name)_0_relu")(y)
    y = try Conv2D(
        filters: 4 * growthRate, kernelSize: [1], inputChannels: y.channels, useBias: false, name: "\(name)_1_conv")(y)
    y = try BatchNormalization(channels: y.channels, epsilon: DenseNet.epsilon, name: "\(name)_1_bn")(y)
    y = try Activation(.relu, name: "\(name)_1_relu")(y)
    y = try Conv2D(
        filters: growthRate, kernelSize: [3], inputChannels: y.channels, padding: .same, useBias: false,
        name: "\(name)_2_conv")(y)
    return try Concatenate(axis: -1, name: "\(name)_concat")([x, y])
}

/// A transition layer (Keras `transition_block`, e.g. `pool2`): BN-ReLU, a 1x1 convolution to
/// the compressed width, 2x2 average pooling.
func transitionLayer(_ x: SymbolicTensor, name: String) throws -> SymbolicTensor {
    var y = try BatchNormalization(channels: x.channels, epsilon: DenseNet.epsilon, name: "\(name)_bn")(x)
    y = try Activation(.relu, name: "\(name)_relu")(y)
    y = try Conv2D(
        filters: Int(Double(x.channels) * DenseNet.compression), kernelSize: [1], inputChannels: y.channels,
        useBias: false, name: "\(name)_conv")(y)
    return try AveragePooling2D(poolSize: [2], strides: [2], name: "\(name)_pool")(y)
}

/// DenseNet as `keras.applications.DenseNet121/201`: the stem, four dense blocks joined by
/// transition layers, a final BN-ReLU (`relu`, Grad-CAM's layer), and the top the options ask
/// for (`avg_pool` and `predictions` by default).
extension DenseNet.Configuration: ApplicationNetwork {
    public func modelName(inputShape: [Int]) -> String { name }

    /// The stem, four dense blocks joined by transition layers, and the final BN-ReLU (`relu`).
    public func features(_ x: SymbolicTensor) throws -> SymbolicTensor {
        var y = try ZeroPadding([(3, 3), (3, 3)])(x)
        y = try Conv2D(filters: 64, kernelSize: [7], inputChannels: y.channels, strides: [2], useBias: false, name: "conv1_conv")(y)
        y = try BatchNormalization(channels: 64, epsilon: DenseNet.epsilon, name: "conv1_bn")(y)
        y = try Activation(.relu, name: "conv1_relu")(y)
        y = try ZeroPadding([(1, 1), (1, 1)])(y)
        y = try MaxPooling2D(poolSize: [3], strides: [2], name: "pool1")(y)
        for (stage, count) in blocks.enumerated() {
            for block in 1...count {
                y = try denseConvBlock(y, name: "conv\(stage + 2)_block\(block)", growthRate: DenseNet.growthRate)
            }
            if stage < blocks.count - 1 { y = try transitionLayer(y, name: "pool\(stage + 2)") }
        }
        y = try BatchNormalization(channels: y.channels, epsilon: DenseNet.epsilon, name: "bn")(y)
        return try Activation(.relu, name: "relu")(y)
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
        build: { try ApplicationModel(DenseNet.Configuration.densenet121, variant: densenet121, options: $0) })

    /// DenseNet-201: 20,242,984 parameters (20,013,928 trainable).
    public static let densenet201: ArchitectureVariant = ArchitectureVariant(
        name: "densenet201", family: "DenseNet", reference: reference, defaultInput: [224, 224, 3],
        minimumInput: [32, 32], preprocessing: .torch, parameterCount: 20_242_984,
        trainableParameterCount: 20_013_928, firstConvolution: "conv1_conv", lastConvolution: "relu",
        classifier: "predictions", source: "keras.applications.DenseNet201",
        build: { try ApplicationModel(DenseNet.Configuration.densenet201, variant: densenet201, options: $0) })

    public static var variants: [ArchitectureVariant] { [densenet121, densenet201] }
}
