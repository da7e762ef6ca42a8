import Foundation
import ZooCore

/// One experiment, from Swift: what `zoo train` does with a config file.
///
/// ```swift
/// let config = try ExperimentConfig([
///     "experiment": "nodules",
///     "data": ["source": "phantom", "phantom": ["kind": "lidc_nodules", "count": 120, "size": 64],
///              "split": ["method": "stratified", "train": 0.6, "validation": 0.2, "test": 0.2]],
///     "model": ["name": "small_cnn", "input_shape": [64, 64, 1]],
///     "train": ["epochs": 2, "batch_size": 16],
/// ])
/// let experiment = Experiment(config: config)
/// let result = try experiment.train()
/// let center2 = try experiment.evaluate(on: .testSet(try TestSetConfig(name: "center2", ["source": "phantom", "phantom": ["seed": 9]])))
/// ```
///
/// `train()` runs the steps of ``ExperimentRunner/run(name:resume:evaluateOnly:)``; a script
/// that wants them one by one takes ``runner`` and calls them itself.
public final class Experiment {
    public let config: ExperimentConfig
    /// Runs are written to `runsRoot/<experiment>/<run>`.
    public let runsRoot: URL
    public let progress: Progress
    /// The run ``train(name:)`` made; nil before.
    public private(set) var result: RunResult?

    public init(config: ExperimentConfig, runsRoot: URL = URL(fileURLWithPath: "runs"), progress: Progress = Progress()) {
        self.config = config
        self.runsRoot = runsRoot
        self.progress = progress
    }

    /// The run's steps, to call one at a time.
    public var runner: ExperimentRunner { ExperimentRunner(config: config, runsRoot: runsRoot, progress: progress) }

    /// Trains and evaluates: data, model, split, training, evaluation on every part and
    /// external test set (the threshold chosen on validation), and the run's files and report.
    @discardableResult
    public func train(name: String? = nil) throws -> RunResult {
        let result = try runner.run(name: name)
        self.result = result
        return result
    }

    /// The trained model's metrics on `data`, at the threshold the run chose on validation.
    /// A new test set is read, checked as the config's own (the model's classes, no patient of
    /// the training or validation part) and predicted by the run's evaluated checkpoint.
    public func evaluate(on data: EvaluationData) throws -> EvaluationMetrics.Side {
        guard let result else { throw RunError("evaluate(on:) needs a trained model: call train() first") }
        switch data {
        case .train:
            return result.metrics.train
        case .validation:
            guard let validation = result.metrics.validation else { throw RunError("\(config.experiment) has no validation part (data.split.validation is 0)") }
            return validation
        case .test:
            return result.metrics.test
        case .external(let name):
            guard let set = result.metrics.external.first(where: { $0.name == name }) else {
                let names = result.metrics.external.map(\.name)
                throw RunError("no external test set '\(name)' in data.test_sets" + (names.isEmpty ? "; it has none" : "; it has \(names.joined(separator: ", "))"))
            }
            return set.side
        case .testSet(let set):
            // The run is evaluated again from its files, as `zoo eval RUN` would, with the new
            // set beside its own: the same pipeline, checkpoint and threshold.
            let evaluated = try RestoredRun(result.run.url).evaluateRun(adding: [set])
            guard let side = evaluated.metrics.external.first(where: { $0.name == set.name })?.side else {
                throw RunError("test set '\(set.name)' was not evaluated")
            }
            return side
        }
    }
}

/// What ``Experiment/evaluate(on:)`` evaluates.
public enum EvaluationData {
    /// A part of the run's split.
    case train, validation, test
    /// One of the config's `data.test_sets`, by name.
    case external(String)
    /// A test set the config does not name: another centre's images.
    case testSet(TestSetConfig)
}
