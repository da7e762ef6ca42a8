// InceptionResNetV2, as `keras.applications.InceptionResNetV2` builds it.
//
// Szegedy, Ioffe, Vanhoucke and Alemi, "Inception-v4, Inception-ResNet and the Impact of
// Residual Connections on Learning", arXiv:1602.07261 (the Inception modules of Szegedy et al.,
// "Rethinking the Inception Architecture for Computer Vision", arXiv:1512.00567).
//
// Deliberate differences from the paper, all Keras's (which follows TF-slim's release, the one
// whose ImageNet weights exist):
// - The stem is InceptionV3's (five convolutions, two max poolings) followed by an Inception-A
//   module `mixed_5b` (320 channels), not the paper's figure 3 stem.
// - The residual blocks are scaled by 0.17 (block35, 10 blocks), 0.1 (block17, 20 blocks) and
//   0.2 (block8, 10 blocks); the paper only says scales between 0.1 and 0.3 stabilize training.
//   The last block8 (`block8_10`) uses scale 1 and no activation, and a 1x1 convolution of
//   1536 channels (`conv_7b`) ends the features, before the global pooling.
// - Filter counts are TF-slim's (block35 32/32-32/32-48-64, block17 192/128-160-192, block8
//   192/192-224-256; reductions 384/256-256-384 and 256-384/256-288/256-288-320).
// - The residual sum is Keras 3's `CustomScaleLayer` (x + scale * branch, no weights), named
//   automatically (`custom_scale_layer` ... `custom_scale_layer_39`); Keras 2 used a `Lambda`
//   named after the block (`block35_1`).
// - Naming rule: layers are created in Keras's code order inside `BuildContext.freshNames`;
//   `conv2d_bn` units are unnamed (`conv2d_N`, `batch_normalization_N`, `activation_N`) except
//   `conv_7b`, the blocks name their join, projection and activation (`block35_1_mixed`,
//   `block35_1_conv`, `block35_1_ac`), the reductions `mixed_5b`, `mixed_6a`, `mixed_7a`.
//   `model.layers` lists them in Keras's graph order (the functional graph's, `FunctionalGraph` in ZooCore).
import ZooCore
import ZooNN
import ZooTensor

/// InceptionResNetV2 (Szegedy et al., arXiv:1602.07261) as `keras.applications.InceptionResNetV2`.
public struct InceptionResNetV2: InceptionNetwork {
    public init() {}

    public func modelName(inputShape: [Int]) -> String { "inception_resnet_v2" }

    /// The residual Inception blocks, by Keras's names (their grid size).
    enum BlockKind: String {
        /// Inception-ResNet-A (figure 16) at 35x35.
        case block35
        /// Inception-ResNet-B (figure 17) at 17x17.
        case block17
        /// Inception-ResNet-C (figure 19) at 8x8.
        case block8
    }

    /// The three residual stages: block, repeats, residual scale. Each is followed by its
    /// `transition`: the reduction to the next grid (`mixed_6a`, `mixed_7a`), or `conv_7b`.
    static let stages: [(kind: BlockKind, repeats: Int, scale: Float)] = [
        (.block35, 10, 0.17),
        (.block17, 20, 0.1),
        (.block8, 10, 0.2),
    ]

    /// The stem and `mixed_5b`, 299 -> 35x35x320.
    static func stem(_ x: SymbolicTensor) throws -> SymbolicTensor {
        let x = try inceptionStem(x)
        let branch0 = try conv2dBN(x, 96, 1, 1)
        var branch1 = try conv2dBN(x, 48, 1, 1)
        branch1 = try conv2dBN(branch1, 64, 5, 5)
        var branch2 = try conv2dBN(x, 64, 1, 1)
        branch2 = try conv2dBN(branch2, 96, 3, 3)
        branch2 = try conv2dBN(branch2, 96, 3, 3)
        let branchPool = try conv2dBN(averagePool3x3(x), 64, 1, 1)
        return try concatenate([branch0, branch1, branch2, branchPool], name: "mixed_5b")
    }

    /// One residual block: the branches, their 1x1 linear projection back to the input's
    /// channels (with bias, no batch norm), the scaled sum and, except for `block8_10`, a ReLU.
    static func residualBlock(
        _ x: SymbolicTensor, _ kind: BlockKind, index: Int, scale: Float, activation: Bool
    ) throws -> SymbolicTensor {
        let branches: [SymbolicTensor]
        switch kind {
        case .block35:
            let branch0 = try conv2dBN(x, 32, 1, 1)
            var branch1 = try conv2dBN(x, 32, 1, 1)
            branch1 = try conv2dBN(branch1, 32, 3, 3)
            var branch2 = try conv2dBN(x, 32, 1, 1)
            branch2 = try conv2dBN(branch2, 48, 3, 3)
            branch2 = try conv2dBN(branch2, 64, 3, 3)
            branches = [branch0, branch1, branch2]
        case .block17:
            let branch0 = try conv2dBN(x, 192, 1, 1)
            var branch1 = try conv2dBN(x, 128, 1, 1)
            branch1 = try conv2dBN(branch1, 160, 1, 7)
            branch1 = try conv2dBN(branch1, 192, 7, 1)
            branches = [branch0, branch1]
        case .block8:
            let branch0 = try conv2dBN(x, 192, 1, 1)
            var branch1 = try conv2dBN(x, 192, 1, 1)
            branch1 = try conv2dBN(branch1, 224, 1, 3)
            branch1 = try conv2dBN(branch1, 256, 3, 1)
            branches = [branch0, branch1]
        }
        let name = "\(kind.rawValue)_\(index)"
        let mixed = try concatenate(branches, name: name + "_mixed")
        let up = try conv2d(mixed, x.channels, 1, 1, useBias: true, name: name + "_conv")
        let sum = try CustomScaleLayer(scale: scale)([x, up])
        guard activation else { return sum }
        return try Activation(.relu, name: name + "_ac")(sum)
    }

    /// What follows the residual stage of `kind`: the grid reductions `mixed_6a` (Reduction-A,
    /// figure 7) and `mixed_7a` (Reduction-B, figure 18), and after the last stage `conv_7b`.
    static func transition(_ x: SymbolicTensor, after kind: BlockKind) throws -> SymbolicTensor {
        switch kind {
        case .block35:
            let branch0 = try conv2dBN(x, 384, 3, 3, strides: 2, padding: .valid)
            var branch1 = try conv2dBN(x, 256, 1, 1)
            branch1 = try conv2dBN(branch1, 256, 3, 3)
            branch1 = try conv2dBN(branch1, 384, 3, 3, strides: 2, padding: .valid)
            let branchPool = try maxPool3x3(x)
            return try concatenate([branch0, branch1, branchPool], name: "mixed_6a")
        case .block17:
            var branch0 = try conv2dBN(x, 256, 1, 1)
            branch0 = try conv2dBN(branch0, 384, 3, 3, strides: 2, padding: .valid)
            var branch1 = try conv2dBN(x, 256, 1, 1)
            branch1 = try conv2dBN(branch1, 288, 3, 3, strides: 2, padding: .valid)
            var branch2 = try conv2dBN(x, 256, 1, 1)
            branch2 = try conv2dBN(branch2, 288, 3, 3)
            branch2 = try conv2dBN(branch2, 320, 3, 3, strides: 2, padding: .valid)
            let branchPool = try maxPool3x3(x)
            return try concatenate([branch0, branch1, branch2, branchPool], name: "mixed_7a")
        case .block8:
            return try conv2dBN(x, 1536, 1, 1, name: "conv_7b")
        }
    }

    /// The whole feature extractor: stem, the three residual stages with their reductions,
    /// `conv_7b`.
    public func features(_ input: SymbolicTensor) throws -> SymbolicTensor {
        var x = try InceptionResNetV2.stem(input)
        for stage in InceptionResNetV2.stages {
            for index in 1...stage.repeats {
                let last = stage.kind == .block8 && index == stage.repeats
                x = try InceptionResNetV2.residualBlock(x, stage.kind, index: index, scale: last ? 1 : stage.scale, activation: !last)
            }
            x = try InceptionResNetV2.transition(x, after: stage.kind)
        }
        return x
    }

}

extension InceptionFamily {
    /// InceptionResNetV2, `keras.applications.InceptionResNetV2`: 55,873,736 parameters with
    /// the top.
    public static let inceptionresnetv2: ArchitectureVariant = ArchitectureVariant(
        name: "inceptionresnetv2", family: "Inception",
        reference: "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning "
            + "(Szegedy et al., arXiv:1602.07261)",
        defaultInput: [299, 299, 3], minimumInput: [75, 75], preprocessing: .tf,
        parameterCount: 55_873_736, trainableParameterCount: 55_813_192,
        firstConvolution: "conv2d", lastConvolution: "conv_7b_ac", classifier: "predictions",
        source: "keras.applications", build: { try ApplicationModel(InceptionResNetV2(), variant: inceptionresnetv2, options: $0) })
}
