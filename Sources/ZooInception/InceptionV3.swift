// InceptionV3, as `keras.applications.InceptionV3` builds it.
//
// Szegedy, Vanhoucke, Ioffe, Shlens and Wojna, "Rethinking the Inception Architecture for
// Computer Vision", arXiv:1512.00567.
//
// The paper's table 1 in Keras's form: a stem of five convolutions and two max poolings
// (299 -> 35), three modules of figure 5 (mixed0-2, 35x35), a grid reduction (mixed3), four
// modules of figure 6 with 7x7 convolutions factorized into 1x7 and 7x1 (mixed4-7, 17x17), a
// grid reduction (mixed8) and two modules of figure 7 with expanded 1x3 and 3x1 outputs
// (mixed9-10, 8x8x2048), then global average pooling and the classifier.
//
// Deliberate choices, all Keras's:
// - No auxiliary classifier (a training aid of the paper that Keras leaves out) and no label
//   smoothing (a loss choice, not part of the network).
// - Every convolution is followed by batch normalization without gamma and a ReLU
//   (`conv2d_bn` in `InceptionBlocks.swift`); the paper's 'valid' stem and grid reductions
//   make a 75x75 input, Keras's minimum, end in a 1x1 feature map.
// - Naming rule: layers are created in Keras's code order inside `BuildContext.freshNames`;
//   only the concatenations (`mixed0` ... `mixed10`, `mixed9_0`, `mixed9_1`), `avg_pool` and
//   `predictions` carry names, so every other layer takes the name a freshly started Keras
//   program gives it: `conv2d` ... `conv2d_93`, `batch_normalization` ... `_93`, `activation`
//   ... `_93`, `max_pooling2d` ... `_3`, `average_pooling2d` ... `_8`, and `concatenate`,
//   `concatenate_1` for the unnamed inner joins of mixed9 and mixed10. `model.layers` lists
//   them in Keras's graph order (the functional graph's, `FunctionalGraph` in ZooCore).
import ZooCore
import ZooNN
import ZooTensor

/// InceptionV3 (Szegedy et al., arXiv:1512.00567) as `keras.applications.InceptionV3`.
public struct InceptionV3: InceptionNetwork {
    public init() {}

    public func modelName(inputShape: [Int]) -> String { "inception_v3" }

    /// The modules after the stem, in the order of the paper's table 1.
    enum Block {
        /// Figure 5 at 35x35: 1x1, 5x5, double 3x3 and pooled branches, `pool` filters on the
        /// pooled one.
        case a(pool: Int)
        /// The grid reduction 35 -> 17 (figure 10's scheme, Keras's mixed3).
        case reductionA
        /// Figure 6 at 17x17: 7x7 convolutions as 1x7 then 7x1, `width` filters inside.
        case b(width: Int)
        /// The grid reduction 17 -> 8 (Keras's mixed8).
        case reductionB
        /// Figure 7 at 8x8: 1x3 and 3x1 outputs side by side; `index` numbers the inner
        /// `mixed9_<index>` join.
        case c(index: Int)
    }

    /// Keras's mixed0 ... mixed10.
    static let blocks: [Block] = [
        .a(pool: 32), .a(pool: 64), .a(pool: 64),
        .reductionA,
        .b(width: 128), .b(width: 160), .b(width: 160), .b(width: 192),
        .reductionB,
        .c(index: 0), .c(index: 1),
    ]

    /// One module of `blocks`, its branches created in Keras's order.
    static func block(_ x: SymbolicTensor, _ block: Block, name: String) throws -> SymbolicTensor {
        switch block {
        case .a(let pool):
            let branch1x1 = try conv2dBN(x, 64, 1, 1)
            var branch5x5 = try conv2dBN(x, 48, 1, 1)
            branch5x5 = try conv2dBN(branch5x5, 64, 5, 5)
            var branch3x3dbl = try conv2dBN(x, 64, 1, 1)
            branch3x3dbl = try conv2dBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = try conv2dBN(branch3x3dbl, 96, 3, 3)
            let branchPool = try conv2dBN(averagePool3x3(x), pool, 1, 1)
            return try concatenate([branch1x1, branch5x5, branch3x3dbl, branchPool], name: name)

        case .reductionA:
            let branch3x3 = try conv2dBN(x, 384, 3, 3, strides: 2, padding: .valid)
            var branch3x3dbl = try conv2dBN(x, 64, 1, 1)
            branch3x3dbl = try conv2dBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = try conv2dBN(branch3x3dbl, 96, 3, 3, strides: 2, padding: .valid)
            let branchPool = try maxPool3x3(x)
            return try concatenate([branch3x3, branch3x3dbl, branchPool], name: name)

        case .b(let width):
            let branch1x1 = try conv2dBN(x, 192, 1, 1)
            var branch7x7 = try conv2dBN(x, width, 1, 1)
            branch7x7 = try conv2dBN(branch7x7, width, 1, 7)
            branch7x7 = try conv2dBN(branch7x7, 192, 7, 1)
            var branch7x7dbl = try conv2dBN(x, width, 1, 1)
            branch7x7dbl = try conv2dBN(branch7x7dbl, width, 7, 1)
            branch7x7dbl = try conv2dBN(branch7x7dbl, width, 1, 7)
            branch7x7dbl = try conv2dBN(branch7x7dbl, width, 7, 1)
            branch7x7dbl = try conv2dBN(branch7x7dbl, 192, 1, 7)
            let branchPool = try conv2dBN(averagePool3x3(x), 192, 1, 1)
            return try concatenate([branch1x1, branch7x7, branch7x7dbl, branchPool], name: name)

        case .reductionB:
            var branch3x3 = try conv2dBN(x, 192, 1, 1)
            branch3x3 = try conv2dBN(branch3x3, 320, 3, 3, strides: 2, padding: .valid)
            var branch7x7x3 = try conv2dBN(x, 192, 1, 1)
            branch7x7x3 = try conv2dBN(branch7x7x3, 192, 1, 7)
            branch7x7x3 = try conv2dBN(branch7x7x3, 192, 7, 1)
            branch7x7x3 = try conv2dBN(branch7x7x3, 192, 3, 3, strides: 2, padding: .valid)
            let branchPool = try maxPool3x3(x)
            return try concatenate([branch3x3, branch7x7x3, branchPool], name: name)

        case .c(let index):
            let branch1x1 = try conv2dBN(x, 320, 1, 1)
            let branch3x3 = try conv2dBN(x, 384, 1, 1)
            let branch3x3Joined = try concatenate(
                [conv2dBN(branch3x3, 384, 1, 3), conv2dBN(branch3x3, 384, 3, 1)], name: "mixed9_\(index)")
            var branch3x3dbl = try conv2dBN(x, 448, 1, 1)
            branch3x3dbl = try conv2dBN(branch3x3dbl, 384, 3, 3)
            let branch3x3dblJoined = try concatenate(
                [conv2dBN(branch3x3dbl, 384, 1, 3), conv2dBN(branch3x3dbl, 384, 3, 1)])
            let branchPool = try conv2dBN(averagePool3x3(x), 192, 1, 1)
            return try concatenate([branch1x1, branch3x3Joined, branch3x3dblJoined, branchPool], name: name)
        }
    }

    /// The whole feature extractor: stem, then mixed0 ... mixed10.
    public func features(_ input: SymbolicTensor) throws -> SymbolicTensor {
        var x = try inceptionStem(input)
        for (index, spec) in InceptionV3.blocks.enumerated() { x = try InceptionV3.block(x, spec, name: "mixed\(index)") }
        return x
    }

}

extension InceptionFamily {
    /// InceptionV3, `keras.applications.InceptionV3`: 23,851,784 parameters with the top.
    public static let inceptionv3: ArchitectureVariant = ArchitectureVariant(
        name: "inceptionv3", family: "Inception",
        reference: "Rethinking the Inception Architecture for Computer Vision (Szegedy et al., arXiv:1512.00567)",
        defaultInput: [299, 299, 3], minimumInput: [75, 75], preprocessing: .tf,
        parameterCount: 23_851_784, trainableParameterCount: 23_817_352,
        firstConvolution: "conv2d", lastConvolution: "mixed10", classifier: "predictions",
        source: "keras.applications", build: { try ApplicationModel(InceptionV3(), variant: inceptionv3, options: $0) })
}
