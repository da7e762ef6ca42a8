// U-Net: "U-Net: Convolutional Networks for Biomedical Image Segmentation" (Ronneberger,
// Fischer, Brox, arXiv:1505.04597); its volumetric form, "3D U-Net: Learning Dense Volumetric
// Segmentation from Sparse Annotation" (Çiçek, Abdulkadir, Lienkamp, Brox, Ronneberger,
// arXiv:1606.06650); and "UNet++: A Nested U-Net Architecture for Medical Image Segmentation"
// (Zhou, Rahman Siddiquee, Tajbakhsh, Liang, arXiv:1807.10165).
//
// One implementation serves all three, as U-Net++'s own notation suggests: node X^{i,j} (row i
// of the encoder, column j) is a convolution block H applied to
//     X^{i-1,0} max-pooled                                 when j = 0 (the encoder),
//     [X^{i,0}, ..., X^{i,j-1}, Up(X^{i+1,j-1})] joined     when j > 0,
// and U-Net is the subset of nodes on the "U": the encoder column and the nodes X^{i,L-1-i},
// each joined with its encoder node X^{i,0} only.
//
// Deliberate deviations from the papers: convolutions are 'same'-padded (the papers crop the
// skip connections of 'valid' convolutions), so the output has the input's extent; every
// convolution is followed by a normalization (batch or instance; Ronneberger et al. have
// none, Çiçek et al. batch norm) and keeps its bias, as Keras builds Conv + BN by default;
// U-Net++ uses the same block as U-Net (the authors' code adds dropout). The up-sampling
// decoder ("up-convolution": nearest up-sampling then a 2x2 convolution that halves the
// channels) is the alternative to the transposed convolution of kernel 2, stride 2.
//
// Layers carry readable names (`down1_conv1`, `bottleneck_bn2`, `up3_transpose`, `x1_2_concat`,
// `final_conv`); the model is one functional graph, so they come in Keras's `model.layers`
// order for the same graph (Tests/Fixtures/unet_reference.py builds it).
import ZooCore
import ZooNN
import ZooTensor

/// The shape of a U-Net as values: dimensionality, widths, normalization, decoder, nesting.
public struct UNetConfiguration: Sendable, Equatable {
    /// Normalization after each convolution.
    public enum Normalization: String, Sendable { case batch, instance }
    /// How a decoder node doubles the resolution of the node below it.
    public enum Decoder: String, Sendable {
        /// Transposed convolution, kernel 2, stride 2 (`up3_transpose`).
        case transposedConvolution = "transpose"
        /// Nearest up-sampling by 2, then a kernel-2 'same' convolution (`up3_upsample`, `up3_upconv`).
        case upSampling = "upsampling"
    }
    /// U-Net++ deep supervision: a 1x1 head on each top node X^{0,1}, ..., X^{0,L-1}.
    public enum DeepSupervision: String, Sendable {
        /// The mean of the heads (the paper's "accurate mode").
        case average
        /// Every head, joined along the channel axis: (N, spatial..., heads * classes).
        case all
    }

    /// 2 for images, 3 for volumes.
    public var spatialDims: Int
    /// Filters of each level, top to bottom; the last is the bottleneck.
    public var features: [Int]
    public var normalization: Normalization
    public var decoder: Decoder
    /// U-Net++'s nested dense skip pathways.
    public var nested: Bool
    /// Only for `nested`; nil gives one head on the last top node.
    public var deepSupervision: DeepSupervision?

    public init(
        spatialDims: Int, features: [Int], normalization: Normalization = .batch,
        decoder: Decoder = .transposedConvolution, nested: Bool = false,
        deepSupervision: DeepSupervision? = nil
    ) {
        self.spatialDims = spatialDims
        self.features = features
        self.normalization = normalization
        self.decoder = decoder
        self.nested = nested
        self.deepSupervision = deepSupervision
    }

    /// Levels, counting the bottleneck.
    public var levels: Int { features.count }
    /// Every spatial extent of the input must be a multiple of this (one halving per pooling).
    public var inputMultiple: Int { 1 << (levels - 1) }
}

extension UNetConfiguration {
    /// The nodes in computation order: U-Net++ column by column; U-Net down, then up.
    var nodeGrid: [(row: Int, column: Int, skips: [Int])] {
        let last = levels - 1
        let encoder = (0...last).map { (row: $0, column: 0, skips: [Int]()) }
        if nested {
            return encoder
                + (1...last).flatMap { j in
                    (0...(last - j)).map { (row: $0, column: j, skips: Array(0..<j)) }
                }
        }
        return encoder + (0..<last).reversed().map { (row: $0, column: last - $0, skips: [0]) }
    }

    /// U-Net names: `down{i+1}`, `bottleneck`, `up{i+1}`; U-Net++: the paper's `x{i}_{j}`.
    func nodeName(row: Int, column: Int) -> String {
        if nested { return "x\(row)_\(column)" }
        if column > 0 { return "up\(row + 1)" }
        return row == levels - 1 ? "bottleneck" : "down\(row + 1)"
    }

    /// Two 3x3(x3) convolutions, each followed by the normalization and a ReLU: the block H.
    func convBlock(_ x: SymbolicTensor, _ name: String, filters: Int) throws -> SymbolicTensor {
        var y = x
        for k in 1...2 {
            y = try SpatialLayers.conv(spatialDims, filters: filters, kernel: 3, inputChannels: y.channels, name: "\(name)_conv\(k)")(y)
            let norm: Layer = normalization == .batch
                ? BatchNormalization(channels: filters, name: "\(name)_bn\(k)")
                : InstanceNormalization(channels: filters, name: "\(name)_in\(k)")
            y = try Activation(.relu, name: "\(name)_relu\(k)")(norm(y))
        }
        return y
    }

    /// Every node X^{i,j} on `input`, then the heads: one 1x1 convolution on the last top
    /// node, or with deep supervision one on each top node X^{0,j}. Returns the heads' logits.
    func heads(_ input: SymbolicTensor, classes: Int) throws -> [SymbolicTensor] {
        var outputs = [[Int]: SymbolicTensor]()
        func node(_ row: Int, _ column: Int) throws -> SymbolicTensor {
            guard let output = outputs[[row, column]] else {
                throw ModelError("U-Net: node x\(row)_\(column) is used before it is built")
            }
            return output
        }
        for (row, column, skips) in nodeGrid {
            let name = nodeName(row: row, column: column)
            let filters = features[row]
            var x = input
            if column == 0, row > 0 {
                // U-Net names the pooling after the level it leaves, U-Net++ after the node it feeds.
                let poolName = nested ? "\(name)_pool" : "\(nodeName(row: row - 1, column: 0))_pool"
                x = try SpatialLayers.maxPool(spatialDims, name: poolName)(node(row - 1, 0))
            } else if column > 0 {
                var up = try node(row + 1, column - 1)
                switch decoder {
                case .transposedConvolution:
                    up = try SpatialLayers.transpose(spatialDims, filters: filters, inputChannels: up.channels, name: "\(name)_transpose")(up)
                case .upSampling:
                    up = try UpSampling(size: [Int](repeating: 2, count: spatialDims), name: "\(name)_upsample")(up)
                    up = try SpatialLayers.conv(spatialDims, filters: filters, kernel: 2, inputChannels: up.channels, name: "\(name)_upconv")(up)
                }
                x = try Concatenate(name: "\(name)_concat")(skips.map { try node(row, $0) } + [up])
            }
            outputs[[row, column]] = try convBlock(x, name, filters: filters)
        }
        guard deepSupervision != nil else {
            let head = SpatialLayers.conv(spatialDims, filters: classes, kernel: 1, inputChannels: features[0], name: "final_conv")
            return [try head(node(0, levels - 1))]
        }
        return try (1..<levels).map { column in
            let head = SpatialLayers.conv(spatialDims, filters: classes, kernel: 1, inputChannels: features[0], name: "final_conv\(column)")
            return try head(node(0, column))
        }
    }
}

/// A U-Net, 3D U-Net or U-Net++ giving logits (N, spatial..., classes).
public final class UNet: Model {
    public let configuration: UNetConfiguration
    public let inputChannels: Int
    public let classes: Int
    public let inputLayer: InputLayer
    /// The graph to each head's logits: one, or with deep supervision one per top node.
    private let headsGraph: FunctionalGraph

    /// Builds the network. `inputShape` (spatial..., channels) fixes the input; without it any
    /// extent that is a multiple of `configuration.inputMultiple` is accepted.
    public init(
        _ configuration: UNetConfiguration, inputChannels: Int = 1, classes: Int = 2,
        inputShape: [Int]? = nil,
        name: String = "unet"
    ) throws {
        let c = configuration
        guard c.spatialDims == 2 || c.spatialDims == 3 else {
            throw ModelError("\(name): spatialDims must be 2 or 3, got \(c.spatialDims)")
        }
        guard c.levels >= 2, c.features.allSatisfy({ $0 > 0 }) else {
            throw ModelError(
                "\(name): features needs two or more positive widths, got \(c.features)")
        }
        guard inputChannels > 0, classes > 0 else {
            throw ModelError(
                "\(name): inputChannels and classes must be positive, got \(inputChannels), \(classes)"
            )
        }
        guard c.deepSupervision == nil || c.nested else {
            throw ModelError("\(name): deep supervision needs the nested (U-Net++) pathways")
        }
        let spatial: [Int?]
        if let inputShape {
            guard inputShape.count == c.spatialDims + 1, inputShape.last == inputChannels else {
                throw ModelError(
                    "\(name): input shape \(inputShape) is not (spatial x\(c.spatialDims), \(inputChannels))"
                )
            }
            try UNet.checkExtents(Array(inputShape.dropLast()), c, name: name)
            spatial = inputShape.dropLast().map { $0 }
        } else {
            spatial = [Int?](repeating: nil, count: c.spatialDims)
        }
        self.configuration = c
        self.inputChannels = inputChannels
        self.classes = classes
        // All layers are named, so fresh counters change nothing today; the scope keeps the
        // house rule that a model's automatic names never depend on what was built before.
        let (input, heads, output) = try BuildContext.freshNames {
            let input = try Input(shape: spatial + [inputChannels], name: "input_layer")
            let heads = try c.heads(input, classes: classes)
            switch c.deepSupervision {
            case nil: return (input, heads, heads[0])
            case .average?: return (input, heads, try Average(name: "final_average")(heads))
            case .all?: return (input, heads, try Concatenate(name: "final_concat")(heads))
            }
        }
        guard let inputLayer = input.node.operation as? InputLayer else {
            throw ModelError("\(name): the input is not an input layer")
        }
        self.inputLayer = inputLayer
        headsGraph = try FunctionalGraph(inputs: [input], outputs: heads, model: name)
        try super.init(inputs: [input], outputs: [output], name: name)
    }

    /// `UNet(spatialDims: 3, features: [16, 32, 64, 128])`: the configuration's values spelled out.
    public convenience init(
        spatialDims: Int, features: [Int], inputChannels: Int = 1, classes: Int = 2,
        normalization: UNetConfiguration.Normalization = .batch,
        decoder: UNetConfiguration.Decoder = .transposedConvolution, nested: Bool = false,
        deepSupervision: UNetConfiguration.DeepSupervision? = nil, inputShape: [Int]? = nil
    ) throws {
        try self.init(
            UNetConfiguration(
                spatialDims: spatialDims, features: features, normalization: normalization,
                decoder: decoder,
                nested: nested, deepSupervision: deepSupervision),
            inputChannels: inputChannels, classes: classes, inputShape: inputShape,
            name: nested ? "unet_plus_plus" : "unet")
    }

    static func checkExtents(_ extents: [Int], _ c: UNetConfiguration, name: String) throws {
        let multiple = c.inputMultiple
        guard extents.allSatisfy({ $0 >= multiple && $0 % multiple == 0 }) else {
            throw ModelError(
                "\(name): input extents \(extents) must be multiples of \(multiple), at least \(multiple) "
                    + "(\(c.levels - 1) poolings by 2)")
        }
    }

    /// Every head's logits: one tensor, or with deep supervision one per top node X^{0,j}
    /// (a loss on each is U-Net++'s deep supervision).
    public func headOutputs(_ x: Tensor) throws -> [Tensor] {
        try checkExtents(of: x)
        return try headsGraph.run([x], model: name)
    }

    /// Checks the input's extents (a U-Net built without a fixed input takes any multiple of
    /// `configuration.inputMultiple`) before the graph runs.
    public override func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        for x in inputs { try checkExtents(of: x) }
        return try super.forward(inputs)
    }

    private func checkExtents(of x: Tensor) throws {
        // A wrong rank or channel count is the input layer's error, when the graph runs.
        guard x.rank == configuration.spatialDims + 2 else { return }
        try UNet.checkExtents(Array(x.shape.dropFirst().dropLast()), configuration, name: name)
    }
}
