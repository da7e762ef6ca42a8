// MobileNetV2: Inverted Residuals and Linear Bottlenecks (Mark Sandler, Andrew Howard,
// Menglong Zhu, Andrey Zhmoginov, Liang-Chieh Chen; arXiv:1801.04381), as
// keras.applications.MobileNetV2 builds it.
//
// Layers, names, order and shapes are Keras's (`mobilenet_v2.py`), so Keras weight files load
// by name: ReLU6 activations, no convolution biases, batch norm with momentum 0.999 and epsilon
// 1e-3, widths scaled by `alpha` and rounded by `makeDivisible`, and before each strided
// depthwise convolution the explicit zero padding of Keras's `correct_pad` (one cell after on
// an even axis, one on each side of an odd one) followed by a 'valid' convolution. The last
// 1x1 convolution widens only for `alpha > 1`, as in the paper. No deliberate deviation.
//
// The model is built inside `BuildContext.freshNames`, features and top in one scope, so the
// unnamed pooling is named `global_average_pooling2d` as in a freshly started Keras program.
import ZooCore
import ZooNN
import ZooTensor

extension MobileNetV2 {
    /// One inverted residual block of the paper's Table 2, at width 1.
    struct BlockSpec {
        let filters: Int
        let stride: Int
        let expansion: Int
    }

    /// The paper's Table 2: (filters, first stride, expansion, repeats) per row.
    static let table: [(filters: Int, stride: Int, expansion: Int, repeats: Int)] = [
        (16, 1, 1, 1), (24, 2, 6, 2), (32, 2, 6, 3), (64, 2, 6, 4), (96, 1, 6, 3), (160, 2, 6, 3), (320, 1, 6, 1),
    ]

    /// The 17 bottleneck blocks, each row's repeats written out: `block_0` (Keras's
    /// `expanded_conv`) to `block_16`. Only the first block of a row strides.
    static let blocks: [BlockSpec] = table.flatMap { row in
        (0..<row.repeats).map {
            BlockSpec(filters: row.filters, stride: $0 == 0 ? row.stride : 1, expansion: row.expansion)
        }
    }

    /// Width multipliers Keras publishes ImageNet weights for; any positive `alpha` builds.
    public static let pretrainedAlphas = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]

    /// Keras's `_make_divisible`: the nearest multiple of `divisor`, at least `divisor`, and
    /// never more than 10% below `value`.
    public static func makeDivisible(_ value: Double, divisor: Int = 8) -> Int {
        var rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        if Double(rounded) < 0.9 * value { rounded += divisor }
        return rounded
    }

    /// Keras's `correct_pad` for a 3x3 strided convolution: (before, after) per axis; an
    /// unknown extent is padded as an even one, as Keras does.
    static func correctPad(_ size: [Int?]) -> [(before: Int, after: Int)] {
        size.map { (before: ($0 ?? 0) % 2, after: 1) }
    }

    static func batchNorm(_ channels: Int, _ name: String) -> BatchNormalization {
        BatchNormalization(channels: channels, momentum: 0.999, epsilon: 1e-3, name: name)
    }
}

/// An inverted residual block (Keras `_inverted_res_block`): a 1x1 expansion with ReLU6 (not in
/// block 0), a 3x3 depthwise convolution with ReLU6, a linear 1x1 projection, and a residual
/// sum when the shapes allow it.
func invertedResidual(_ x: SymbolicTensor, index: Int, spec: MobileNetV2.BlockSpec, alpha: Double) throws -> SymbolicTensor {
    let prefix = index == 0 ? "expanded_conv_" : "block_\(index)_"
    let outputChannels = MobileNetV2.makeDivisible(Double(Int(Double(spec.filters) * alpha)))
    let expanded = spec.expansion * x.channels
    var y = x
    if index > 0 {
        y = try Conv2D(
            filters: expanded, kernelSize: [1], inputChannels: y.channels, padding: .same, useBias: false,
            name: prefix + "expand")(y)
        y = try MobileNetV2.batchNorm(expanded, prefix + "expand_BN")(y)
        y = try ReLU(maxValue: 6, name: prefix + "expand_relu")(y)
    }
    if spec.stride == 2 { y = try ZeroPadding(MobileNetV2.correctPad(y.spatial), name: prefix + "pad")(y) }
    y = try DepthwiseConv2D(
        kernelSize: [3], inputChannels: y.channels, strides: [spec.stride], padding: spec.stride == 1 ? .same : .valid,
        useBias: false, name: prefix + "depthwise")(y)
    y = try MobileNetV2.batchNorm(expanded, prefix + "depthwise_BN")(y)
    y = try ReLU(maxValue: 6, name: prefix + "depthwise_relu")(y)
    y = try Conv2D(
        filters: outputChannels, kernelSize: [1], inputChannels: y.channels, padding: .same, useBias: false,
        name: prefix + "project")(y)
    y = try MobileNetV2.batchNorm(outputChannels, prefix + "project_BN")(y)
    guard x.channels == outputChannels, spec.stride == 1 else { return y }
    return try Add(name: prefix + "add")([x, y])
}

/// MobileNetV2 as `keras.applications.MobileNetV2`: the stem `Conv1`, 17 inverted residual
/// blocks, the 1x1 `Conv_1` ending in `out_relu` (Grad-CAM's layer), and the top the options
/// ask for (global average pooling and `predictions` by default).
public struct MobileNetV2: ApplicationNetwork {
    /// The width multiplier.
    public let alpha: Double

    /// The network at width `alpha` (positive).
    public init(alpha: Double = 1.0) throws {
        guard alpha > 0, alpha.isFinite else { throw ModelError("mobilenetv2: alpha must be positive, got \(alpha)") }
        self.alpha = alpha
    }

    /// Keras's name: `mobilenetv2_1.00_224`.
    public func modelName(inputShape: [Int]) -> String {
        let hundredths = Int((alpha * 100).rounded())
        return "mobilenetv2_\(hundredths / 100)." + String("0\(hundredths % 100)".suffix(2)) + "_\(inputShape[0])"
    }

    /// Keras names the pooling without the top automatically.
    public var poolingNames: (average: String?, max: String?) { (nil, nil) }

    /// The stem `Conv1`, the 17 inverted residual blocks, and the 1x1 `Conv_1` ending in
    /// `out_relu`, at width `alpha`.
    public func features(_ x: SymbolicTensor) throws -> SymbolicTensor {
        let stemChannels = MobileNetV2.makeDivisible(32 * alpha)
        var y = try Conv2D(
            filters: stemChannels, kernelSize: [3], inputChannels: x.channels, strides: [2], padding: .same,
            useBias: false, name: "Conv1")(x)
        y = try MobileNetV2.batchNorm(stemChannels, "bn_Conv1")(y)
        y = try ReLU(maxValue: 6, name: "Conv1_relu")(y)
        for (index, spec) in MobileNetV2.blocks.enumerated() {
            y = try invertedResidual(y, index: index, spec: spec, alpha: alpha)
        }
        // The paper widens the last convolution only above width 1.
        let lastChannels = alpha > 1 ? MobileNetV2.makeDivisible(1280 * alpha) : 1280
        y = try Conv2D(filters: lastChannels, kernelSize: [1], inputChannels: y.channels, useBias: false, name: "Conv_1")(y)
        y = try MobileNetV2.batchNorm(lastChannels, "Conv_1_bn")(y)
        return try ReLU(maxValue: 6, name: "out_relu")(y)
    }

    /// Global average pooling (Keras's automatic name) and `predictions`.
    public func classifier(_ featureMap: SymbolicTensor, options: ArchitectureOptions) throws -> SymbolicTensor {
        let pooled = try GlobalAveragePooling2D()(featureMap)
        return try Dense(
            units: options.classes, inputFeatures: pooled.channels, activation: options.classifierActivation,
            name: "predictions")(pooled)
    }
}

/// The MobileNetV2 variants of the zoo, with Keras's parameter counts (1000 classes, top
/// included), and a builder for any width multiplier.
public enum MobileNetV2Family: ArchitectureFamily {
    static let reference = "MobileNetV2: Inverted Residuals and Linear Bottlenecks (Sandler, Howard, Zhu, "
        + "Zhmoginov, Chen, arXiv:1801.04381)"

    /// MobileNetV2 at width 1.0: 3,538,984 parameters (3,504,872 trainable).
    public static let mobilenetv2: ArchitectureVariant = ArchitectureVariant(
        name: "mobilenetv2", family: "MobileNetV2", reference: reference, defaultInput: [224, 224, 3],
        minimumInput: [32, 32], preprocessing: .tf, parameterCount: 3_538_984, trainableParameterCount: 3_504_872,
        firstConvolution: "Conv1", lastConvolution: "out_relu", classifier: "predictions",
        source: "keras.applications.MobileNetV2",
        build: { try ApplicationModel(MobileNetV2(), variant: mobilenetv2, options: $0) })

    public static var variants: [ArchitectureVariant] { [mobilenetv2] }

    /// MobileNetV2 at width `alpha` (Keras's `alpha`; ImageNet weights exist for
    /// `MobileNetV2.pretrainedAlphas`), with the metadata and input rules of `mobilenetv2`.
    public static func build(
        alpha: Double, options: ArchitectureOptions = ArchitectureOptions()
    ) throws -> ApplicationModel {
        try ApplicationModel(MobileNetV2(alpha: alpha), variant: mobilenetv2, options: options)
    }
}
