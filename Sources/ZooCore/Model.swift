import ZooTensor

/// A network: a module with a forward pass from one input tensor.
///
/// Architectures subclass it, create their layers with `add` in the order Keras lists them,
/// and write `forward` as the paper's diagram reads.
open class Model: Module {
    /// `isScope` is false for a top-level model (Keras files do not prefix its name) and true
    /// for a model used as one part of another (a backbone under a custom head).
    public override init(name: String, isScope: Bool = false) {
        super.init(name: name, isScope: isScope)
    }

    /// The forward pass.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw LayerError(layer: name, "the model defines no forward pass")
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }
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
