// Xception: Deep Learning with Depthwise Separable Convolutions (François Chollet;
// arXiv:1610.02357), as keras.applications.Xception builds it.
//
// Layers, names, order and shapes are Keras's (`xception.py`), so Keras weight files load by
// name: the entry flow (blocks 1-4), eight middle-flow blocks (5-12) and the exit flow (13-14),
// separable convolutions without biases, batch norm with Keras's defaults. The strided 1x1
// shortcut convolutions, their batch norms and the residual sums are unnamed in Keras and keep
// its automatic names (`conv2d`, `batch_normalization`, `add`, ... `add_11`). Keras lists a
// shortcut's layers after the main path's last batch norm, and so does `layers` here. As in
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
    name: String, inputChannels: Int, filters: Int, relu: Bool = true, reluFirst: Bool = true
) -> [Layer] {
    let conv = SeparableConv2D(
        filters: filters, kernelSize: [3], inputChannels: inputChannels, padding: .same, useBias: false,
        name: name)
    let norm = BatchNormalization(channels: filters, name: "\(name)_bn")
    guard relu else { return [conv, norm] }
    let activation = Activation(.relu, name: "\(name)_act")
    return reluFirst ? [activation, conv, norm] : [conv, norm, activation]
}

/// An Xception block with a residual sum. Downsampling blocks (2, 3, 4, 13) end in a 3x3
/// stride-2 max pooling and take a strided 1x1 convolution with batch norm as shortcut; middle
/// blocks (5-12) add their input unchanged.
final class XceptionBlock: Model {
    private let main: [Layer]
    private let shortcut: (conv: Conv2D, norm: BatchNormalization)?
    private let sum: Add

    init(block: Int, inputChannels: Int, filters: [Int], leadingActivation: Bool, downsampling: Bool) {
        var main = [Layer]()
        var channels = inputChannels
        for (index, width) in filters.enumerated() {
            let unit = separableUnit(
                name: "block\(block)_sepconv\(index + 1)", inputChannels: channels, filters: width)
            main += index == 0 && !leadingActivation ? Array(unit.dropFirst()) : unit
            channels = width
        }
        if downsampling {
            let conv = Conv2D(
                filters: channels, kernelSize: [1], inputChannels: inputChannels, strides: [2], padding: .same,
                useBias: false)
            let pool = MaxPooling2D(poolSize: [3], strides: [2], padding: .same, name: "block\(block)_pool")
            shortcut = (conv, BatchNormalization(channels: channels))
            main.append(pool)
        } else {
            shortcut = nil
        }
        self.main = main
        sum = Add()
        super.init(name: "block\(block)", isScope: false)
        // Keras's order: the main path to its last batch norm, the shortcut convolution, the
        // pooling, the shortcut's batch norm, the sum.
        if let shortcut, let pool = main.last {
            for layer in main.dropLast() { add(layer) }
            add(shortcut.conv)
            add(pool)
            add(shortcut.norm)
        } else {
            for layer in main { add(layer) }
        }
        add(sum)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for layer in main { y = try layer(y) }
        let residual = try shortcut.map { try $0.norm($0.conv(x)) } ?? x
        return try sum([y, residual])
    }
}

/// Xception as `keras.applications.Xception`: two plain convolutions, three downsampling
/// blocks, eight middle-flow blocks, a downsampling exit block, two separable convolutions
/// ending in `block14_sepconv2_act` (Grad-CAM's layer), and the top the options ask for
/// (`avg_pool` and `predictions` by default).
public final class Xception: ApplicationModel {
    private var stem: Sequential!
    private var blocks: [XceptionBlock] = []
    private var exit: Sequential!

    /// Builds Xception with `options`; `variant` supplies the default and minimum input.
    public init(variant: ArchitectureVariant, options: ArchitectureOptions) throws {
        let input = try variant.resolvedInput(options)
        super.init(name: "xception", inputShape: input, options: options)
        try BuildContext.freshNames { try buildLayers(input: input) }
    }

    /// The layers in Keras's `model.layers` order, tracking channels and spatial extents.
    private func buildLayers(input: [Int]) throws {
        stem = add(Sequential(name: "block1", [
            Conv2D(
                filters: 32, kernelSize: [3], inputChannels: input[2], strides: [2], useBias: false,
                name: "block1_conv1"),
            BatchNormalization(channels: 32, name: "block1_conv1_bn"),
            Activation(.relu, name: "block1_conv1_act"),
            Conv2D(filters: 64, kernelSize: [3], inputChannels: 32, useBias: false, name: "block1_conv2"),
            BatchNormalization(channels: 64, name: "block1_conv2_bn"),
            Activation(.relu, name: "block1_conv2_act"),
        ]))
        var size = input.prefix(2).map { outputExtent(outputExtent($0, kernel: 3, stride: 2), kernel: 3) }
        var channels = 64

        func downsampling(_ spec: (block: Int, filters: [Int], leadingActivation: Bool)) {
            blocks.append(add(XceptionBlock(
                block: spec.block, inputChannels: channels, filters: spec.filters,
                leadingActivation: spec.leadingActivation, downsampling: true)))
            channels = spec.filters.last!
            size = size.map { outputExtent($0, kernel: 3, stride: 2, padding: .same) }
        }
        for spec in Xception.downsamplingBlocks { downsampling(spec) }
        for block in Xception.middleBlocks {
            blocks.append(add(XceptionBlock(
                block: block, inputChannels: channels, filters: [Int](repeating: Xception.middleWidth, count: 3),
                leadingActivation: true, downsampling: false)))
        }
        downsampling(Xception.exitBlock)

        var exitLayers = [Layer]()
        for (index, width) in Xception.finalWidths.enumerated() {
            exitLayers += separableUnit(
                name: "block14_sepconv\(index + 1)", inputChannels: channels, filters: width, reluFirst: false)
            channels = width
        }
        exit = add(Sequential(name: "block14", exitLayers))

        try buildTop(featureShape: size + [channels], poolingNames: (nil, nil)) {
            [
                GlobalAveragePooling2D(name: "avg_pool"),
                Dense(units: options.classes, inputFeatures: channels, activation: options.classifierActivation,
                      name: "predictions"),
            ]
        }
    }

    public override func features(_ x: Tensor) throws -> Tensor {
        var y = try stem(x)
        for block in blocks { y = try block(y) }
        return try exit(y)
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
        build: { try Xception(variant: xception, options: $0) })

    public static var variants: [ArchitectureVariant] { [xception] }
}
