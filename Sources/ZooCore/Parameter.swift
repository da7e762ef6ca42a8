import ZooTensor

/// A named weight of a layer.
///
/// Three kinds of state stay apart: trainable weights (optimized and saved), buffers such as
/// batch-norm moving statistics (saved, never optimized), and computed constants, which are
/// not parameters at all.
public final class Parameter {
    /// What a parameter is for.
    public enum Kind: Sendable {
        /// Learned by the optimizer unless its layer is frozen.
        case weight
        /// Saved and loaded with the weights, never optimized (batch-norm moving statistics).
        case buffer
    }

    /// The weight's own name inside its layer, as Keras names it: `kernel`, `bias`, `gamma`,
    /// `moving_mean`.
    public let name: String
    /// The values. The tensor object stays the same for the life of the parameter; optimizers
    /// and loaders write into it.
    public let value: Tensor
    public let kind: Kind
    /// The layer that owns the parameter.
    public unowned let layer: Layer

    init(name: String, value: Tensor, kind: Kind, layer: Layer) {
        self.name = name
        self.value = value
        self.kind = kind
        self.layer = layer
        value.requiresGrad = kind == .weight
    }

    /// Whether the optimizer updates it: a weight of a layer that is not frozen.
    public var isTrainable: Bool { kind == .weight && !layer.isFrozen }

    /// The number of values.
    public var count: Int { value.count }
}
