// ResNet: "Deep Residual Learning for Image Recognition" (Kaiming He, Xiangyu Zhang, Shaoqing
// Ren, Jian Sun; arXiv:1512.03385), Table 1.
//
// ResNet50/101/152 are keras.applications' `ResNet50/101/152` (ResNet v1): the stem
// `conv1_pad` (3 cells), `conv1_conv` 7x7/2 with bias, `conv1_bn`, `conv1_relu`, `pool1_pad`
// (1 cell), `pool1_pool` 3x3/2; bottleneck blocks striding their first 1x1 convolution;
// batch norm epsilon 1.001e-5; `avg_pool`, `predictions`. Names, layer order, weight shapes
// and parameter counts equal Keras's (the tests compare them with Keras's own model).
//
// ResNet18/34 are torchvision's (Keras Applications has none): basic blocks, convolutions
// without bias, batch norm epsilon 1e-5 and PyTorch momentum 0.1 (Keras momentum 0.9), named
// in the same Keras scheme (torchvision's `layer1.0.conv1` is `conv2_block1_1_conv`, its
// `downsample` is `_0_conv` / `_0_bn`). Deliberate choice: their 3x3 convolutions pad one
// cell on each side, as torchvision does, not TensorFlow's 'same' (which pads a strided
// convolution of an even input only at the bottom/right), so that torchvision's weights give
// torchvision's outputs. The stem pads symmetrically in both conventions; torchvision pads
// its max pool with -inf and Zoo with zeros, which is the same after the ReLU.
//
// The model is built inside `BuildContext.freshNames`, features and top in one scope, so any
// unnamed layer (those of a custom head) takes the name a freshly started Keras program gives.
import ZooCore
import ZooNN
import ZooTensor

/// One ResNet as data: its block, its stage table and the conventions it follows.
public struct ResNetConfiguration: Sendable {
    /// Catalog and model name, e.g. `resnet50`.
    public let name: String
    /// Basic (ResNet18/34) or bottleneck (ResNet50/101/152).
    public let block: ResidualBlockKind
    /// Stages conv2 ... conv5: residual blocks and the block width (a bottleneck puts out 4x).
    public let stages: [(blocks: Int, filters: Int)]
    /// Keras's or torchvision's bias, batch norm and padding conventions.
    public let convention: ResNetConvention

    /// A configuration; the zoo's five are the static members below.
    public init(
        name: String, block: ResidualBlockKind, stages: [(blocks: Int, filters: Int)],
        convention: ResNetConvention
    ) {
        self.name = name
        self.block = block
        self.stages = stages
        self.convention = convention
    }

    /// The paper's Table 1.
    public static let resnet18 = ResNetConfiguration(
        name: "resnet18", block: .basic, stages: [(2, 64), (2, 128), (2, 256), (2, 512)],
        convention: .torchvision)
    public static let resnet34 = ResNetConfiguration(
        name: "resnet34", block: .basic, stages: [(3, 64), (4, 128), (6, 256), (3, 512)],
        convention: .torchvision)
    public static let resnet50 = ResNetConfiguration(
        name: "resnet50", block: .bottleneck, stages: [(3, 64), (4, 128), (6, 256), (3, 512)],
        convention: .keras)
    public static let resnet101 = ResNetConfiguration(
        name: "resnet101", block: .bottleneck, stages: [(3, 64), (4, 128), (23, 256), (3, 512)],
        convention: .keras)
    public static let resnet152 = ResNetConfiguration(
        name: "resnet152", block: .bottleneck, stages: [(3, 64), (8, 128), (36, 256), (3, 512)],
        convention: .keras)

    /// Filters of the 7x7 stem convolution.
    static let stemFilters = 64

    /// The last feature map before pooling (Grad-CAM's default layer).
    public var lastConvolution: String {
        "conv\(stages.count + 1)_block\(stages.last?.blocks ?? 0)_out"
    }
}

/// A ResNet of any configuration: stem, residual stages, then the top the options choose.
extension ResNetConfiguration: ApplicationNetwork {
    public func modelName(inputShape: [Int]) -> String { name }

    /// The stem and the residual stages at their own strides.
    public func features(_ input: SymbolicTensor) throws -> SymbolicTensor { try features(input, outputStride: nil) }

    /// The stem (`conv1_pad` ... `pool1_pool`, stride 4) and the residual stages, up to
    /// `conv5_blockN_out`. Past `outputStride` (DeepLabv3's atrous backbone, section 3.1), a
    /// stage's first block keeps stride 1 and its 3x3 convolutions are dilated instead; the
    /// weights are the same.
    public func features(_ x: SymbolicTensor, outputStride: Int?) throws -> SymbolicTensor {
        let stemFilters = ResNetConfiguration.stemFilters
        var y = try ZeroPadding(symmetric: 3, name: "conv1_pad")(x)
        y = try convention.convolution(
            "conv1_conv", kernel: 7, filters: stemFilters, inputChannels: y.channels, stride: 2, padding: .valid)(y)
        y = try convention.normalization("conv1_bn", channels: stemFilters)(y)
        y = try Activation(.relu, name: "conv1_relu")(y)
        y = try ZeroPadding(symmetric: 1, name: "pool1_pad")(y)
        y = try MaxPooling2D(poolSize: [3], strides: [2], name: "pool1_pool")(y)

        var (outputStrideSoFar, dilation) = (4, 1)
        for (stageIndex, stage) in stages.enumerated() {
            // conv2 follows the max pool at full resolution; every later stage halves it.
            var stageStride = stageIndex > 0 ? 2 : 1
            if let outputStride, outputStrideSoFar * stageStride > outputStride {
                dilation *= stageStride
                stageStride = 1
            }
            outputStrideSoFar *= stageStride
            for blockIndex in 0..<stage.blocks {
                y = try residualBlock(
                    y, block, name: "conv\(stageIndex + 2)_block\(blockIndex + 1)", filters: stage.filters,
                    stride: blockIndex == 0 ? stageStride : 1, convention: convention, dilation: dilation)
            }
        }
        return y
    }
}

/// The ResNet family of the zoo: torchvision's ResNet18/34, Keras's ResNet50/101/152.
public enum ResNetFamily: ArchitectureFamily {
    /// torchvision `resnet18`: 11,689,512 trainable parameters, plus 9,600 moving statistics.
    public static let resnet18 = variant(.resnet18, total: 11_699_112, trainable: 11_689_512)
    /// torchvision `resnet34`: 21,797,672 trainable parameters, plus 17,024 moving statistics.
    public static let resnet34 = variant(.resnet34, total: 21_814_696, trainable: 21_797_672)
    /// keras.applications `ResNet50`.
    public static let resnet50 = variant(.resnet50, total: 25_636_712, trainable: 25_583_592)
    /// keras.applications `ResNet101`.
    public static let resnet101 = variant(.resnet101, total: 44_707_176, trainable: 44_601_832)
    /// keras.applications `ResNet152`.
    public static let resnet152 = variant(.resnet152, total: 60_419_944, trainable: 60_268_520)

    /// The five, smallest first.
    public static var variants: [ArchitectureVariant] {
        [resnet18, resnet34, resnet50, resnet101, resnet152]
    }

    /// The catalog entry of `configuration`; its builder checks the input against the entry's
    /// own metadata.
    static func variant(
        _ configuration: ResNetConfiguration, total: Int, trainable: Int
    ) -> ArchitectureVariant {
        ArchitectureVariant(
            name: configuration.name, family: "ResNet",
            reference: "Deep Residual Learning for Image Recognition "
                + "(He, Zhang, Ren, Sun, arXiv:1512.03385)",
            defaultInput: [224, 224, 3], minimumInput: [32, 32],
            preprocessing: configuration.convention.preprocessing,
            parameterCount: total, trainableParameterCount: trainable,
            firstConvolution: "conv1_conv", lastConvolution: configuration.lastConvolution,
            classifier: "predictions", source: configuration.convention.source,
            build: { options in
                let entry = variant(configuration, total: total, trainable: trainable)
                return try ApplicationModel(configuration, variant: entry, options: options)
            })
    }
}
