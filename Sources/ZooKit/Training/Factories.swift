import Foundation
import ZooCore
import ZooData
import ZooNN

/// Builds training components from their config sections through one table each, so that a
/// short name in a config (`adam`, `dice_ce`, `warmup_cosine`) means one thing. The sections
/// are read into typed specs (TrainingSpecs.swift) when the config is read; these build from
/// a section directly.
public enum TrainingFactory {
    public static var optimizers: [String] { OptimizerSpec.Name.allCases.map(\.rawValue) }
    public static var losses: [String] { LossSpec.names }
    public static var schedules: [String] { ScheduleSpec.Name.allCases.map(\.rawValue) }

    /// A section's reader; a bare name stands for `{name: NAME}`.
    static func reader(_ value: ConfigValue, _ path: String, source: String) throws -> ConfigReader {
        if case .scalar(let name) = value { return try ConfigReader(.map([(key: "name", value: .scalar(name))]), source: source, path: path) }
        return try ConfigReader(value, source: source, path: path)
    }

    public static func optimizer(_ value: ConfigValue, source: String) throws -> GradientOptimizer {
        try OptimizerSpec(value, file: source).make()
    }

    public static func loss(_ value: ConfigValue, classWeights: [Float]?, source: String) throws -> Loss {
        try LossSpec(value, file: source).make(classWeights: classWeights)
    }

    /// A learning-rate schedule and the unit it counts.
    public struct ScheduleChoice {
        public let schedule: LearningRateSchedule?
        public let unit: ScheduleUnit
        public let plateau: ReduceLROnPlateau?
    }

    /// `steps` is the number of units the whole training takes (epochs, or epochs times
    /// batches per epoch).
    public static func schedule(_ value: ConfigValue, learningRate: Float, epochs: Int, stepsPerEpoch: Int, source: String) throws -> ScheduleChoice {
        try ScheduleSpec(value, file: source).make(learningRate: learningRate, epochs: epochs, stepsPerEpoch: stepsPerEpoch)
    }

    public static func classWeights(_ value: ConfigValue?, labels: [Int], classes: Int, source: String) throws -> [Float]? {
        try ClassWeightsSpec(value, file: source).weights(labels: labels, classes: classes)
    }
}
