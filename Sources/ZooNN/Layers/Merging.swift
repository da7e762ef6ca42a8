// The layers that join several tensors into one: Keras's merging layers and InceptionResNetV2's
// scaled residual sum.
import ZooCore
import ZooTensor

/// Keras `Add`: the element-wise sum of its inputs (residual connections).
public final class Add: Layer {
    public init(name: String? = nil) { super.init(named: name ?? BuildContext.automaticName("add")) }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        try commonShape(shapes, atLeast: 2)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first, inputs.count >= 2, inputs.allSatisfy({ $0.shape == first.shape }) else {
            throw LayerError(layer: name, "Add needs two or more inputs of one shape, got \(inputs.map(\.shape))")
        }
        var sum = first
        for input in inputs.dropFirst() { sum = try sum + input }
        return sum
    }
}

/// Keras `Multiply`: the element-wise product of its inputs (attention gates).
public final class Multiply: Layer {
    public init(name: String? = nil) { super.init(named: name ?? BuildContext.automaticName("multiply")) }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        try commonShape(shapes, atLeast: 2)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first, inputs.count >= 2, inputs.allSatisfy({ $0.shape == first.shape }) else {
            throw LayerError(layer: name, "Multiply needs two or more inputs of one shape, got \(inputs.map(\.shape))")
        }
        var product = first
        for input in inputs.dropFirst() { product = try product * input }
        return product
    }
}

/// Keras `Subtract`: the first input minus the second.
public final class Subtract: Layer {
    public init(name: String? = nil) { super.init(named: name ?? BuildContext.automaticName("subtract")) }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count == 2 else { throw LayerError(layer: name, "Subtract takes exactly two inputs, got \(shapes.count)") }
        return try commonShape(shapes, atLeast: 2)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 2, inputs[0].shape == inputs[1].shape else {
            throw LayerError(layer: name, "Subtract needs two inputs of one shape, got \(inputs.map(\.shape))")
        }
        return try inputs[0] - inputs[1]
    }
}

/// Keras `Concatenate`: joins its inputs along `axis` (default: channels).
public final class Concatenate: Layer {
    public let axis: Int

    public init(axis: Int = -1, name: String? = nil) {
        self.axis = axis
        super.init(named: name ?? BuildContext.automaticName("concatenate"))
    }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        guard let first = shapes.first else { throw LayerError(layer: name, "Concatenate needs inputs") }
        let resolved = axis < 0 ? axis + first.count + 1 : axis
        guard resolved >= 1, resolved <= first.count else {
            throw LayerError(layer: name, "Concatenate: axis \(axis) is out of range for \(SymbolicTensor.describe(first))")
        }
        let joined = resolved - 1
        let fits = shapes.allSatisfy { shape in
            shape.count == first.count
                && shape.indices.allSatisfy { $0 == joined || shape[$0] == nil || first[$0] == nil || shape[$0] == first[$0] }
        }
        guard fits else {
            throw LayerError(
                layer: name,
                "Concatenate along axis \(axis) needs inputs that agree on every other axis, got \(shapes.map(SymbolicTensor.describe).joined(separator: ", "))")
        }
        var output = first.indices.map { axis in shapes.lazy.compactMap { $0[axis] }.first }
        let extents = shapes.map { $0[joined] }
        output[joined] = extents.contains { $0 == nil } ? nil : extents.compactMap { $0 }.reduce(0, +)
        return output
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count >= 1 else { throw LayerError(layer: name, "Concatenate needs inputs") }
        return try Tensor.concatenate(inputs, axis: axis)
    }
}

extension Concatenate: ChannelJoining {
    public func joinsLastAxis(rank: Int) -> Bool { rank >= 2 && (axis == -1 || axis == rank - 1) }
}

/// Keras `Average`: the element-wise mean of its inputs (U-Net++'s "accurate mode").
public final class Average: Layer {
    public init(name: String? = nil) {
        super.init(named: name ?? BuildContext.automaticName("average"))
    }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        try commonShape(shapes, atLeast: 1)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard let first = inputs.first, inputs.allSatisfy({ $0.shape == first.shape }) else {
            throw LayerError(
                layer: name, "Average needs inputs of one shape, got \(inputs.map(\.shape))")
        }
        var sum = first
        for input in inputs.dropFirst() { sum = try sum + input }
        return sum * (1 / Float(inputs.count))
    }
}

/// Keras 3's `CustomScaleLayer` of InceptionResNetV2: `inputs[0] + scale * inputs[1]`, the
/// shortcut plus the scaled residual. No weights.
public final class CustomScaleLayer: Layer {
    /// The factor on the residual branch.
    public let scale: Float

    /// `name` nil takes Keras's automatic name, `custom_scale_layer`, `custom_scale_layer_1`, ...
    public init(scale: Float, name: String? = nil) {
        self.scale = scale
        super.init(named: name ?? BuildContext.automaticName("custom_scale_layer"))
    }

    public override func computeOutputShape(inputs shapes: [[Int?]]) throws -> [Int?] {
        guard shapes.count == 2 else { throw LayerError(layer: name, "CustomScaleLayer takes a shortcut and a residual, got \(shapes.count) inputs") }
        return try commonShape(shapes, atLeast: 2)
    }

    public override func forward(_ inputs: [Tensor]) throws -> Tensor {
        guard inputs.count == 2, inputs[0].shape == inputs[1].shape else {
            let shapes = inputs.map(\.shape)
            throw LayerError(layer: name, "CustomScaleLayer needs a shortcut and a residual of one shape, got \(shapes)")
        }
        return try inputs[0] + inputs[1] * scale
    }
}
