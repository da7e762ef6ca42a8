import ZooCore
import ZooTensor

/// An activation function, by its Keras name.
public enum ActivationFunction: String, Sendable, CaseIterable {
    case linear, relu, relu6, sigmoid, tanh, softmax, swish

    /// Applies the function; softmax works over the last (channel) axis.
    public func apply(_ x: Tensor) throws -> Tensor {
        switch self {
        case .linear: return x
        case .relu: return x.relu()
        case .relu6: return x.relu6()
        case .sigmoid: return x.sigmoid()
        case .tanh: return x.tanh()
        case .softmax: return try x.softmax()
        case .swish: return try x.swish()
        }
    }
}

/// Keras `Activation`: applies a function, no weights.
public final class Activation: Layer {
    public let function: ActivationFunction

    public init(_ function: ActivationFunction, name: String? = nil) {
        self.function = function
        super.init(named: name ?? BuildContext.automaticName("activation"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ input: Tensor) throws -> Tensor { try function.apply(input) }
}

/// Keras `ReLU` with `max_value` (MobileNetV2 uses `ReLU(6.)`).
public final class ReLU: Layer {
    public let maxValue: Float?

    public init(maxValue: Float? = nil, name: String? = nil) {
        self.maxValue = maxValue
        super.init(named: name ?? BuildContext.automaticName("re_lu"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ input: Tensor) throws -> Tensor {
        guard let maxValue else { return input.relu() }
        return maxValue == 6 ? input.relu6() : try input.clamped(0, maxValue)
    }
}

/// Keras `LeakyReLU`: x for x > 0, `negativeSlope` * x otherwise (Keras 3 `negative_slope`,
/// Keras 2 `alpha`; default 0.3).
public final class LeakyReLU: Layer {
    public let negativeSlope: Float

    public init(negativeSlope: Float = 0.3, name: String? = nil) {
        self.negativeSlope = negativeSlope
        super.init(named: name ?? BuildContext.automaticName("leaky_re_lu"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor { x.leakyRelu(slope: negativeSlope) }
}

/// Keras `ELU`: x for x > 0, `alpha` (e^x - 1) otherwise.
public final class ELU: Layer {
    public let alpha: Float

    public init(alpha: Float = 1, name: String? = nil) {
        self.alpha = alpha
        super.init(named: name ?? BuildContext.automaticName("elu"))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor {
        // relu(x) + alpha (e^min(x, 0) - 1): differentiable ops, so autograd derives the backward.
        try x.relu() + (try x.clamped(-.greatestFiniteMagnitude, 0).exp() - 1) * alpha
    }
}

/// Keras `PReLU`: x for x > 0, a learned `alpha` * x otherwise; `alpha` has the input's shape
/// (batch excluded) with extent 1 on the `sharedAxes` (1-based, as Keras counts them).
public final class PReLU: Layer {
    public let sharedAxes: [Int]

    public var alpha: Parameter { parameters[0] }

    /// `alphaShape` is the input's shape (batch excluded) with 1 on the shared axes.
    public init(alphaShape: [Int], sharedAxes: [Int] = [], name: String? = nil) {
        self.sharedAxes = sharedAxes
        super.init(named: name ?? BuildContext.automaticName("p_re_lu"))
        addParameter("alpha", BuildContext.make(.zeros, alphaShape))
    }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        let alphaShape = alpha.value.shape
        let fits = shape.count == alphaShape.count && zip(shape, alphaShape).allSatisfy { $1 == 1 || $0 == nil || $0 == $1 }
        guard fits else {
            throw LayerError(layer: name, "PReLU's alpha \(alphaShape) does not fit the input \(SymbolicTensor.describe(shape))")
        }
        return shape
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let positive = x.relu()
        return try positive + alpha.value * (try x - positive)
    }
}

/// Keras `Softmax` as a layer, over the last axis.
public final class Softmax: Layer {
    public init(name: String? = nil) { super.init(named: name ?? BuildContext.automaticName("softmax")) }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] { shape }

    public override func forward(_ x: Tensor) throws -> Tensor { try x.softmax() }
}
