import ZooCore
import ZooTensor

/// Layers applied one after another (Keras `Sequential`). As in Keras, a sequential model
/// lists no input layer among its layers.
open class Sequential: Model {
    public init(name: String = "sequential", _ layers: [Layer] = []) {
        super.init(name: name)
        for layer in layers { add(layer) }
    }

    public override var kerasClassName: String { "Sequential" }

    /// Runs every child in order.
    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for child in children {
            guard let layer = child as? Layer else {
                throw LayerError(layer: child.name, "a Sequential model holds layers only")
            }
            y = try layer(y)
        }
        return y
    }
}
