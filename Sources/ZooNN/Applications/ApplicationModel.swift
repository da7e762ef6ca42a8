import ZooCore
import ZooTensor

/// The extent of a convolution or pooling output along one axis (TensorFlow's rules).
public func outputExtent(_ n: Int, kernel: Int, stride: Int = 1, padding: Padding = .valid, dilation: Int = 1) -> Int {
    let effective = (kernel - 1) * dilation + 1
    switch padding {
    case .same: return (n + stride - 1) / stride
    case .valid: return n >= effective ? (n - effective) / stride + 1 : 0
    case .explicit(let before, let after):
        let padded = n + (before.first ?? 0) + (after.first ?? 0)
        return padded >= effective ? (padded - effective) / stride + 1 : 0
    }
}

/// A classification network in the shape Keras Applications builds: an input layer, the
/// family's feature layers, then a top chosen by the options (the family's own classifier,
/// a global pooling, a custom head, or nothing).
///
/// A family subclass adds its feature layers in Keras's order after `super.init`, inside
/// `BuildContext.freshNames` so that unnamed layers take the names a fresh Keras program
/// gives them, implements `features`, and ends with `buildTop` in the same scope.
open class ApplicationModel: Model {
    /// Input (spatial..., channels), batch excluded.
    public let inputShape: [Int]
    public let options: ArchitectureOptions
    public let inputLayer: InputLayer
    public private(set) var topLayers: [Layer] = []

    public init(name: String, inputShape: [Int], options: ArchitectureOptions) {
        self.inputShape = inputShape
        self.options = options
        inputLayer = InputLayer(shape: inputShape.map { $0 }, name: "input_layer")
        super.init(name: name)
        add(inputLayer)
    }

    /// The family's feature extractor, from the input image to the last feature map.
    open func features(_ x: Tensor) throws -> Tensor {
        throw LayerError(layer: name, "the family defines no features")
    }

    /// Adds the top: with `includeTop` the family's `standardTop` (built with the options'
    /// classes and activation), else the custom head if given, else the chosen pooling
    /// (`avg_pool` / `max_pool` unless the family passes nil names for Keras's automatic ones).
    public func buildTop(
        featureShape: [Int], poolingNames: (average: String?, max: String?) = ("avg_pool", "max_pool"),
        standardTop: () throws -> [Layer]
    ) throws {
        if let head = options.head {
            topLayers = try head.build(featureShape: featureShape)
        } else if options.includeTop {
            guard options.classes > 0 else { throw ModelError("\(name): classes must be positive, got \(options.classes)") }
            topLayers = try standardTop()
        } else if let pooling = options.pooling {
            let spatialDims = featureShape.count - 1
            switch (pooling, spatialDims) {
            case (.average, 2): topLayers = [GlobalAveragePooling2D(name: poolingNames.average)]
            case (.average, _): topLayers = [GlobalAveragePooling3D(name: poolingNames.average)]
            case (.max, 2): topLayers = [GlobalMaxPooling2D(name: poolingNames.max)]
            case (.max, _): topLayers = [GlobalMaxPooling3D(name: poolingNames.max)]
            }
        }
        for layer in topLayers { add(layer) }
    }

    /// The backbone's layers: every layer but the top, input layer included. They are what
    /// Keras code counts in `base_model.layers` when it freezes a fraction of a model built
    /// with `include_top=False` under a custom head.
    public var backboneLayers: [Layer] {
        let top = Set(topLayers.map { ObjectIdentifier($0) })
        return layers.filter { !top.contains(ObjectIdentifier($0)) }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = try features(inputLayer(x))
        for layer in topLayers { y = try layer(y) }
        return y
    }
}
