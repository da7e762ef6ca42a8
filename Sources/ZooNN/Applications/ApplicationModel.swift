import ZooCore
import ZooTensor

/// A classification family's network as Keras Applications defines it: its model name, its
/// features as a function of the input tensor, and its ImageNet classifier. `ApplicationModel`
/// builds any of them with the top the options choose.
public protocol ApplicationNetwork {
    /// Keras's model name for an input of `inputShape` (`resnet50`, `mobilenetv2_1.00_224`).
    func modelName(inputShape: [Int]) -> String
    /// From the input image to the last feature map.
    func features(_ input: SymbolicTensor) throws -> SymbolicTensor
    /// The classifier of `include_top=True` on the feature map, with the options' classes and
    /// activation (default: `avg_pool` then `predictions`).
    func classifier(_ featureMap: SymbolicTensor, options: ArchitectureOptions) throws -> SymbolicTensor
    /// Names of the global pooling `pooling='avg'` or `'max'` adds without the top (nil:
    /// Keras's automatic names; default `avg_pool` and `max_pool`).
    var poolingNames: (average: String?, max: String?) { get }
}

extension ApplicationNetwork {
    public func classifier(_ featureMap: SymbolicTensor, options: ArchitectureOptions) throws -> SymbolicTensor {
        try averagePoolClassifier(featureMap, options: options)
    }

    public var poolingNames: (average: String?, max: String?) { ("avg_pool", "max_pool") }
}

/// A classification network in the shape Keras Applications builds: an input layer, the
/// family's features, then a top chosen by the options (the family's own classifier, a global
/// pooling, a custom head, or nothing), one functional graph.
///
/// A family subclass hands `init` its features and its standard top as functions of symbolic
/// tensors; both run inside `BuildContext.freshNames`, so unnamed layers take the names a
/// fresh Keras program gives them, and the layers come out in Keras's order by construction.
/// A model whose layers divide into a backbone and a head on top of it: what a freeze
/// fraction (`base_model.layers[:n]` in Keras code) counts.
public protocol BackboneSplit: Model {
    /// The backbone's layers, in Keras's order.
    var backboneLayers: [Layer] { get }
}

open class ApplicationModel: Model, BackboneSplit {
    /// Input (spatial..., channels), batch excluded.
    public let inputShape: [Int]
    public let options: ArchitectureOptions
    public let inputLayer: InputLayer
    /// The last feature map, before the top (Grad-CAM's default).
    public let featureMap: SymbolicTensor
    /// The backbone's layers: every layer up to the feature map, input layer included. They
    /// are what Keras code counts in `base_model.layers` when it freezes a fraction of a model
    /// built with `include_top=False` under a custom head.
    public let backboneLayers: [Layer]
    /// The graph from the input to the feature map (what `features` runs).
    private let featureGraph: FunctionalGraph

    /// Builds input, features and top. `standardTop` is the family's classifier on the feature
    /// map (used with `includeTop`, and the options' classes and activation); `poolingNames`
    /// names the global pooling chosen without the top (nil: Keras's automatic names).
    public init(
        name: String, inputShape: [Int], options: ArchitectureOptions,
        poolingNames: (average: String?, max: String?) = ("avg_pool", "max_pool"),
        features: (SymbolicTensor) throws -> SymbolicTensor,
        standardTop: (SymbolicTensor) throws -> SymbolicTensor
    ) throws {
        let (input, featureMap, output) = try BuildContext.freshNames {
            let input = try Input(shape: inputShape, name: "input_layer")
            let featureMap = try features(input)
            let output = try ApplicationModel.top(
                on: featureMap, model: name, options: options, poolingNames: poolingNames, standardTop: standardTop)
            return (input, featureMap, output)
        }
        guard let inputLayer = input.node.operation as? InputLayer else {
            throw ModelError("\(name): the input is not an input layer")
        }
        self.inputShape = inputShape
        self.options = options
        self.inputLayer = inputLayer
        self.featureMap = featureMap
        featureGraph = try FunctionalGraph(inputs: [input], outputs: [featureMap], model: name)
        backboneLayers = featureGraph.operations.compactMap { $0 as? Layer }
        try super.init(inputs: [input], outputs: [output], name: name)
    }

    /// Builds `network` at the input `options` ask for, checked against `variant`'s default and
    /// minimum input (a `ModelError` naming the variant and the shapes).
    public convenience init(_ network: some ApplicationNetwork, variant: ArchitectureVariant, options: ArchitectureOptions) throws {
        let inputShape = try variant.resolvedInput(options)
        try self.init(
            name: network.modelName(inputShape: inputShape), inputShape: inputShape, options: options,
            poolingNames: network.poolingNames, features: network.features,
            standardTop: { try network.classifier($0, options: options) })
    }

    /// The top on `featureMap`: with `includeTop` the family's `standardTop`, else the custom
    /// head if given, else the chosen pooling, else nothing. Returns the model's output.
    static func top(
        on featureMap: SymbolicTensor, model: String, options: ArchitectureOptions,
        poolingNames: (average: String?, max: String?), standardTop: (SymbolicTensor) throws -> SymbolicTensor
    ) throws -> SymbolicTensor {
        if let head = options.head { return try head.build(on: featureMap).output }
        if options.includeTop {
            guard options.classes > 0 else { throw ModelError("\(model): classes must be positive, got \(options.classes)") }
            return try standardTop(featureMap)
        }
        guard let pooling = options.pooling else { return featureMap }
        switch (pooling, featureMap.spatial.count) {
        case (.average, 2): return try GlobalAveragePooling2D(name: poolingNames.average)(featureMap)
        case (.average, _): return try GlobalAveragePooling3D(name: poolingNames.average)(featureMap)
        case (.max, 2): return try GlobalMaxPooling2D(name: poolingNames.max)(featureMap)
        case (.max, _): return try GlobalMaxPooling3D(name: poolingNames.max)(featureMap)
        }
    }

    /// The layers after the feature map: the top, whichever the options chose.
    public var topLayers: [Layer] {
        let backbone = Set(backboneLayers.map { ObjectIdentifier($0) })
        return layers.filter { !backbone.contains(ObjectIdentifier($0)) }
    }

    /// The feature extractor run on an image batch: the last feature map.
    public func features(_ x: Tensor) throws -> Tensor {
        try featureGraph.run([x], model: name)[0]
    }
}

/// Keras Applications' classifier: global average pooling (`avg_pool`) and the dense layer of
/// `classes` (`predictions`) with the options' activation.
public func averagePoolClassifier(_ featureMap: SymbolicTensor, options: ArchitectureOptions) throws -> SymbolicTensor {
    let pooled = try GlobalAveragePooling2D(name: "avg_pool")(featureMap)
    return try Dense(
        units: options.classes, inputFeatures: pooled.channels, activation: options.classifierActivation,
        name: "predictions")(pooled)
}
