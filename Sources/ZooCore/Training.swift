import ZooTensor

/// Updates parameters from their gradients. State (moments, velocities, the step count) is
/// keyed by parameter path, so it saves and restores by name like the weights.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (a schedule writes it before each step).
    var learningRate: Float { get set }
    /// Steps taken so far.
    var iterations: Int { get }
    /// Applies one update to every parameter that has a gradient.
    func step(_ parameters: [(path: String, parameter: Parameter)]) throws
    /// The optimizer's state as named tensors (`<path>/m`, `iterations`, ...).
    func stateDictionary() -> [String: Tensor]
    /// Restores a state written by `stateDictionary()`; strict about names and shapes.
    func loadStateDictionary(_ state: [String: Tensor]) throws
}

/// A learning rate as a function of the step (or epoch) count.
public protocol LearningRateSchedule {
    /// The rate for step `step`, counted from 0.
    func learningRate(at step: Int) -> Float
}

/// A loss: predictions (logits or probabilities, by the loss's contract) and targets in, a
/// scalar out.
public protocol Loss {
    func callAsFunction(_ predictions: Tensor, _ targets: Tensor) throws -> Tensor
}

/// An error in a training component (optimizer, schedule, loss), naming the component.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let component: String
    public let message: String
    public init(_ component: String, _ message: String) {
        self.component = component
        self.message = message
    }
    public var description: String { "\(component): \(message)" }
}
