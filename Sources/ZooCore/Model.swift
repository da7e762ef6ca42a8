import ZooTensor

/// A network: a module with a forward pass.
///
/// A model is built the way Keras's functional API builds one: `Model(inputs:outputs:)` on
/// the symbolic tensors that calling layers on an `Input` produced. Its layers come out in
/// Keras's `model.layers` order by construction, its shapes are checked as it is built, and
/// running it drops every intermediate after its last consumer (`FunctionalGraph`). A
/// subclass may instead write `forward` by hand (define-by-run, as `Sequential` does).
open class Model: Module {
    /// The graph of a functional model; nil for a model whose subclass writes `forward`.
    public let graph: FunctionalGraph?

    /// `isScope` is false for a top-level model (Keras files do not prefix its name) and true
    /// for a model used as one part of another (a backbone under a custom head).
    public override init(name: String, isScope: Bool = false) {
        graph = nil
        super.init(name: name, isScope: isScope)
    }

    /// A functional model from `inputs` to `outputs` (several of each allowed). Its children
    /// are the graph's layers and nested models in Keras's order; `listsInputLayers: false`
    /// leaves the input layers out of them, as Keras's `Sequential` does.
    public init(
        inputs: [SymbolicTensor], outputs: [SymbolicTensor], name: String, isScope: Bool = false,
        listsInputLayers: Bool = true
    ) throws {
        let graph = try FunctionalGraph(inputs: inputs, outputs: outputs, model: name)
        self.graph = graph
        super.init(name: name, isScope: isScope)
        let inputLayers = Set(graph.inputs.map { ObjectIdentifier($0.node.operation) })
        for operation in graph.operations where listsInputLayers || !inputLayers.contains(ObjectIdentifier(operation)) {
            add(operation)
        }
    }

    /// A functional model of one input and one output.
    public convenience init(inputs: SymbolicTensor, outputs: SymbolicTensor, name: String, isScope: Bool = false) throws {
        try self.init(inputs: [inputs], outputs: [outputs], name: name, isScope: isScope)
    }

    /// The forward pass of a model of one input and one output.
    open func forward(_ x: Tensor) throws -> Tensor {
        guard graph != nil else { throw LayerError(layer: name, "the model defines no forward pass") }
        let outputs = try forward([x])
        guard outputs.count == 1 else {
            throw LayerError(layer: name, "has \(outputs.count) outputs; call it with a list of inputs")
        }
        return outputs[0]
    }

    /// The forward pass on one tensor per input, giving one tensor per output.
    open func forward(_ inputs: [Tensor]) throws -> [Tensor] {
        if let graph { return try graph.run(inputs, model: name) }
        guard inputs.count == 1 else { throw LayerError(layer: name, "takes one input, got \(inputs.count)") }
        return [try forward(inputs[0])]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }

    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] { try forward(inputs) }

    /// Records this functional model called as one layer on `inputs` (a backbone under a
    /// head); returns its symbolic outputs. The inputs must match its own in rank and channels.
    public func callAsFunction(_ inputs: [SymbolicTensor]) throws -> [SymbolicTensor] {
        guard let graph else {
            throw LayerError(layer: name, "a model without a functional graph cannot be called on symbolic tensors")
        }
        guard inputs.count == graph.inputs.count else {
            throw LayerError(layer: name, "takes \(graph.inputs.count) input(s), got \(inputs.count)")
        }
        for (given, own) in zip(inputs, graph.inputs) {
            let fits = given.shape.count == own.shape.count
                && zip(given.shape, own.shape).allSatisfy { $0 == nil || $1 == nil || $0 == $1 }
            guard fits else {
                throw LayerError(
                    layer: name, "expects input \(SymbolicTensor.describe(own.shape)), got \(SymbolicTensor.describe(given.shape))")
            }
        }
        return try GraphNode(operation: self, inputs: inputs, outputShapes: graph.outputShapes).outputs
    }

    /// Records this single-input, single-output functional model called as one layer.
    public func callAsFunction(_ input: SymbolicTensor) throws -> SymbolicTensor {
        let outputs = try callAsFunction([input])
        guard outputs.count == 1 else { throw LayerError(layer: name, "has \(outputs.count) outputs") }
        return outputs[0]
    }
}

/// An error in freezing or configuring a model.
public struct ModelError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Module {
    /// Freezes the layers named in `names` (Keras `layer.trainable = False`). Every name must
    /// exist; the error lists those that do not.
    public func freeze(names: [String]) throws {
        let byName = Dictionary(layers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let unknown = names.filter { byName[$0] == nil }
        guard unknown.isEmpty else {
            throw ModelError("freeze: no layer named \(unknown.joined(separator: ", ")) in '\(name)'")
        }
        for name in names { byName[name]?.isFrozen = true }
    }

    /// Freezes every layer whose name starts with `prefix`; returns how many.
    @discardableResult
    public func freeze(prefix: String) throws -> Int {
        let matching = layers.filter { $0.name.hasPrefix(prefix) }
        guard !matching.isEmpty else { throw ModelError("freeze: no layer of '\(name)' starts with '\(prefix)'") }
        for layer in matching { layer.isFrozen = true }
        return matching.count
    }

    /// Freezes every layer up to and including the one named `last`, in Keras's
    /// `model.layers` order; returns how many.
    @discardableResult
    public func freeze(upTo last: String) throws -> Int {
        let all = layers
        guard let end = all.firstIndex(where: { $0.name == last }) else {
            throw ModelError("freeze.up_to: no layer named '\(last)' in '\(name)'")
        }
        for layer in all[...end] { layer.isFrozen = true }
        return end + 1
    }

    /// Freezes the first `fraction` of the layers in Keras's order, counting as
    /// `model.layers[:int(len(model.layers) * fraction)]` does (the input layer included, for
    /// models that have one); returns how many were frozen.
    @discardableResult
    public func freeze(fraction: Double) throws -> Int {
        try freeze(fraction: fraction, of: layers)
    }

    /// Freezes the first `fraction` of `counted` (a part of this module's layers, such as a
    /// backbone without its head), as `counted[:int(len(counted) * fraction)]`.
    @discardableResult
    public func freeze(fraction: Double, of counted: [Layer]) throws -> Int {
        guard fraction >= 0, fraction <= 1 else {
            throw ModelError("freeze: fraction must lie in 0...1, got \(fraction)")
        }
        let count = Int(Double(counted.count) * fraction)
        for layer in counted.prefix(count) { layer.isFrozen = true }
        return count
    }

    /// Makes every layer trainable again.
    public func unfreezeAll() {
        for layer in layers { layer.isFrozen = false }
    }
}
