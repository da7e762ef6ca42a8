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

    /// Keras's `correct_pad` for a 3x3 strided convolution: (before, after) per axis.
    static func correctPad(_ size: [Int]) -> [(before: Int, after: Int)] {
        size.map { (before: $0 % 2, after: 1) }
    }

    static func batchNorm(_ channels: Int, _ name: String) -> BatchNormalization {
        BatchNormalization(channels: channels, momentum: 0.999, epsilon: 1e-3, name: name)
    }
}

/// An inverted residual block (Keras `_inverted_res_block`): a 1x1 expansion with ReLU6 (not in
/// block 0), a 3x3 depthwise convolution with ReLU6, a linear 1x1 projection, and a residual
/// sum when the shapes allow it.
final class InvertedResidual: Model {
    private let layersInOrder: [Layer]
    private let residual: Add?

    /// `size` is the input's (height, width), which the strided padding depends on.
    init(index: Int, spec: MobileNetV2.BlockSpec, alpha: Double, inputChannels: Int, size: [Int]) {
        let prefix = index == 0 ? "expanded_conv_" : "block_\(index)_"
        let outputChannels = MobileNetV2.makeDivisible(Double(Int(Double(spec.filters) * alpha)))
        let expanded = spec.expansion * inputChannels
        var layers = [Layer]()
        if index > 0 {
            layers += [
                Conv2D(
                    filters: expanded, kernelSize: [1], inputChannels: inputChannels, padding: .same,
                    useBias: false, name: prefix + "expand"),
                MobileNetV2.batchNorm(expanded, prefix + "expand_BN"),
                ReLU(maxValue: 6, name: prefix + "expand_relu"),
            ]
        }
        if spec.stride == 2 { layers.append(ZeroPadding(MobileNetV2.correctPad(size), name: prefix + "pad")) }
        layers += [
            DepthwiseConv2D(
                kernelSize: [3], inputChannels: expanded, strides: [spec.stride],
                padding: spec.stride == 1 ? .same : .valid, useBias: false, name: prefix + "depthwise"),
            MobileNetV2.batchNorm(expanded, prefix + "depthwise_BN"),
            ReLU(maxValue: 6, name: prefix + "depthwise_relu"),
            Conv2D(
                filters: outputChannels, kernelSize: [1], inputChannels: expanded, padding: .same,
                useBias: false, name: prefix + "project"),
            MobileNetV2.batchNorm(outputChannels, prefix + "project_BN"),
        ]
        layersInOrder = layers
        residual = inputChannels == outputChannels && spec.stride == 1 ? Add(name: prefix + "add") : nil
        super.init(name: "block_\(index)", isScope: false)
        for layer in layers { add(layer) }
        if let residual { add(residual) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for layer in layersInOrder { y = try layer(y) }
        guard let residual else { return y }
        return try residual([x, y])
    }
}

/// MobileNetV2 as `keras.applications.MobileNetV2`: the stem `Conv1`, 17 inverted residual
/// blocks, the 1x1 `Conv_1` ending in `out_relu` (Grad-CAM's layer), and the top the options
/// ask for (global average pooling and `predictions` by default).
public final class MobileNetV2: ApplicationModel {
    /// The width multiplier.
    public let alpha: Double
    private var stem: Sequential!
    private var blocks: [InvertedResidual] = []
    private var head: Sequential!

    /// Builds the network at width `alpha`; `variant` supplies the default and minimum input.
    /// The model is named as Keras names it: `mobilenetv2_1.00_224`.
    public init(alpha: Double = 1.0, variant: ArchitectureVariant, options: ArchitectureOptions) throws {
        guard alpha > 0, alpha.isFinite else {
            throw ModelError("\(variant.name): alpha must be positive, got \(alpha)")
        }
        self.alpha = alpha
        let input = try variant.resolvedInput(options)
        let hundredths = Int((alpha * 100).rounded())
        let alphaText = "\(hundredths / 100)." + String("0\(hundredths % 100)".suffix(2))
        super.init(name: "mobilenetv2_\(alphaText)_\(input[0])", inputShape: input, options: options)
        try BuildContext.freshNames { try buildLayers(input: input) }
    }

    /// The layers in Keras's `model.layers` order, tracking channels and spatial extents.
    private func buildLayers(input: [Int]) throws {
        var size = input.prefix(2).map { outputExtent($0, kernel: 3, stride: 2, padding: .same) }
        var channels = MobileNetV2.makeDivisible(32 * alpha)
        stem = add(Sequential(name: "stem", [
            Conv2D(filters: channels, kernelSize: [3], inputChannels: input[2], strides: [2], padding: .same,
                   useBias: false, name: "Conv1"),
            MobileNetV2.batchNorm(channels, "bn_Conv1"),
            ReLU(maxValue: 6, name: "Conv1_relu"),
        ]))
        for (index, spec) in MobileNetV2.blocks.enumerated() {
            blocks.append(add(InvertedResidual(
                index: index, spec: spec, alpha: alpha, inputChannels: channels, size: size)))
            channels = MobileNetV2.makeDivisible(Double(Int(Double(spec.filters) * alpha)))
            if spec.stride == 2 { size = size.map { outputExtent($0 + $0 % 2 + 1, kernel: 3, stride: 2) } }
        }
        // The paper widens the last convolution only above width 1.
        let lastChannels = alpha > 1 ? MobileNetV2.makeDivisible(1280 * alpha) : 1280
        head = add(Sequential(name: "head", [
            Conv2D(
                filters: lastChannels, kernelSize: [1], inputChannels: channels, useBias: false,
                name: "Conv_1"),
            MobileNetV2.batchNorm(lastChannels, "Conv_1_bn"),
            ReLU(maxValue: 6, name: "out_relu"),
        ]))

        try buildTop(featureShape: size + [lastChannels], poolingNames: (nil, nil)) {
            [
                GlobalAveragePooling2D(),
                Dense(
                    units: options.classes, inputFeatures: lastChannels,
                    activation: options.classifierActivation, name: "predictions"),
            ]
        }
    }

    public override func features(_ x: Tensor) throws -> Tensor {
        var y = try stem(x)
        for block in blocks { y = try block(y) }
        return try head(y)
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
        build: { try MobileNetV2(alpha: 1.0, variant: mobilenetv2, options: $0) })

    public static var variants: [ArchitectureVariant] { [mobilenetv2] }

    /// MobileNetV2 at width `alpha` (Keras's `alpha`; ImageNet weights exist for
    /// `MobileNetV2.pretrainedAlphas`), with the metadata and input rules of `mobilenetv2`.
    public static func build(
        alpha: Double, options: ArchitectureOptions = ArchitectureOptions()
    ) throws -> MobileNetV2 {
        try MobileNetV2(alpha: alpha, variant: mobilenetv2, options: options)
    }
}
