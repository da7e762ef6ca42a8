import ZooCore
import ZooTensor

/// Whether a smaller or a larger monitored value is better.
public enum MonitorMode: String, Sendable {
    case min, max
}

/// Keras's improvement test: better than `best` by more than `minDelta` (absolute).
func isImprovement(_ value: Double, over best: Double?, mode: MonitorMode, minDelta: Double) -> Bool {
    guard let best else { return true }
    return mode == .min ? value < best - minDelta : value > best + minDelta
}

/// Keras `ReduceLROnPlateau`: after `patience` epochs without an improvement of more than
/// `minDelta`, multiply the rate by `factor` (not below `minimum`), then wait `cooldown` epochs.
public struct ReduceLROnPlateau {
    public let mode: MonitorMode
    public let factor: Float
    public let patience: Int
    public let minDelta: Double
    public let cooldown: Int
    public let minimum: Float
    public private(set) var best: Double?
    public private(set) var wait = 0
    private var cooldownCounter = 0

    public init(mode: MonitorMode = .min, factor: Float = 0.1, patience: Int = 10, minDelta: Double = 1e-4, cooldown: Int = 0, minimum: Float = 0) throws {
        guard factor > 0, factor < 1 else { throw TrainingError("ReduceLROnPlateau", "factor must lie in (0, 1), got \(factor)") }
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minimum = minimum
    }

    /// Takes the epoch's monitored value and the current rate; returns the rate to use next.
    public mutating func update(value: Double, learningRate: Float) -> Float {
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if isImprovement(value, over: best, mode: mode, minDelta: minDelta) {
            best = value
            wait = 0
            return learningRate
        }
        guard cooldownCounter == 0 else { return learningRate }
        wait += 1
        guard wait >= patience, learningRate > minimum else { return learningRate }
        cooldownCounter = cooldown
        wait = 0
        return Swift.max(learningRate * factor, minimum)
    }
}

/// Keras `EarlyStopping`: stops after `patience` epochs without an improvement of more than
/// `minDelta`; with `restoreBest`, puts the best epoch's weights back at the end.
public final class EarlyStopping {
    public let mode: MonitorMode
    public let patience: Int
    public let minDelta: Double
    public let restoreBest: Bool
    public private(set) var best: Double?
    public private(set) var bestEpoch = 0
    public private(set) var wait = 0
    private var bestWeights: [String: Tensor]?

    public init(mode: MonitorMode = .min, patience: Int = 0, minDelta: Double = 0, restoreBest: Bool = false) {
        self.mode = mode
        self.patience = patience
        self.minDelta = Swift.abs(minDelta)
        self.restoreBest = restoreBest
    }

    /// Records epoch `epoch`'s (0-based) value; returns true when training should stop.
    public func observe(epoch: Int, value: Double, model: Module) -> Bool {
        wait += 1
        if isImprovement(value, over: best, mode: mode, minDelta: minDelta) {
            best = value
            bestEpoch = epoch
            wait = 0
            if restoreBest {
                bestWeights = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.path, $0.parameter.value.copy()) })
            }
            return false
        }
        return wait >= patience && epoch > 0
    }

    /// Writes the best epoch's weights back into `model` (when `restoreBest` and one was seen).
    public func restore(into model: Module) throws {
        guard restoreBest, let bestWeights else { return }
        for (path, parameter) in model.namedParameters {
            if let saved = bestWeights[path] { try parameter.value.assign(saved) }
        }
    }
}
