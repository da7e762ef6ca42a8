import Foundation
import ZooCore
import ZooData

/// Runs a study: a sweep (one protocol over many architectures), an ensemble (members trained
/// on one split, their probabilities averaged), or a pipeline of stages (segment, then
/// classify the regions the best segmentation model finds). Trials run one after another, or
/// as worker processes for a sweep; a finished trial (its run directory holds metrics) is read
/// back instead of trained again. Each sweep, ensemble or stage ends in a `SweepReport`.
public final class StudyRunner {
    public let config: ExperimentConfig
    public let configURL: URL
    public let overrides: [String]
    public let runsRoot: URL
    public let progress: Progress
    /// Only these trials (sweep entry names) run; the rest must have finished before.
    public var only: Set<String> = []
    /// The `zoo` executable that worker processes run (sweeps with `workers` > 1).
    public var workerExecutable: URL?

    public init(configURL: URL, overrides: [String], runsRoot: URL, progress: Progress = Progress()) throws {
        self.configURL = configURL
        self.overrides = overrides
        self.config = try ExperimentConfig.load(configURL, overrides: overrides)
        self.runsRoot = runsRoot
        self.progress = progress
        guard config.sweep != nil || config.ensemble != nil || !config.stages.isEmpty else {
            throw RunError("\(configURL.lastPathComponent) has no sweep:, ensemble: or stages: section; use `zoo train`")
        }
    }

    var baseDirectory: URL { configURL.deletingLastPathComponent() }

    /// Trains (or reads back) every trial and returns the reports, one per sweep, ensemble
    /// or stage, each also written under runs/<experiment>/.
    public func run() throws -> [SweepReport] {
        let document = try ExperimentConfig.document(configURL)
        guard only.isEmpty || config.sweep != nil else {
            throw RunError("--only picks trials of a plain sweep; \(configURL.lastPathComponent) is an ensemble or a pipeline")
        }
        if let sweep = config.sweep {
            return [try runSweep(document, sweep: sweep, experiment: config.experiment)]
        }
        if let ensemble = config.ensemble {
            return [try EnsembleRunner(study: self, document: sharedData(document).removing("ensemble"), ensemble: ensemble).run()]
        }
        return try PipelineRunner(study: self).run()
    }

    /// The document with its phantom's seed fixed to the study's seed: members and stages may
    /// train with seeds of their own, and must still see the same images.
    func sharedData(_ document: ConfigValue) -> ConfigValue {
        guard config.data.source == "phantom", document["data"]?["phantom"]?["seed"] == nil else { return document }
        return document.setting(["data", "phantom", "seed"], to: .scalar(String(config.seed)))
    }

    /// The experiment of one trial: the base document, the entry's settings, then the command
    /// line's, which win (`--set train.epochs=1` shortens every trial whatever the entry sets).
    func trialConfig(_ base: ConfigValue, entry: TrialEntry, architecture: Bool) throws -> ExperimentConfig {
        var document = architecture ? base.setting(["model", "name"], to: .scalar(entry.name)) : base
        for (path, value) in entry.overrides { document = document.setting(path, to: value) }
        document = try ExperimentConfig.applying(overrides, to: document)
        // The study's own sections stay with the study; a trial is one plain run.
        document = document.removing("sweep").removing("ensemble").removing("stages")
        var trial = try ExperimentConfig(document, source: configURL.lastPathComponent)
        trial.baseDirectory = baseDirectory
        return trial
    }

    /// Runs (or reads back) one trial.
    func runTrial(_ trial: ExperimentConfig, name: String, prepare: (ExperimentRunner) throws -> Void = { _ in }) throws -> RunResult {
        let existing = RunDirectory(runsRoot.appendingPathComponent(trial.experiment).appendingPathComponent(name))
        if existing.isFinished {
            progress.message("== \(name): finished before, read back from \(existing.url.path)")
            return try ExperimentRunner.finished(existing, eval: trial.eval, seed: trial.seed)
        }
        let runner = ExperimentRunner(config: trial, runsRoot: runsRoot, progress: progress)
        try prepare(runner)
        progress.message("== \(name)")
        return try runner.run(name: name)
    }

    /// A sweep of `document` (the experiment with its `sweep:`); its report is written to
    /// runs/<experiment>/.
    func runSweep(_ document: ConfigValue, sweep: SweepConfig, experiment: String, prepare: (ExperimentRunner) throws -> Void = { _ in }) throws -> SweepReport {
        var trials = try sweep.architectures.map { ($0.name, try trialConfig(document, entry: $0, architecture: true)) }
        if !only.isEmpty {
            // A worker process: its trials only, and no report (the parent writes it).
            trials = trials.filter { only.contains($0.0) }
            return try SweepReport(experiment: experiment, results: try trials.map { name, trial in try runTrial(trial, name: name, prepare: prepare) }, metrics: trials.first?.1.eval.metrics)
        }
        if sweep.workers > 1 {
            try WorkerPool(study: self, workers: sweep.workers, experiment: experiment).run(trials.filter { name, trial in
                !RunDirectory(runsRoot.appendingPathComponent(trial.experiment).appendingPathComponent(name)).isFinished
            }.map(\.0))
        }
        let results = try trials.map { name, trial in try runTrial(trial, name: name, prepare: prepare) }
        let report = try SweepReport(experiment: experiment, results: results, metrics: trials.first?.1.eval.metrics)
        try report.write(to: runsRoot.appendingPathComponent(experiment))
        return report
    }
}
