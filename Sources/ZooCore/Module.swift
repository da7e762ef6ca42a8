import ZooTensor

/// A node of a model: a layer, a group of layers (a block), or a whole model.
///
/// A module owns its parameters (if it is a layer) and its children, in the order they were
/// added, which is the order Keras lists the same model's layers; nothing depends on
/// reflection or on the order of stored properties. A parameter's path is the names of the
/// *scoped* modules above it joined with `/`, then the parameter's name: a layer is scoped
/// (`conv1_conv/kernel`), a block that only groups layers is not (so a ResNet block's layers
/// keep their Keras names `conv2_block1_1_conv/kernel`), and a model nested in another one is
/// (`resnet50/conv1_conv/kernel`), as in Keras files. Loading and saving are then lookups by
/// path.
open class Module {
    /// The module's name: a Keras layer name for layers, the model name for models.
    public let name: String
    /// Whether `name` prefixes the paths of the parameters inside.
    public let isScope: Bool
    /// Direct children, in the order they were added.
    public private(set) var children: [Module] = []
    /// Whether the model runs in training mode (batch statistics, dropout active).
    public private(set) var isTraining = false

    public init(name: String, isScope: Bool) {
        self.name = name
        self.isScope = isScope
    }

    /// Adds a child module (a layer, a block, a nested model) and returns it.
    @discardableResult
    public func add<M: Module>(_ child: M) -> M {
        children.append(child)
        child.setTraining(isTraining)
        return child
    }

    /// Switches this module and everything inside it to training or inference mode.
    public func setTraining(_ training: Bool) {
        isTraining = training
        for child in children { child.setTraining(training) }
    }

    /// Every layer inside, depth first, in the order added: Keras's `model.layers` order for
    /// the architectures of the zoo (nested models are entered).
    public var layers: [Layer] {
        var result = [Layer]()
        func visit(_ module: Module) {
            if let layer = module as? Layer { result.append(layer) }
            for child in module.children { visit(child) }
        }
        visit(self)
        return result
    }

    /// Every parameter with its path, in creation order.
    public var namedParameters: [(path: String, parameter: Parameter)] {
        var result = [(path: String, parameter: Parameter)]()
        func visit(_ module: Module, prefix: String) {
            let scope = module !== self && module.isScope ? prefix + module.name + "/" : prefix
            if let layer = module as? Layer {
                for parameter in layer.parameters { result.append((scope + parameter.name, parameter)) }
            }
            for child in module.children { visit(child, prefix: scope) }
        }
        visit(self, prefix: "")
        return result
    }

    /// The parameters the optimizer updates (weights of layers that are not frozen).
    public var trainableParameters: [(path: String, parameter: Parameter)] {
        namedParameters.filter { $0.parameter.isTrainable }
    }

    /// The parameter at `path`, if any.
    public func parameter(at path: String) -> Parameter? {
        namedParameters.first { $0.path == path }?.parameter
    }

    /// Total, trainable and non-trainable parameter counts, as Keras reports them (batch-norm
    /// moving statistics count as non-trainable).
    public var parameterCounts: (total: Int, trainable: Int, nonTrainable: Int) {
        let all = namedParameters.map(\.parameter)
        let trainable = all.filter(\.isTrainable).reduce(0) { $0 + $1.count }
        let total = all.reduce(0) { $0 + $1.count }
        return (total, trainable, total - trainable)
    }

    /// The Keras class name (`Conv2D`, `Functional`, `Sequential`), used in summaries, in the
    /// Keras 3 weight layout (`layers/conv2d_1`) and in Keras configurations.
    open var kerasClassName: String { "Functional" }

    /// Drops every gradient, before the next backward pass.
    public func zeroGradients() {
        for (_, parameter) in namedParameters { parameter.value.grad = nil }
    }
}

/// A layer: a module with weights of its own (possibly none) and a Keras class.
open class Layer: Module {
    /// The weights, in the order Keras creates them (`kernel` before `bias`; `gamma`, `beta`,
    /// `moving_mean`, `moving_variance`).
    public private(set) var parameters: [Parameter] = []
    /// Keras's `trainable = False`: weights are not optimized, and a batch normalization runs
    /// with its moving statistics.
    public var isFrozen = false {
        didSet { for parameter in parameters where parameter.kind == .weight { parameter.value.requiresGrad = !isFrozen } }
    }

    public init(named name: String) {
        super.init(name: name, isScope: true)
    }

    /// The Keras class name (`Conv2D`, `BatchNormalization`), used in summaries and in Keras
    /// files that name layers by class.
    open override var kerasClassName: String { String(describing: type(of: self)) }

    /// Creates a parameter of this layer.
    @discardableResult
    public func addParameter(_ name: String, _ value: Tensor, kind: Parameter.Kind = .weight) -> Parameter {
        let parameter = Parameter(name: name, value: value, kind: kind, layer: self)
        if isFrozen && kind == .weight { value.requiresGrad = false }
        parameters.append(parameter)
        return parameter
    }

    /// Runs the layer on its inputs. Single-input layers override `forward(_:)` instead.
    open func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 1 else {
            throw LayerError(layer: name, "takes one input, got \(inputs.count)")
        }
        return try forward(inputs[0])
    }

    /// Runs a single-input layer.
    open func forward(_ input: Tensor) throws -> Tensor {
        throw LayerError(layer: name, "\(kerasClassName) does not define a forward pass")
    }

    /// The output shape (batch excluded; nil extents unknown) for inputs of `inputShapes`, as
    /// Keras's `compute_output_shape`: what lets a functional graph check shapes as it is
    /// built. Single-input layers override `computeOutputShape(_:)` instead.
    open func computeOutputShape(inputs inputShapes: [[Int?]]) throws -> [Int?] {
        guard inputShapes.count == 1 else {
            throw LayerError(layer: name, "takes one input, got \(inputShapes.count)")
        }
        return try computeOutputShape(inputShapes[0])
    }

    /// The output shape of a single-input layer for an input of `inputShape`.
    open func computeOutputShape(_ inputShape: [Int?]) throws -> [Int?] {
        throw LayerError(layer: name, "\(kerasClassName) does not define its output shape")
    }

    /// The layer applied to one input. Shape errors of the engine come back naming the layer.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try callAsFunction([input])
    }

    /// The layer applied to several inputs (Add, Concatenate).
    public func callAsFunction(_ inputs: [Tensor]) throws -> Tensor {
        let output: Tensor
        do {
            output = try forward(inputs)
        } catch let error as TensorError {
            throw LayerError(layer: name, "\(kerasClassName) on input \(inputs.map(\.shape)): \(error)")
        }
        ShapeTrace.record(layer: self, output: output)
        return try LayerHooks.apply(layer: self, inputs: inputs, output: output)
    }
}

/// A layer that draws random numbers while it runs (dropout): its generator is part of a
/// training run's state, which checkpoints save and restore.
public protocol RandomizedLayer: Layer {
    var random: RandomGenerator { get set }
}

/// An error raised by a layer or a model, naming the layer.
public struct LayerError: Error, CustomStringConvertible {
    public let layer: String
    public let message: String
    public init(layer: String, _ message: String) {
        self.layer = layer
        self.message = message
    }
    public var description: String { "layer '\(layer)': \(message)" }
}
