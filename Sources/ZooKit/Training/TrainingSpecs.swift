import Foundation
import ZooCore
import ZooData
import ZooNN

// The `train:` section's parts as typed values, read when the config is read (errors name the
// file and the key path); each makes its component when a run starts. `TrainingFactory` builds
// through these.

/// `train.optimizer`: name, lr, epsilon, beta1, beta2, momentum, nesterov, weight_decay,
/// convention (keras or pytorch), clip_norm, clip_value.
public struct OptimizerSpec: Sendable {
    public enum Name: String, Sendable, CaseIterable { case adam, adamw, sgd }
    public var name: Name
    public var learningRate: Float
    public var convention: OptimizerConvention
    public var epsilon: Float?
    public var beta1: Float
    public var beta2: Float
    public var weightDecay: Float?
    public var momentum: Float
    public var nesterov: Bool
    public var clipping: GradientClipping

    public init(_ value: ConfigValue, file: String, path: String = "train.optimizer") throws {
        let r = try TrainingFactory.reader(value, path, source: file)
        name = try r.choice("name", default: Name.adam)
        learningRate = Float(try r.double("lr", default: name == .sgd ? 0.01 : 1e-3, in: 0...10))
        convention = OptimizerConvention(rawValue: try r.choice("convention", ["keras", "pytorch"], default: name == .adam ? "keras" : "pytorch")!)!
        epsilon = try r.double("epsilon").map(Float.init)
        beta1 = Float(try r.double("beta1", default: 0.9, in: 0...0.999999))
        beta2 = Float(try r.double("beta2", default: 0.999, in: 0...0.999999))
        weightDecay = try r.double("weight_decay").map(Float.init)
        momentum = Float(try r.double("momentum", default: 0, in: 0...1))
        nesterov = try r.bool("nesterov", default: false)
        clipping = .none
        if let norm = try r.double("clip_norm") { clipping = .globalNorm(Float(norm)) }
        if let value = try r.double("clip_value") {
            guard clipping == .none else { throw r.error("clip_value", "clip_norm and clip_value exclude each other") }
            clipping = .value(Float(value))
        }
        try r.finish()
        _ = try make()  // the optimizers' own checks (an epsilon of 0, a negative decay) now
    }

    public func make() throws -> GradientOptimizer {
        switch name {
        case .adam:
            return try Adam(
                learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay ?? 0, convention: convention,
                clipping: clipping)
        case .adamw:
            return try AdamW(
                learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, convention: convention, clipping: clipping)
        case .sgd:
            return try SGD(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay ?? 0, convention: convention, clipping: clipping)
        }
    }
}

/// `train.loss`: name plus its options (label_smoothing, weighted_mean, positive_weight,
/// include_background, lambda_dice, lambda_ce, ignore_label, gamma).
public enum LossSpec: Sendable {
    case crossEntropy(labelSmoothing: Float, weightedMean: WeightedMean)
    case binaryCrossEntropy(positiveWeight: Float)
    case dice(includeBackground: Bool)
    case diceCE(includeBackground: Bool, lambdaDice: Float, lambdaCE: Float, ignoreLabel: Int?)
    case focal(gamma: Float)

    public static let names = ["cross_entropy", "binary_cross_entropy", "dice", "dice_ce", "focal"]

    public init(_ value: ConfigValue, file: String, path: String = "train.loss") throws {
        let r = try TrainingFactory.reader(value, path, source: file)
        switch try r.choice("name", LossSpec.names, default: "cross_entropy")! {
        case "cross_entropy":
            let smoothing = Float(try r.double("label_smoothing", default: 0, in: 0...0.999))
            let mean = try r.choice("weighted_mean", ["batch_size", "sum_of_weights"], default: "batch_size")!
            self = .crossEntropy(labelSmoothing: smoothing, weightedMean: mean == "batch_size" ? .batchSize : .sumOfWeights)
        case "binary_cross_entropy":
            self = .binaryCrossEntropy(positiveWeight: Float(try r.double("positive_weight", default: 1, in: 0...1e6)))
        case "dice":
            self = .dice(includeBackground: try r.bool("include_background", default: true))
        case "dice_ce":
            self = .diceCE(
                includeBackground: try r.bool("include_background", default: true), lambdaDice: Float(try r.double("lambda_dice", default: 1, in: 0...1e6)),
                lambdaCE: Float(try r.double("lambda_ce", default: 1, in: 0...1e6)), ignoreLabel: try r.int("ignore_label"))
        default:
            self = .focal(gamma: Float(try r.double("gamma", default: 2, in: 0...100)))
        }
        try r.finish()
    }

    /// The class index the loss marks as unlabelled (nil: none).
    public var ignoreLabel: Int? {
        if case .diceCE(_, _, _, let label) = self { return label }
        return nil
    }

    public func make(classWeights: [Float]?) throws -> Loss {
        switch self {
        case .crossEntropy(let smoothing, let mean):
            return try SoftmaxCrossEntropy(classWeights: classWeights, labelSmoothing: smoothing, weightedMean: mean)
        case .binaryCrossEntropy(let positive):
            return BinaryCrossEntropy(positiveWeight: positive)
        case .dice(let background):
            return DiceLoss(includeBackground: background, classWeights: classWeights)
        case .diceCE(let background, let lambdaDice, let lambdaCE, let ignore):
            return try DiceCELoss(includeBackground: background, lambdaDice: lambdaDice, lambdaCE: lambdaCE, classWeights: classWeights, ignoreLabel: ignore)
        case .focal(let gamma):
            return try FocalLoss(gamma: gamma, alpha: classWeights)
        }
    }
}

/// What a learning-rate schedule counts.
public enum ScheduleUnit: String, Sendable, CaseIterable {
    /// Batches.
    case step
    case epoch
}

/// `train.schedule`: name, unit, warmup and the schedule's own keys.
public struct ScheduleSpec: Sendable {
    public enum Name: String, Sendable, CaseIterable {
        case constant, step, exponential, cosine, warmupCosine = "warmup_cosine", plateau
    }
    public enum Shape: Sendable {
        case constant
        /// `stepSize` nil: a third of the training.
        case step(stepSize: Int?, gamma: Float)
        /// `decaySteps` nil: the whole training.
        case exponential(decaySteps: Int?, decayRate: Float, staircase: Bool)
        case cosine(alpha: Float)
        case warmupCosine(minimum: Float)
        case plateau(mode: MonitorMode, factor: Float, patience: Int, minDelta: Double, cooldown: Int, minimum: Float)
    }
    public var shape: Shape
    public var unit: ScheduleUnit
    public var warmup: Int
    /// Where the section stands, for the errors only the training's length reveals.
    let file: String
    let path: String

    public init(_ value: ConfigValue, file: String, path: String = "train.schedule") throws {
        let r = try TrainingFactory.reader(value, path, source: file)
        let name = try r.choice("name", default: Name.constant)
        unit = try r.choice("unit", default: ScheduleUnit.epoch)
        warmup = try r.int("warmup", default: 0, minimum: 0)
        switch name {
        case .constant: shape = .constant
        case .step:
            shape = .step(stepSize: try r.int("step_size", minimum: 1), gamma: Float(try r.double("gamma", default: 0.1, in: 0...1)))
        case .exponential:
            shape = .exponential(
                decaySteps: try r.int("decay_steps", minimum: 1),
                decayRate: Float(try r.double("decay_rate", default: 0.96, in: 0...1)), staircase: try r.bool("staircase", default: false))
        case .cosine: shape = .cosine(alpha: Float(try r.double("alpha", default: 0, in: 0...1)))
        case .warmupCosine: shape = .warmupCosine(minimum: Float(try r.double("minimum", default: 0, in: 0...10)))
        case .plateau:
            shape = .plateau(
                mode: try r.choice("mode", ["min", "max"], default: "min") == "min" ? .min : .max,
                factor: Float(try r.double("factor", default: 0.1, in: 0...0.999)), patience: try r.int("patience", default: 10, minimum: 0),
                minDelta: try r.double("min_delta", default: 1e-4, in: 0...1e9), cooldown: try r.int("cooldown", default: 0, minimum: 0),
                minimum: Float(try r.double("minimum", default: 0, in: 0...10)))
        }
        _ = r.value("monitor")
        try r.finish()
        self.path = r.path
        self.file = file
    }

    /// The schedule for a training of `epochs` epochs of `stepsPerEpoch` batches.
    public func make(learningRate: Float, epochs: Int, stepsPerEpoch: Int) throws -> TrainingFactory.ScheduleChoice {
        let total = unit == .epoch ? epochs : epochs * stepsPerEpoch
        var schedule: LearningRateSchedule?
        var plateau: ReduceLROnPlateau?
        switch shape {
        case .constant:
            schedule = ConstantSchedule(learningRate)
        case .step(let stepSize, let gamma):
            schedule = try StepDecay(initial: learningRate, stepSize: stepSize ?? Swift.max(1, total / 3), gamma: gamma)
        case .exponential(let decaySteps, let decayRate, let staircase):
            schedule = try ExponentialDecay(initial: learningRate, decaySteps: decaySteps ?? Swift.max(1, total), decayRate: decayRate, staircase: staircase)
        case .cosine(let alpha):
            schedule = try CosineDecay(
                initial: learningRate, decaySteps: Swift.max(1, total - warmup), alpha: alpha, warmupTarget: warmup > 0 ? learningRate : nil, warmupSteps: warmup)
        case .warmupCosine(let minimum):
            guard total > warmup else {
                throw ConfigError(source: file, path: "\(path).warmup", "must be shorter than the training (\(total) \(unit.rawValue)s)")
            }
            schedule = try WarmupCosineAnnealing(peak: learningRate, totalSteps: total, warmupSteps: warmup, minimum: minimum)
        case .plateau(let mode, let factor, let patience, let minDelta, let cooldown, let minimum):
            plateau = try ReduceLROnPlateau(mode: mode, factor: factor, patience: patience, minDelta: minDelta, cooldown: cooldown, minimum: minimum)
        }
        return TrainingFactory.ScheduleChoice(schedule: schedule, unit: unit, plateau: plateau)
    }
}

/// `train.class_weights`: `balanced` (n / (classes * count_c), Keras's and scikit-learn's),
/// `none`, or an explicit list.
public enum ClassWeightsSpec: Sendable {
    case none, balanced
    case explicit([Float])

    public init(_ value: ConfigValue?, file: String, path: String = "train.class_weights") throws {
        switch value {
        case nil, .null, .scalar("none"): self = .none
        case .scalar("balanced"): self = .balanced
        case .list(let items):
            self = .explicit(try items.map { item -> Float in
                guard case .scalar(let text) = item, let weight = Float(text), weight >= 0 else {
                    throw ConfigError(source: file, path: path, "must hold non-negative numbers")
                }
                return weight
            })
        default:
            throw ConfigError(source: file, path: path, "must be balanced, none, or a list of numbers")
        }
    }

    /// The weights for training labels `labels` of `classes` classes (nil: unweighted).
    public func weights(labels: [Int], classes: Int) throws -> [Float]? {
        switch self {
        case .none: return nil
        case .balanced:
            let counts = (0..<classes).map { c in labels.filter { $0 == c }.count }
            guard counts.allSatisfy({ $0 > 0 }) else {
                throw RunError("train.class_weights: 'balanced' needs every class in the training set; counts \(counts)")
            }
            return ClassBalance.balancedWeights(counts: counts)
        case .explicit(let weights):
            guard weights.count == classes else { throw RunError("train.class_weights: \(weights.count) weights for \(classes) classes") }
            return weights
        }
    }
}

/// `train.early_stopping`: monitor, patience, min_delta, restore_best.
public struct EarlyStoppingSpec: Sendable {
    /// What is watched: val_auc and val_dice name the score of the task.
    public enum Monitor: String, Sendable, CaseIterable {
        case validationLoss = "val_loss", validationAccuracy = "val_accuracy", validationScore = "val_score"
        case validationAUC = "val_auc", validationDice = "val_dice", loss
    }
    /// nil: `val_loss`, or the training loss without validation data.
    public var monitor: Monitor?
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool

    public init(_ value: ConfigValue, file: String, path: String = "train.early_stopping") throws {
        let r = try TrainingFactory.reader(value, path, source: file)
        monitor = try r.choice("monitor", Monitor.self)
        patience = try r.int("patience", default: 10, minimum: 0)
        minDelta = try r.double("min_delta", default: 0, in: 0...1e9)
        restoreBest = try r.bool("restore_best", default: true)
        try r.finish()
    }

    /// The stopping rule, watching `monitor(self, hasValidation:)`.
    public func make(hasValidation: Bool) -> EarlyStopping {
        let name = EarlyStoppingSpec.monitor(self, hasValidation: hasValidation)
        return EarlyStopping(mode: name.hasSuffix("loss") ? .min : .max, patience: patience, minDelta: minDelta, restoreBest: restoreBest)
    }

    /// What `spec` watches (with no early stopping, what the best checkpoint is chosen by):
    /// its monitor, `val_loss` by default, and the training loss without validation data.
    public static func monitor(_ spec: EarlyStoppingSpec?, hasValidation: Bool) -> String {
        hasValidation ? (spec?.monitor ?? .validationLoss).rawValue : Monitor.loss.rawValue
    }
}
