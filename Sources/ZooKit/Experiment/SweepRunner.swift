import Foundation
import ZooMetrics

/// One protocol over many architectures, trained one after another; a finished trial (its
/// run directory holds metrics) is read back instead of trained again. The end is the papers'
/// comparison: per model AUC with 95% CI and the threshold metrics on the training and test
/// sets, pairwise DeLong p-values on the test set, training time and inference time per image.
public final class SweepRunner {
    public let config: ExperimentConfig
    public let configURL: URL
    public let overrides: [String]
    public let runsRoot: URL
    public let progress: Progress

    public init(configURL: URL, overrides: [String], runsRoot: URL, progress: Progress = Progress()) throws {
        self.configURL = configURL
        self.overrides = overrides
        self.config = try ExperimentConfig.load(configURL, overrides: overrides)
        self.runsRoot = runsRoot
        self.progress = progress
        guard config.sweep != nil else { throw RunError("\(configURL.lastPathComponent) has no sweep: section; use `zoo train`") }
    }

    /// Trains (or reads back) every trial and returns the comparison.
    public func run() throws -> SweepReport {
        var results = [RunResult]()
        let base = try ExperimentConfig.document(configURL)
        for entry in config.sweep!.architectures {
            // The entry's settings, then the command line's, which win: `--set train.epochs=1`
            // shortens every trial whatever the sweep sets.
            var document = base.setting(["model", "name"], to: .scalar(entry.name))
            for (path, value) in entry.overrides { document = document.setting(path, to: value) }
            document = try ExperimentConfig.applying(overrides, to: document)
            var trial = try ExperimentConfig(document.removing("sweep"), source: configURL.lastPathComponent)
            trial.baseDirectory = configURL.deletingLastPathComponent()
            let existing = RunDirectory(runsRoot.appendingPathComponent(trial.experiment).appendingPathComponent(entry.name))
            if existing.isFinished {
                progress.message("== \(entry.name): finished before, read back from \(existing.url.path)")
                results.append(try ExperimentRunner.finished(existing, threshold: trial.eval.threshold))
                continue
            }
            let runner = ExperimentRunner(config: trial, runsRoot: runsRoot, progress: progress)
            progress.message("== \(entry.name)")
            results.append(try runner.run(name: entry.name))
        }
        let report = try SweepReport(experiment: config.experiment, results: results)
        try report.write(to: runsRoot.appendingPathComponent(config.experiment))
        return report
    }
}

extension ConfigValue {
    /// The map without `key`.
    func removing(_ key: String) -> ConfigValue {
        guard case .map(let entries) = self else { return self }
        return .map(entries.filter { $0.key != key })
    }
}
