import Foundation
import ZooCore
import ZooData
import ZooHDF5

/// An ensemble study: every member trained (or read back) on one shared split, then the
/// members' softmax outputs averaged and evaluated like one model, in runs/<experiment>/ensemble.
struct EnsembleRunner {
    let study: StudyRunner
    let document: ConfigValue
    let ensemble: EnsembleConfig

    func run() throws -> Report {
        let experiment = study.config.experiment
        let members = try ensemble.members.map { ($0.name, try study.trialConfig(document, entry: $0, architecture: false)) }
        // One split for every member, whatever seed a member trains with.
        let first = ExperimentRunner(config: members[0].1, runsRoot: study.runsRoot, progress: study.progress)
        let dataset = try DataSources.make(members[0].1.data, seed: members[0].1.seed, base: study.baseDirectory)
        let split = try first.split(dataset)
        var results = try members.map { name, trial in
            var result = try study.runTrial(trial, name: name) { $0.presetSplit = split }
            result.architecture = "\(name) (\(result.architecture))"
            return result
        }
        results.append(try evaluate(results.map(\.run.url), config: members[0].1))
        let report = try Report(experiment: experiment, results: results, metrics: members[0].1.eval.metrics)
        try report.write(to: study.runsRoot.appendingPathComponent(experiment))
        return report
    }

    /// The averaged members on the training and test parts, written like a run.
    func evaluate(_ memberRuns: [URL], config: ExperimentConfig) throws -> RunResult {
        let restored = try memberRuns.map { try RestoredRun($0) }
        let reference = restored[0]
        for other in restored.dropFirst() {
            guard other.variant.task == reference.variant.task, other.split == reference.split,
                other.config.model.inputShape == reference.config.model.inputShape
            else {
                throw RunError("ensemble members \(reference.run.url.lastPathComponent) and \(other.run.url.lastPathComponent) differ in task, split or input shape; members must share them")
            }
        }
        let predictor = reference.predictor(with: restored.dropFirst().map(\.model))
        let run = try RunDirectory.create(root: study.runsRoot, experiment: study.config.experiment, run: "ensemble")
        let (train, test, perImage) = try predictor.trainAndTest(
            train: try reference.evaluationLoader(try reference.indices("train")),
            test: try reference.evaluationLoader(try reference.indices("test")))
        let validation = reference.split.parts["validation"] != nil
            ? try predictor.predict(try reference.evaluationLoader(try reference.indices("validation"))) : nil
        let metrics = try EvaluationMetrics(
            train: train, validation: validation, test: test, task: reference.variant.task, eval: config.eval, seed: config.seed)
        try (try config.resolved.json).write(to: run.config, atomically: true, encoding: .utf8)
        try (memberRuns.map(\.path).joined(separator: "\n") + "\n").write(to: run.members, atomically: true, encoding: .utf8)
        try Evaluation.writePredictions(train: train, validation: validation, test: test, classNames: reference.dataset.classNames, in: run)
        let timing = RunTiming(architecture: "ensemble of \(restored.count) \(reference.variant.name)", task: reference.variant.task.rawValue, trainingSeconds: 0, msPerImage: perImage)
        try JSONText.encode(timing).write(to: run.timing, atomically: true, encoding: .utf8)
        let name = timing.architecture
        let result = RunResult(
            run: run, architecture: name, history: [], train: train, validation: validation, test: test, metrics: metrics,
            trainingSeconds: 0, millisecondsPerImage: perImage)
        let summary = "The mean softmax of \(memberRuns.map(\.lastPathComponent).joined(separator: ", ")) (their best checkpoints), "
            + "on \(train.ids.count) training and \(test.ids.count) test samples of the members' shared split."
            + (metrics.threshold.map { " Threshold \($0), applied to every set." } ?? "")
        try RunReport(experiment: study.config.experiment, result: result, summary: summary, metrics: config.eval.metrics, classNames: reference.dataset.classNames).write()
        try (try metrics.json).write(to: run.metrics, atomically: true, encoding: .utf8)
        return result
    }
}
