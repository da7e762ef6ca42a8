// Xception: Deep Learning with Depthwise Separable Convolutions (François Chollet;
// arXiv:1610.02357), as keras.applications.Xception builds it.
//
// Layers, names, order and shapes are Keras's (`xception.py`), so Keras weight files load by
// name: the entry flow (blocks 1-4), eight middle-flow blocks (5-12) and the exit flow (13-14),
// separable convolutions without biases, batch norm with Keras's defaults. The strided 1x1
// shortcut convolutions, their batch norms and the residual sums are unnamed in Keras and keep
// its automatic names (`conv2d`, `batch_normalization`, `add`, ... `add_11`). Keras lists a
// shortcut's layers after the main path's last batch norm, and so does `layers` here (the
// graph's order, not written by hand). As in
// Keras, block 2 has no activation before its first separable convolution (its input is
// `block1_conv2_act`) and the middle flow has no shortcut convolution. No deliberate deviation.
//
// The model is built inside `BuildContext.freshNames`, features and top in one scope, so the
// unnamed layers are named as a freshly started Keras program names them.
import ZooCore
import ZooNN
import ZooTensor

extension Xception {
    /// The downsampling blocks of the entry and exit flows: separable widths, and whether the
    /// block opens with a ReLU.
    static let downsamplingBlocks: [(block: Int, filters: [Int], leadingActivation: Bool)] = [
        (2, [128, 128], false), (3, [256, 256], true), (4, [728, 728], true),
    ]
    /// The middle flow: blocks 5 to 12, three separable convolutions of 728 channels each.
    static let middleBlocks = Array(5...12)
    static let middleWidth = 728
    /// The exit flow's downsampling block, then the two separable convolutions of block 14.
    static let exitBlock = (block: 13, filters: [728, 1024], leadingActivation: true)
    static let finalWidths = [1536, 2048]
}

/// A separable convolution (3x3, 'same', no bias), optionally preceded by a ReLU and followed
/// by batch norm: the unit every Xception block is made of. `reluFirst` false puts the ReLU after
/// the batch norm, as in block 14.
func separableUnit(
    _ x: SymbolicTensor, name: String, filters: Int, relu: Bool = true, reluFirst: Bool = true
) throws -> SymbolicTensor {
    var y = x
    if relu && reluFirst { y = try Activation(.relu, name: "\(name)_act")(y) }
    y = try SeparableConv2D(
        filters: filters, kernelSize: [3], inputChannels: y.channels, padding: .same, useBias: false, name: name)(y)
    y = try BatchNormalization(channels: filters, name: "\(name)_bn")(y)
    if relu && !reluFirst { y = try Activation(.relu, name: "\(name)_act")(y) }
    return y
}

/// An Xception block with a residual sum. Downsampling blocks (2, 3, 4, 13) end in a 3x3
/// stride-2 max pooling and take a strided 1x1 convolution with batch norm as shortcut; middle
/// blocks (5-12) add their input unchanged. The main path is created first (the shortcut's
/// unnamed layers are named by their own classes' counters either way).
func xceptionBlock(
    _ x: SymbolicTensor, block: Int, filters: [Int], leadingActivation: Bool, downsampling: Bool
) throws -> SymbolicTensor {
    var y = x
    for (index, width) in filters.enumerated() {
        y = try separableUnit(y, name: "block\(block)_sepconv\(index + 1)", filters: width, relu: index > 0 || leadingActivation)
    }
    guard downsampling else { return try Add()([y, x]) }
    let shortcutConv = Conv2D(
        filters: y.channels, kernelSize: [1], inputChannels: x.channels, strides: [2], padding: .same, useBias: false)
    y = try MaxPooling2D(poolSize: [3], strides: [2], padding: .same, name: "block\(block)_pool")(y)
    let shortcut = try BatchNormalization(channels: y.channels)(shortcutConv(x))
    return try Add()([y, shortcut])
}

/// Xception as `keras.applications.Xception`: two plain convolutions, three downsampling
/// blocks, eight middle-flow blocks, a downsampling exit block, two separable convolutions
/// ending in `block14_sepconv2_act` (Grad-CAM's layer), and the top the options ask for
/// (`avg_pool` and `predictions` by default).
public struct Xception: ApplicationNetwork {
    public init() {}

    public func modelName(inputShape: [Int]) -> String { "xception" }

    /// Keras names the pooling without the top automatically.
    public var poolingNames: (average: String?, max: String?) { (nil, nil) }

    /// Two plain convolutions, three downsampling blocks, eight middle-flow blocks, a
    /// downsampling exit block, and two separable convolutions ending in `block14_sepconv2_act`.
    public func features(_ x: SymbolicTensor) throws -> SymbolicTensor {
        var y = try Conv2D(filters: 32, kernelSize: [3], inputChannels: x.channels, strides: [2], useBias: false, name: "block1_conv1")(x)
        y = try BatchNormalization(channels: 32, name: "block1_conv1_bn")(y)
        y = try Activation(.relu, name: "block1_conv1_act")(y)
        y = try Conv2D(filters: 64, kernelSize: [3], inputChannels: y.channels, useBias: false, name: "block1_conv2")(y)
        y = try BatchNormalization(channels: 64, name: "block1_conv2_bn")(y)
        y = try Activation(.relu, name: "block1_conv2_act")(y)
        for spec in Xception.downsamplingBlocks {
            y = try xceptionBlock(y, block: spec.block, filters: spec.filters, leadingActivation: spec.leadingActivation, downsampling: true)
        }
        for block in Xception.middleBlocks {
            y = try xceptionBlock(
                y, block: block, filters: [Int](repeating: Xception.middleWidth, count: 3), leadingActivation: true, downsampling: false)
        }
        y = try xceptionBlock(
            y, block: Xception.exitBlock.block, filters: Xception.exitBlock.filters,
            leadingActivation: Xception.exitBlock.leadingActivation,
            downsampling: true)
        for (index, width) in Xception.finalWidths.enumerated() {
            y = try separableUnit(y, name: "block14_sepconv\(index + 1)", filters: width, reluFirst: false)
        }
        return y
    }
}

/// The Xception variant of the zoo, with Keras's parameter counts (1000 classes, top included).
public enum XceptionFamily: ArchitectureFamily {
    /// Xception: 22,910,480 parameters (22,855,952 trainable).
    public static let xception: ArchitectureVariant = ArchitectureVariant(
        name: "xception", family: "Xception",
        reference: "Xception: Deep Learning with Depthwise Separable Convolutions (Chollet, arXiv:1610.02357)",
        defaultInput: [299, 299, 3], minimumInput: [71, 71], preprocessing: .tf, parameterCount: 22_910_480,
        trainableParameterCount: 22_855_952, firstConvolution: "block1_conv1",
        lastConvolution: "block14_sepconv2_act",
        classifier: "predictions", source: "keras.applications.Xception",
        build: { try ApplicationModel(Xception(), variant: xception, options: $0) })

    public static var variants: [ArchitectureVariant] { [xception] }
}
