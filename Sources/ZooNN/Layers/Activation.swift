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
    public var function: ActivationFunction

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
