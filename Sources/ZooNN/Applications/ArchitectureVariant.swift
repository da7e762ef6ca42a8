import ZooCore
import ZooTensor

/// What a variant predicts.
public enum ArchitectureTask: String, Sendable {
    /// One class vector per image: (batch, classes).
    case classification
    /// One class vector per pixel or voxel: (batch, spatial..., classes) logits.
    case segmentation
}

/// What the top of a classification network becomes when the ImageNet classifier is dropped.
public enum GlobalPoolingMode: String, Sendable, CaseIterable {
    case average = "avg"
    case max
}

/// The options every classification family takes, as Keras Applications names them.
public struct ArchitectureOptions: Sendable {
    /// Output classes of the classifier.
    public var classes = 1000
    /// Whether the ImageNet-style top (the family's own pooling and classifier) is built.
    public var includeTop = true
    /// Input (height, width, channels) or (depth, height, width, channels); nil takes the
    /// variant's default. Any channel count works: a 1-channel CT input gets a first
    /// convolution with one input channel.
    public var inputShape: [Int]?
    /// Without the top: the global pooling that ends the network (nil keeps the feature map).
    public var pooling: GlobalPoolingMode?
    /// A custom head built on the feature map instead of the family's top.
    public var head: HeadSpec?
    /// The classifier's activation (`softmax`, or `linear` for logits).
    public var classifierActivation: ActivationFunction = .softmax

    public init(
        classes: Int = 1000, includeTop: Bool = true, inputShape: [Int]? = nil, pooling: GlobalPoolingMode? = nil,
        head: HeadSpec? = nil, classifierActivation: ActivationFunction = .softmax
    ) {
        self.classes = classes
        self.includeTop = includeTop
        self.inputShape = inputShape
        self.pooling = pooling
        self.head = head
        self.classifierActivation = classifierActivation
    }
}

/// One entry of the model zoo: a named variant, its metadata, and its builder.
///
/// Metadata is data that tests check: the parameter counts are those the reference framework
/// reports for the default configuration (1000 classes, top included, default input).
public struct ArchitectureVariant: Sendable {
    /// Catalog name, e.g. `resnet50`.
    public let name: String
    /// Family name, e.g. `ResNet`.
    public let family: String
    /// The paper, as `Title (Authors, arXiv id)`.
    public let reference: String
    /// Default input (height, width, channels) or (depth, height, width, channels).
    public let defaultInput: [Int]
    /// Smallest spatial input the network accepts.
    public let minimumInput: [Int]
    public let preprocessing: PreprocessingMode
    /// Parameter counts of the default configuration (`defaultClasses`, top included, default
    /// input), as the reference framework counts them (total includes batch-norm moving
    /// statistics).
    public let parameterCount: Int
    public let trainableParameterCount: Int
    /// Layer names of the first convolution (adapted to the input's channels), the last
    /// convolutional layer (Grad-CAM's default) and the classifier.
    public let firstConvolution: String
    public let lastConvolution: String
    public let classifier: String
    /// Where the reference numbers and names come from: `keras.applications`, `torchvision`.
    public let source: String
    public let task: ArchitectureTask
    /// Classes of the reference configuration the counts describe (1000 for ImageNet).
    public let defaultClasses: Int
    /// Builds the network from options whose input shape is set (use `make`, which sets it).
    public let build: @Sendable (ArchitectureOptions) throws -> Model

    public init(
        name: String, family: String, reference: String, defaultInput: [Int], minimumInput: [Int],
        preprocessing: PreprocessingMode, parameterCount: Int, trainableParameterCount: Int,
        firstConvolution: String, lastConvolution: String, classifier: String, source: String,
        task: ArchitectureTask = .classification, defaultClasses: Int = 1000, build: @escaping @Sendable (ArchitectureOptions) throws -> Model
    ) {
        self.name = name
        self.family = family
        self.reference = reference
        self.defaultInput = defaultInput
        self.minimumInput = minimumInput
        self.preprocessing = preprocessing
        self.parameterCount = parameterCount
        self.trainableParameterCount = trainableParameterCount
        self.firstConvolution = firstConvolution
        self.lastConvolution = lastConvolution
        self.classifier = classifier
        self.source = source
        self.task = task
        self.defaultClasses = defaultClasses
        self.build = build
    }

    /// Builds the variant: the input shape is resolved (the default when nil) and checked
    /// against the minimum before the builder sees the options.
    public func make(_ options: ArchitectureOptions = ArchitectureOptions()) throws -> Model {
        var resolved = options
        resolved.inputShape = try resolvedInput(options)
        return try build(resolved)
    }

    /// The input shape `options` ask for, checked against the variant's minimum.
    public func resolvedInput(_ options: ArchitectureOptions) throws -> [Int] {
        let shape = options.inputShape ?? defaultInput
        guard shape.count == defaultInput.count, shape.allSatisfy({ $0 > 0 }) else {
            throw ModelError("\(name): input shape must have \(defaultInput.count) positive extents like \(defaultInput), got \(shape)")
        }
        let spatial = shape.dropLast()
        guard zip(spatial, minimumInput).allSatisfy({ $0 >= $1 }) else {
            throw ModelError("\(name): input \(shape) is smaller than the minimum \(minimumInput) (spatial extents)")
        }
        return shape
    }
}

/// A family target's declaration of its variants, read by the catalog.
public protocol ArchitectureFamily {
    /// Every variant of the family.
    static var variants: [ArchitectureVariant] { get }
}
