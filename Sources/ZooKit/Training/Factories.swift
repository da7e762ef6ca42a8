import Foundation
import ZooCore
import ZooData
import ZooNN

/// Builds training components from their config sections through one table each, so that a
/// short name in a config (`adam`, `dice_ce`, `warmup_cosine`) means one thing.
public enum TrainingFactory {
    public static let optimizers = ["adam", "adamw", "sgd"]
    public static let losses = ["cross_entropy", "binary_cross_entropy", "dice", "dice_ce", "focal"]
    public static let schedules = ["constant", "step", "exponential", "cosine", "warmup_cosine", "plateau"]

    static func reader(_ value: ConfigValue, _ path: String, source: String) throws -> ConfigReader {
        if case .scalar(let name) = value { return try ConfigReader(.map([(key: "name", value: .scalar(name))]), source: source, path: path) }
        return try ConfigReader(value, source: source, path: path)
    }

    /// The class index `train.loss.ignore_label` marks as unlabelled (nil: none).
    public static func ignoreLabel(_ loss: ConfigValue) -> Int? {
        guard case .scalar(let text)? = loss["ignore_label"] else { return nil }
        return Int(text)
    }

    /// `train.optimizer`: name, lr, epsilon, beta1, beta2, momentum, nesterov, weight_decay,
    /// convention (keras or pytorch), clip_norm, clip_value.
    public static func optimizer(_ value: ConfigValue, source: String) throws -> GradientOptimizer {
        let r = try reader(value, "train.optimizer", source: source)
        let name = try r.choice("name", optimizers, default: "adam")!
        let lr = Float(try r.double("lr", default: name == "sgd" ? 0.01 : 1e-3, in: 0...10))
        let convention = OptimizerConvention(rawValue: try r.choice("convention", ["keras", "pytorch"], default: name == "adam" ? "keras" : "pytorch")!)!
        let epsilon = try r.double("epsilon").map(Float.init)
        let beta1 = Float(try r.double("beta1", default: 0.9, in: 0...0.999999))
        let beta2 = Float(try r.double("beta2", default: 0.999, in: 0...0.999999))
        let weightDecay = try r.double("weight_decay").map(Float.init)
        let momentum = Float(try r.double("momentum", default: 0, in: 0...1))
        let nesterov = try r.bool("nesterov", default: false)
        var clipping = GradientClipping.none
        if let norm = try r.double("clip_norm") { clipping = .globalNorm(Float(norm)) }
        if let value = try r.double("clip_value") {
            guard clipping == .none else { throw r.error("clip_value", "clip_norm and clip_value exclude each other") }
            clipping = .value(Float(value))
        }
        try r.finish()
        switch name {
        case "adam":
            return try Adam(learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay ?? 0, convention: convention, clipping: clipping)
        case "adamw":
            return try AdamW(learningRate: lr, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay, convention: convention, clipping: clipping)
        default:
            return try SGD(learningRate: lr, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay ?? 0, convention: convention, clipping: clipping)
        }
    }

    /// `train.loss`: name plus its options (label_smoothing, include_background, lambda_dice,
    /// lambda_ce, gamma, positive_weight, weighted_mean).
    public static func loss(_ value: ConfigValue, classWeights: [Float]?, source: String) throws -> Loss {
        let r = try reader(value, "train.loss", source: source)
        let name = try r.choice("name", losses, default: "cross_entropy")!
        switch name {
        case "cross_entropy":
            let smoothing = Float(try r.double("label_smoothing", default: 0, in: 0...0.999))
            let mean = try r.choice("weighted_mean", ["batch_size", "sum_of_weights"], default: "batch_size")!
            try r.finish()
            return try SoftmaxCrossEntropy(classWeights: classWeights, labelSmoothing: smoothing, weightedMean: mean == "batch_size" ? .batchSize : .sumOfWeights)
        case "binary_cross_entropy":
            let positive = Float(try r.double("positive_weight", default: 1, in: 0...1e6))
            try r.finish()
            return BinaryCrossEntropy(positiveWeight: positive)
        case "dice":
            let background = try r.bool("include_background", default: true)
            try r.finish()
            return DiceLoss(includeBackground: background, classWeights: classWeights)
        case "dice_ce":
            let background = try r.bool("include_background", default: true)
            let lambdaDice = Float(try r.double("lambda_dice", default: 1, in: 0...1e6))
            let lambdaCE = Float(try r.double("lambda_ce", default: 1, in: 0...1e6))
            let ignore = try r.int("ignore_label")
            try r.finish()
            return try DiceCELoss(
                includeBackground: background, lambdaDice: lambdaDice, lambdaCE: lambdaCE, classWeights: classWeights, ignoreLabel: ignore)
        default:
            let gamma = Float(try r.double("gamma", default: 2, in: 0...100))
            try r.finish()
            return try FocalLoss(gamma: gamma, alpha: classWeights)
        }
    }

    /// A learning-rate schedule and the unit it counts (`step`: batches, `epoch`: epochs).
    public struct ScheduleChoice {
        public let schedule: LearningRateSchedule?
        public let unit: String
        public let plateau: ReduceLROnPlateau?
    }

    /// `train.schedule`: name, unit, and the schedule's own keys; `steps` is the number of
    /// units the whole training takes (epochs, or epochs times batches per epoch).
    public static func schedule(_ value: ConfigValue, learningRate: Float, epochs: Int, stepsPerEpoch: Int, source: String) throws -> ScheduleChoice {
        let r = try reader(value, "train.schedule", source: source)
        let name = try r.choice("name", schedules, default: "constant")!
        let unit = try r.choice("unit", ["step", "epoch"], default: "epoch")!
        let total = unit == "epoch" ? epochs : epochs * stepsPerEpoch
        let warmup = try r.int("warmup", default: 0, minimum: 0)
        var schedule: LearningRateSchedule?
        var plateau: ReduceLROnPlateau?
        switch name {
        case "constant":
            schedule = ConstantSchedule(learningRate)
        case "step":
            schedule = try StepDecay(initial: learningRate, stepSize: try r.int("step_size", default: Swift.max(1, total / 3), minimum: 1), gamma: Float(try r.double("gamma", default: 0.1, in: 0...1)))
        case "exponential":
            schedule = try ExponentialDecay(initial: learningRate, decaySteps: try r.int("decay_steps", default: Swift.max(1, total), minimum: 1), decayRate: Float(try r.double("decay_rate", default: 0.96, in: 0...1)), staircase: try r.bool("staircase", default: false))
        case "cosine":
            schedule = try CosineDecay(initial: learningRate, decaySteps: Swift.max(1, total - warmup), alpha: Float(try r.double("alpha", default: 0, in: 0...1)), warmupTarget: warmup > 0 ? learningRate : nil, warmupSteps: warmup)
        case "warmup_cosine":
            guard total > warmup else { throw r.error("warmup", "must be shorter than the training (\(total) \(unit)s)") }
            schedule = try WarmupCosineAnnealing(peak: learningRate, totalSteps: total, warmupSteps: warmup, minimum: Float(try r.double("minimum", default: 0, in: 0...10)))
        default:
            plateau = try ReduceLROnPlateau(
                mode: try r.choice("mode", ["min", "max"], default: "min") == "min" ? .min : .max,
                factor: Float(try r.double("factor", default: 0.1, in: 0...0.999)),
                patience: try r.int("patience", default: 10, minimum: 0),
                minDelta: try r.double("min_delta", default: 1e-4, in: 0...1e9),
                cooldown: try r.int("cooldown", default: 0, minimum: 0),
                minimum: Float(try r.double("minimum", default: 0, in: 0...10)))
        }
        _ = r.value("monitor")
        try r.finish()
        return ScheduleChoice(schedule: schedule, unit: unit, plateau: plateau)
    }

    /// `train.class_weights`: `balanced` (n / (classes * count_c), Keras's and scikit-learn's),
    /// `none`, or an explicit list.
    public static func classWeights(_ value: ConfigValue?, labels: [Int], classes: Int, source: String) throws -> [Float]? {
        switch value {
        case nil, .null, .scalar("none"): return nil
        case .scalar("balanced"):
            let counts = (0..<classes).map { c in labels.filter { $0 == c }.count }
            guard counts.allSatisfy({ $0 > 0 }) else {
                throw ConfigError(source: source, path: "train.class_weights", "'balanced' needs every class in the training set; counts \(counts)")
            }
            return ClassBalance.balancedWeights(counts: counts)
        case .list(let items):
            let weights = try items.map { item -> Float in
                guard case .scalar(let text) = item, let weight = Float(text), weight >= 0 else {
                    throw ConfigError(source: source, path: "train.class_weights", "must hold non-negative numbers")
                }
                return weight
            }
            guard weights.count == classes else {
                throw ConfigError(source: source, path: "train.class_weights", "\(weights.count) weights for \(classes) classes")
            }
            return weights
        default:
            throw ConfigError(source: source, path: "train.class_weights", "must be balanced, none, or a list of numbers")
        }
    }
}

extension TrainingFactory {
    /// `train.early_stopping`: monitor (val_loss, val_accuracy, val_score; val_auc and val_dice
    /// name the score), patience, min_delta, restore_best. Without validation data the monitor
    /// falls back to the training loss.
    public static func earlyStopping(
        _ value: ConfigValue?, hasValidation: Bool, task: ArchitectureTask, source: String
    ) throws -> (EarlyStopping?, String) {
        let fallback = hasValidation ? "val_loss" : "loss"
        guard let value, value != .null else { return (nil, fallback) }
        let r = try reader(value, "train.early_stopping", source: source)
        let monitors = ["val_loss", "val_accuracy", "val_score", "val_auc", "val_dice", "loss"]
        var monitor = try r.choice("monitor", monitors, default: fallback)!
        if !hasValidation && monitor != "loss" { monitor = "loss" }
        let stopping = EarlyStopping(
            mode: monitor.hasSuffix("loss") ? .min : .max, patience: try r.int("patience", default: 10, minimum: 0),
            minDelta: try r.double("min_delta", default: 0, in: 0...1e9), restoreBest: try r.bool("restore_best", default: true))
        try r.finish()
        return (stopping, monitor)
    }
}
