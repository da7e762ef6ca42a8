// VGG: "Very Deep Convolutional Networks for Large-Scale Image Recognition" (Karen Simonyan,
// Andrew Zisserman; arXiv:1409.1556), Table 1, configurations D (VGG16) and E (VGG19).
//
// Built as keras.applications' `VGG16` / `VGG19`: five blocks of 3x3 'same' convolutions with
// bias and ReLU (`block1_conv1` ... `block5_conv3`/`conv4`), each ended by a 2x2/2 max pool
// (`block1_pool` ... `block5_pool`); the top is `flatten`, `fc1` 4096 ReLU, `fc2` 4096 ReLU,
// `predictions`. Names, layer order, weight shapes and parameter counts equal Keras's.
//
// The ImageNet top flattens a 7x7x512 map, so its weights need 224x224 input. With the top
// and another input size, `fc1` takes the flatten size that input gives (as Keras does with
// `weights=None`): (height / 32) * (width / 32) * 512, rounded down. Without the top any input
// of at least 32x32 works. Keras leaves the pooling of `includeTop: false` unnamed, so it is
// `global_average_pooling2d` / `global_max_pooling2d` here too.
//
// The model is built inside `BuildContext.freshNames`, features and top in one scope, so the
// unnamed layers take the names a freshly started Keras program gives them.
import ZooCore
import ZooNN
import ZooTensor

/// One VGG as data: the number of convolutions in each of the five blocks.
public struct VGGConfiguration: Sendable {
    /// Catalog and model name, e.g. `vgg16`.
    public let name: String
    /// Convolutions per block; block widths are `VGGConfiguration.blockFilters`.
    public let convolutionsPerBlock: [Int]

    /// A configuration; the zoo's two are the static members below.
    public init(name: String, convolutionsPerBlock: [Int]) {
        self.name = name
        self.convolutionsPerBlock = convolutionsPerBlock
    }

    /// Configuration D of the paper's Table 1.
    public static let vgg16 = VGGConfiguration(name: "vgg16", convolutionsPerBlock: [2, 2, 3, 3, 3])
    /// Configuration E of the paper's Table 1.
    public static let vgg19 = VGGConfiguration(name: "vgg19", convolutionsPerBlock: [2, 2, 4, 4, 4])

    /// Filters of the five blocks, shared by every configuration.
    public static let blockFilters = [64, 128, 256, 512, 512]
    /// Units of the two hidden layers of the ImageNet top.
    public static let hiddenUnits = 4096
}

/// A VGG of any configuration: convolution blocks, then the top the options choose.
extension VGGConfiguration: ApplicationNetwork {
    public func modelName(inputShape: [Int]) -> String { name }

    /// Keras names the pooling without the top automatically.
    public var poolingNames: (average: String?, max: String?) { (nil, nil) }

    /// The five convolution blocks (3x3 convolutions with ReLU, then a 2x2 max pooling), up
    /// to `block5_pool`.
    public func features(_ x: SymbolicTensor) throws -> SymbolicTensor {
        var y = x
        for (blockIndex, (count, filters)) in zip(convolutionsPerBlock, VGGConfiguration.blockFilters).enumerated() {
            let name = "block\(blockIndex + 1)"
            for index in 0..<count {
                y = try Conv2D(
                    filters: filters, kernelSize: [3], inputChannels: y.channels, padding: .same,
                    activation: .relu, name: "\(name)_conv\(index + 1)")(y)
            }
            y = try MaxPooling2D(poolSize: [2], strides: [2], name: "\(name)_pool")(y)
        }
        return y
    }

    /// The ImageNet top: `flatten`, two dense layers of 4096 (`fc1`, `fc2`), `predictions`.
    public func classifier(_ featureMap: SymbolicTensor, options: ArchitectureOptions) throws -> SymbolicTensor {
        var y = try Flatten(name: "flatten")(featureMap)
        for name in ["fc1", "fc2"] {
            y = try Dense(units: VGGConfiguration.hiddenUnits, inputFeatures: y.channels, activation: .relu, name: name)(y)
        }
        return try Dense(
            units: options.classes, inputFeatures: y.channels, activation: options.classifierActivation,
            name: "predictions")(y)
    }
}

/// The VGG family of the zoo: keras.applications' VGG16 and VGG19.
public enum VGGFamily: ArchitectureFamily {
    /// keras.applications `VGG16`.
    public static let vgg16 = variant(.vgg16, total: 138_357_544)
    /// keras.applications `VGG19`.
    public static let vgg19 = variant(.vgg19, total: 143_667_240)

    /// Both, smaller first.
    public static var variants: [ArchitectureVariant] { [vgg16, vgg19] }

    /// The catalog entry of `configuration` (every weight trainable: VGG has no batch norm);
    /// its builder checks the input against the entry's own metadata.
    static func variant(_ configuration: VGGConfiguration, total: Int) -> ArchitectureVariant {
        let blocks = configuration.convolutionsPerBlock
        return ArchitectureVariant(
            name: configuration.name, family: "VGG",
            reference: "Very Deep Convolutional Networks for Large-Scale Image Recognition "
                + "(Simonyan, Zisserman, arXiv:1409.1556)",
            defaultInput: [224, 224, 3], minimumInput: [32, 32], preprocessing: .caffe,
            parameterCount: total, trainableParameterCount: total,
            firstConvolution: "block1_conv1", lastConvolution: "block\(blocks.count)_pool",
            classifier: "predictions", source: "keras.applications",
            build: { options in
                let entry = variant(configuration, total: total)
                return try ApplicationModel(configuration, variant: entry, options: options)
            })
    }
}
