// The catalog entries of ZooUNet: the 2D U-Net and U-Net++ of the parotid ultrasound
// experiment and the 3D U-Net of the CT tumour experiment (references in UNet.swift).
//
// Choices the papers leave open, recorded here: the 2D U-Net has four levels of 32-256 filters
// (Ronneberger et al. use five of 64-1024, sized for 572x572 EM tiles and a GPU of 2015; half
// the widths and one level less fit 224x224 ultrasound on a CPU); the 3D U-Net has four levels
// of 16-128 on 64^3 crops (Çiçek et al.: 32-512 with 132x132x116 tiles); U-Net++ keeps the
// authors' five levels of 32-512. Default inputs are one channel (grey ultrasound and CT).
//
// Segmentation variants return logits (N, spatial..., classes) whatever
// `classifierActivation` says, because the segmentation losses (Dice, DiceCE) take logits;
// `includeTop: false`, `pooling` and a custom `head` belong to classification and are refused.
// As for every family, the metadata's parameter counts are those of the default options (1000
// classes), here as Keras counts the same network built layer by layer (unet_reference.py).
import ZooCore
import ZooNN

/// The U-Net family: `unet2d`, `unet3d`, `unetplusplus`.
public enum UNetFamily: ArchitectureFamily {
    /// The variant table: (name, configuration, default input, minimum input, Keras counts
    /// for 1000 classes at the default input, last feature layer, paper).
    private static let table: [(String, UNetConfiguration, [Int], (Int, Int), String, String)] = [
        (
            "unet2d", UNetConfiguration(spatialDims: 2, features: [32, 64, 128, 256]),
            [224, 224, 1],
            (1_963_624, 1_960_808), "up1_relu2",
            "U-Net: Convolutional Networks for Biomedical Image Segmentation (Ronneberger et al., arXiv:1505.04597)"
        ),
        (
            "unet3d", UNetConfiguration(spatialDims: 3, features: [16, 32, 64, 128]),
            [64, 64, 64, 1],
            (1_420_360, 1_418_952), "up1_relu2",
            "3D U-Net: Learning Dense Volumetric Segmentation from Sparse Annotation (Çiçek et al., arXiv:1606.06650)"
        ),
        (
            "unetplusplus",
            UNetConfiguration(spatialDims: 2, features: [32, 64, 128, 256, 512], nested: true),
            [224, 224, 1], (9_089_160, 9_081_864), "x0_4_relu2",
            "UNet++: A Nested U-Net Architecture for Medical Image Segmentation (Zhou et al., arXiv:1807.10165)"
        ),
    ]

    private static func variant(_ name: String) -> ArchitectureVariant {
        let (_, configuration, defaultInput, counts, last, reference) = table.first {
            $0.0 == name
        }!
        let minimum = [Int](
            repeating: configuration.inputMultiple, count: configuration.spatialDims)
        return ArchitectureVariant(
            name: name, family: "UNet", reference: reference, defaultInput: defaultInput,
            minimumInput: minimum,
            preprocessing: .none, parameterCount: counts.0, trainableParameterCount: counts.1,
            firstConvolution: configuration.nested ? "x0_0_conv1" : "down1_conv1",
            lastConvolution: last,
            classifier: "final_conv", source: "keras (Tests/Fixtures/unet_reference.py)",
            task: .segmentation,
            build: { options in try build(name, configuration, options) })
    }

    /// Builds variant `name` from the options: input shape (spatial..., channels) and classes.
    private static func build(
        _ name: String, _ configuration: UNetConfiguration, _ options: ArchitectureOptions
    ) throws
        -> Model
    {
        guard options.includeTop, options.pooling == nil, options.head == nil else {
            throw ModelError(
                "\(name): a segmentation network has no classification top; includeTop false, pooling "
                    + "and custom heads do not apply")
        }
        let shape = try variant(name).resolvedInput(options)
        try UNet.checkExtents(Array(shape.dropLast()), configuration, name: name)
        return try UNet(
            configuration, inputChannels: shape.last!, classes: options.classes, inputShape: shape,
            name: name)
    }

    /// The 2D U-Net, 32-256 filters, 224x224x1 by default.
    public static let unet2d = variant("unet2d")
    /// The 3D U-Net, 16-128 filters, 64x64x64x1 by default.
    public static let unet3d = variant("unet3d")
    /// U-Net++ (2D, 32-512 filters), one head on X^{0,4}; deep supervision through `UNet` directly.
    public static let unetplusplus = variant("unetplusplus")

    public static var variants: [ArchitectureVariant] { [unet2d, unet3d, unetplusplus] }
}
