import Foundation
import ZooCore

/// A fixed learning rate.
public struct ConstantSchedule: LearningRateSchedule {
    public let rate: Float
    public init(_ rate: Float) { self.rate = rate }
    public func learningRate(at step: Int) -> Float { rate }
}

/// PyTorch `StepLR`: `initial * gamma^floor(step / stepSize)`.
public struct StepDecay: LearningRateSchedule {
    public let initial: Float
    public let stepSize: Int
    public let gamma: Float

    public init(initial: Float, stepSize: Int, gamma: Float = 0.1) throws {
        guard stepSize > 0 else { throw TrainingError("StepDecay", "stepSize must be positive, got \(stepSize)") }
        self.initial = initial
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public func learningRate(at step: Int) -> Float {
        initial * Float(pow(Double(gamma), Double(step / stepSize)))
    }
}

/// Keras `ExponentialDecay`: `initial * rate^(step / decaySteps)`, the exponent floored when
/// `staircase`.
public struct ExponentialDecay: LearningRateSchedule {
    public let initial: Float
    public let decaySteps: Int
    public let decayRate: Float
    public let staircase: Bool

    public init(initial: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) throws {
        guard decaySteps > 0 else { throw TrainingError("ExponentialDecay", "decaySteps must be positive, got \(decaySteps)") }
        self.initial = initial
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    public func learningRate(at step: Int) -> Float {
        let exponent = staircase ? Double(step / decaySteps) : Double(step) / Double(decaySteps)
        return initial * Float(pow(Double(decayRate), exponent))
    }
}

/// Keras 3 `CosineDecay`, warm-up included: linear from `initial` to `warmupTarget` over
/// `warmupSteps`, then `peak * ((1 - alpha) * (1 + cos(pi * s / decaySteps)) / 2 + alpha)` for
/// the `s`-th step after the warm-up, held at `alpha * peak` afterwards. The peak is
/// `warmupTarget`, or `initial` without a warm-up; `alpha` is a fraction of it.
public struct CosineDecay: LearningRateSchedule {
    public let initial: Float
    public let decaySteps: Int
    public let alpha: Float
    public let warmupTarget: Float?
    public let warmupSteps: Int

    public init(initial: Float, decaySteps: Int, alpha: Float = 0, warmupTarget: Float? = nil, warmupSteps: Int = 0) throws {
        guard decaySteps > 0, warmupSteps >= 0 else {
            throw TrainingError("CosineDecay", "decaySteps must be positive and warmupSteps not negative")
        }
        self.initial = initial
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    private func decayed(_ step: Int, peak: Float) -> Float {
        let cosine = 0.5 * (1 + cos(Double.pi * Double(step) / Double(decaySteps)))
        return peak * ((1 - alpha) * Float(cosine) + alpha)
    }

    public func learningRate(at step: Int) -> Float {
        guard let target = warmupTarget else { return decayed(Swift.min(step, decaySteps), peak: initial) }
        let s = Swift.min(step, decaySteps + warmupSteps)
        if s < warmupSteps { return initial + (target - initial) * Float(s) / Float(warmupSteps) }
        return decayed(s - warmupSteps, peak: target)
    }
}

/// Cosine annealing with a linear warm-up, as the ultrasound studies trained: linear from
/// `warmupStart` to `peak` over `warmupSteps`, then PyTorch's `CosineAnnealingLR` from `peak` to
/// `minimum` over the remaining `totalSteps - warmupSteps`, held at `minimum` after the end.
/// Steps are whatever unit the trainer counts: batches or epochs.
public struct WarmupCosineAnnealing: LearningRateSchedule {
    public let peak: Float
    public let minimum: Float
    public let warmupStart: Float
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(peak: Float, totalSteps: Int, warmupSteps: Int, minimum: Float = 0, warmupStart: Float = 0) throws {
        guard totalSteps > warmupSteps, warmupSteps >= 0 else {
            throw TrainingError(
                "WarmupCosineAnnealing", "totalSteps (\(totalSteps)) must exceed warmupSteps (\(warmupSteps)) >= 0")
        }
        self.peak = peak
        self.minimum = minimum
        self.warmupStart = warmupStart
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return warmupStart + (peak - warmupStart) * Float(step) / Float(warmupSteps) }
        let progress = Swift.min(Double(step - warmupSteps) / Double(totalSteps - warmupSteps), 1)
        return minimum + (peak - minimum) * Float(0.5 * (1 + cos(Double.pi * progress)))
    }
}
