// DeepLabv3: "Rethinking Atrous Convolution for Semantic Image Segmentation" (Chen,
// Papandreou, Schroff, Adam, arXiv:1706.05587), for the parotid ultrasound segmentation
// experiment.
//
// The backbone is ZooResNet's ResNet-50 as Keras Applications builds it (its names, so the
// ImageNet weights of `keras.applications.ResNet50` load by name), with the paper's atrous
// stages (section 3.1): past the output stride, a stage's first block keeps stride 1 and its
// 3x3 convolutions are dilated instead (rate 2 for output stride 16 on stage 5; rates 2 and 4
// on stages 4 and 5 for output stride 8), as the authors' TensorFlow code does with unit
// rates 1. torchvision differs only in leaving the first block of a dilated stage at the
// previous rate.
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
// The model is one functional graph, so its layers come in Keras's `model.layers` order for
// the same graph (Tests/Fixtures/deeplab_reference.py builds it).
import ZooCore
import ZooNN
import ZooResNet
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

    /// `inputShape` is (height, width, channels); both extents must be multiples of
    /// `outputStride` (16 or 8) and at least 32.
    public init(
        inputShape: [Int] = [224, 224, 3], classes: Int = 2, outputStride: Int = 16,
        name: String = "deeplabv3"
    ) throws {
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
        // Every layer is named; the fresh scope keeps the house rule for any added later.
        let (input, output) = try BuildContext.freshNames {
            let input = try Input(shape: inputShape, name: "input_layer")
            let features = try ResNetConfiguration.resnet50.features(input, outputStride: outputStride)
            return (input, try DeepLabV3.head(features, classes: classes, outputStride: outputStride))
        }
        try super.init(inputs: [input], outputs: [output], name: name)
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

    /// Atrous spatial pyramid pooling, the projection and the classifier on the backbone's
    /// `features`, up-sampled to the input size: the logits.
    static func head(_ features: SymbolicTensor, classes: Int, outputStride: Int) throws -> SymbolicTensor {
        let filters = DeepLabV3.headFilters
        let featureExtent = features.spatial.map { $0 ?? 0 }
        func normalized(_ x: SymbolicTensor, _ conv: Layer, _ name: String) throws -> SymbolicTensor {
            let y = try BatchNormalization(channels: filters, epsilon: 1e-5, name: "\(name)_bn")(conv(x))
            return try Activation(.relu, name: "\(name)_relu")(y)
        }
        var pyramid = [try normalized(
            features,
            Conv2D(filters: filters, kernelSize: [1], inputChannels: features.channels, useBias: false, name: "aspp_conv1x1"),
            "aspp_conv1x1")]
        for base in DeepLabV3.atrousRates {
            let conv = Conv2D(
                filters: filters, kernelSize: [3], inputChannels: features.channels, padding: .same,
                dilations: [base * 16 / outputStride], useBias: false, name: "aspp_atrous\(base)")
            pyramid.append(try normalized(features, conv, "aspp_atrous\(base)"))
        }
        let pooled = try AveragePooling2D(poolSize: featureExtent, name: "aspp_pooling")(features)
        let imageLevel = try normalized(
            pooled,
            Conv2D(filters: filters, kernelSize: [1], inputChannels: features.channels, useBias: false, name: "aspp_pooling_conv"),
            "aspp_pooling")
        pyramid.append(try UpSampling(size: featureExtent, interpolation: .linear, name: "aspp_pooling_upsample")(imageLevel))

        let joined = try Concatenate(name: "aspp_concat")(pyramid)
        var y = try normalized(
            joined,
            Conv2D(filters: filters, kernelSize: [1], inputChannels: joined.channels, useBias: false, name: "aspp_project"),
            "aspp_project")
        y = try Dropout(rate: 0.1, name: "aspp_dropout")(y)
        y = try Conv2D(filters: classes, kernelSize: [1], inputChannels: filters, name: "classifier")(y)
        return try UpSampling(size: [outputStride, outputStride], interpolation: .linear, name: "output_upsample")(y)
    }
}
