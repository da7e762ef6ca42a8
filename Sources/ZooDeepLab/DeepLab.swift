// DeepLabv3: "Rethinking Atrous Convolution for Semantic Image Segmentation" (Chen,
// Papandreou, Schroff, Adam, arXiv:1706.05587), on the dilated ResNet-50 of
// DilatedResNet.swift, for the parotid ultrasound segmentation experiment.
//
// The head is the paper's section 3.3: atrous spatial pyramid pooling with a 1x1 convolution,
// three 3x3 atrous convolutions (rates 6, 12, 18 at output stride 16, doubled at 8) and
// image-level features (global average pooling, 1x1 convolution, bilinear up-sampling back),
// 256 filters each with batch norm and ReLU, joined and projected by a 1x1 convolution (256,
// batch norm, ReLU), then the 1x1 classifier; the logits are up-sampled bilinearly to the
// input size. The head's convolutions carry no bias (batch norm follows) and its batch norms
// use epsilon 1e-5, as the authors' TensorFlow code; so does the dropout of 0.1 after the
// projection (their `keep_prob=0.9`; torchvision uses 0.5).
//
// The atrous branches are named after their rate at output stride 16 (`aspp_atrous6`, ...)
// whatever the output stride: the paper trains at 16 and evaluates at 8, so the same weights
// must load into both. The image-level branch pools with an average pooling over the whole
// feature map (Keras's `GlobalAveragePooling2D(keepdims=True)` in effect) and broadcasts back
// with an up-sampling by the feature map's size, so the input size is fixed at build time.
// Layers are added in Keras's `model.layers` order for the same graph
// (Tests/Fixtures/deeplab_reference.py builds it).
import ZooCore
import ZooNN
import ZooTensor

/// DeepLabv3 with a ResNet-50 backbone, giving logits (N, height, width, classes).
public final class DeepLabV3: Model {
    /// Filters of every ASPP branch and of the projection.
    public static let headFilters = 256
    /// Atrous rates at output stride 16; output stride 8 doubles them.
    public static let atrousRates = [6, 12, 18]

    public let inputShape: [Int]
    public let classes: Int
    public let outputStride: Int
    public let inputLayer: InputLayer
    private let backbone: DilatedResNet50
    /// aspp_conv1x1, the three aspp_atrous, and aspp_pooling, each a chain ending in ReLU
    /// (the pooling chain ends in its up-sampling).
    private var branches: [[Layer]] = []
    private var concat: Concatenate!
    /// aspp_project (+ bn, relu), aspp_dropout, classifier, output_upsample.
    private var top: [Layer] = []

    /// `inputShape` is (height, width, channels); both extents must be multiples of
    /// `outputStride` (16 or 8) and at least 32.
    public init(
        inputShape: [Int] = [224, 224, 3], classes: Int = 2, outputStride: Int = 16,
        name: String = "deeplabv3"
    )
        throws
    {
        guard outputStride == 16 || outputStride == 8 else {
            throw ModelError("\(name): output stride must be 16 or 8, got \(outputStride)")
        }
        try DeepLabV3.checkInput(inputShape, outputStride: outputStride, name: name)
        guard classes > 0 else {
            throw ModelError("\(name): classes must be positive, got \(classes)")
        }
        self.inputShape = inputShape
        self.classes = classes
        self.outputStride = outputStride
        inputLayer = InputLayer(shape: inputShape.map { $0 }, name: "input_layer")
        // Unnamed layers would take fresh Keras names; all are named, and the scope keeps the
        // house rule for any added later.
        backbone = BuildContext.freshNames {
            DilatedResNet50(inputChannels: inputShape[2], outputStride: outputStride)
        }
        super.init(name: name)
        BuildContext.freshNames { buildHead() }
    }

    static func checkInput(_ shape: [Int], outputStride: Int, name: String) throws {
        guard shape.count == 3, shape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("\(name): input shape must be (height, width, channels), got \(shape)")
        }
        guard shape[0] >= 32, shape[1] >= 32, shape[0] % outputStride == 0,
            shape[1] % outputStride == 0
        else {
            throw ModelError(
                "\(name): input \(shape) needs height and width of at least 32 and multiples of the output stride "
                    + "\(outputStride)")
        }
    }

    private func buildHead() {
        let (filters, features) = (DeepLabV3.headFilters, backbone.outputChannels)
        let feature = [inputShape[0] / outputStride, inputShape[1] / outputStride]
        func normalized(_ conv: Layer, _ name: String) -> [Layer] {
            [
                conv, BatchNormalization(channels: filters, epsilon: 1e-5, name: "\(name)_bn"),
                Activation(.relu, name: "\(name)_relu"),
            ]
        }
        branches.append(
            normalized(
                Conv2D(
                    filters: filters, kernelSize: [1], inputChannels: features, useBias: false,
                    name: "aspp_conv1x1"),
                "aspp_conv1x1"))
        for base in DeepLabV3.atrousRates {
            let rate = base * 16 / outputStride
            let conv = Conv2D(
                filters: filters, kernelSize: [3], inputChannels: features, padding: .same,
                dilations: [rate],
                useBias: false, name: "aspp_atrous\(base)")
            branches.append(normalized(conv, "aspp_atrous\(base)"))
        }
        branches.append(
            [AveragePooling2D(poolSize: feature, name: "aspp_pooling")]
                + normalized(
                    Conv2D(
                        filters: filters, kernelSize: [1], inputChannels: features, useBias: false,
                        name: "aspp_pooling_conv"),
                    "aspp_pooling")
                + [UpSampling(size: feature, interpolation: .linear, name: "aspp_pooling_upsample")]
        )
        concat = Concatenate(name: "aspp_concat")
        top =
            normalized(
                Conv2D(
                    filters: filters, kernelSize: [1], inputChannels: 5 * filters, useBias: false,
                    name: "aspp_project"),
                "aspp_project")
            + [
                Dropout(rate: 0.1, name: "aspp_dropout"),
                Conv2D(
                    filters: classes, kernelSize: [1], inputChannels: filters, name: "classifier"),
                UpSampling(
                    size: [outputStride, outputStride], interpolation: .linear,
                    name: "output_upsample"),
            ]

        var graph = KerasLayerOrder()
        // One mutation of `graph` per statement: an argument that mutated it too would be lost.
        let input = graph.record(inputLayer, [])
        let backboneOutput = backbone.record(in: &graph, from: input)
        var branchOutputs = [Int]()
        for chain in branches { branchOutputs.append(graph.chain(chain, from: backboneOutput)) }
        let joined = graph.record(concat, branchOutputs)
        let output = graph.chain(top, from: joined)
        for layer in graph.ordered(outputs: [output]) { add(layer) }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let features = try backbone(inputLayer(x))
        let pyramid = try branches.map { chain -> Tensor in
            var y = features
            for layer in chain { y = try layer(y) }
            return y
        }
        var y = try concat(pyramid)
        for layer in top { y = try layer(y) }
        return y
    }
}
