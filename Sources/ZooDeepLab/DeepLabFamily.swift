// The catalog entry of ZooDeepLab: DeepLabv3 on ResNet-50 (references in DeepLab.swift).
//
// Default input 224x224x3, so that the backbone takes Keras's ImageNet ResNet-50 weights
// as they are (a 1-channel input gets a 1-channel `conv1_conv`); minimum 32x32, Keras
// ResNet-50's, with both extents multiples of the output stride (16 in the variant; build
// `DeepLabV3(outputStride: 8)` directly for the denser, slower form). Preprocessing is
// Keras ResNet's `caffe` mode, which those weights expect.
//
// Segmentation variants return logits (N, height, width, classes) whatever
// `classifierActivation` says, because the segmentation losses (Dice, DiceCE) take logits;
// `includeTop: false`, `pooling` and a custom `head` belong to classification and are refused.
// As for every family, the metadata's parameter counts are those of the default options (1000
// classes), here as Keras counts the same network (deeplab_reference.py).
import ZooCore
import ZooNN

/// The DeepLab family: `deeplabv3`.
public enum DeepLabFamily: ArchitectureFamily {
    /// DeepLabv3, ResNet-50, output stride 16.
    public static let deeplabv3 = ArchitectureVariant(
        name: "deeplabv3", family: "DeepLab",
        reference:
            "Rethinking Atrous Convolution for Semantic Image Segmentation (Chen et al., arXiv:1706.05587)",
        defaultInput: [224, 224, 3], minimumInput: [32, 32], preprocessing: .caffe,
        // deeplab_reference.py: total 39,382,888, trainable 39,326,696 (1000 classes, 224x224x3).
        parameterCount: 39_382_888, trainableParameterCount: 39_326_696,
        firstConvolution: "conv1_conv", lastConvolution: "aspp_project_relu",
        classifier: "classifier",
        source: "keras (Tests/Fixtures/deeplab_reference.py; backbone keras.applications.ResNet50)",
        task: .segmentation,
        build: { options in try build(options) })

    private static func build(_ options: ArchitectureOptions) throws -> Model {
        let name = "deeplabv3"
        guard options.includeTop, options.pooling == nil, options.head == nil else {
            throw ModelError(
                "\(name): a segmentation network has no classification top; includeTop false, pooling "
                    + "and custom heads do not apply")
        }
        let shape = try deeplabv3.resolvedInput(options)
        return try DeepLabV3(
            inputShape: shape, classes: options.classes, outputStride: 16, name: name)
    }

    public static var variants: [ArchitectureVariant] { [deeplabv3] }
}
