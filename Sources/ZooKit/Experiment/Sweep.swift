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
        let directory = runsRoot.appendingPathComponent(config.experiment)
        try report.markdown.write(to: directory.appendingPathComponent("comparison.md"), atomically: true, encoding: .utf8)
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

/// The comparison table of a sweep, in the layout of the papers' tables.
public struct SweepReport {
    public let experiment: String
    public let results: [RunResult]
    /// DeLong p-values between every pair of models on the test set (paired: same cases).
    public let pValues: [[Double?]]

    public init(experiment: String, results: [RunResult]) throws {
        self.experiment = experiment
        self.results = results
        pValues = results.map { a in
            results.map { b -> Double? in
                guard a.architecture != b.architecture, a.test.ids == b.test.ids,
                    let first = try? BinaryScores(scores: a.test.probabilities.map { $0[1] }, labels: a.test.labels),
                    let second = try? BinaryScores(scores: b.test.probabilities.map { $0[1] }, labels: b.test.labels)
                else { return nil }
                return try? DeLong.pairedTest(first, second).p
            }
        }
    }

    static func cell(_ value: Double?, _ digits: Int = 3) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? "-"
    }

    /// The table as Markdown: one row per model and set.
    public var markdown: String {
        var lines = [
            "# \(experiment): comparison", "",
            "| model | set | AUC (95% CI) | accuracy | sensitivity | specificity | F1 | PPV | NPV | Dice |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in results {
            for (name, side) in [("train", r.metrics.train), ("test", r.metrics.test)] {
                let auc = side.auc.map { String(format: "%.3f (%.3f-%.3f)", $0.auc, $0.lower, $0.upper) } ?? "-"
                let c = SweepReport.cell
                lines.append("| \(r.architecture) | \(name) | \(auc) | \(c(side.accuracy, 3)) | \(c(side.sensitivity, 3)) | \(c(side.specificity, 3)) | \(c(side.f1, 3)) | \(c(side.ppv, 3)) | \(c(side.npv, 3)) | \(c(side.dice, 3)) |")
            }
        }
        lines += ["", "| model | training (s) | inference (ms/image) |", "|---|---:|---:|"]
        for r in results { lines.append(String(format: "| %@ | %.1f | %.1f |", r.architecture, r.trainingSeconds, r.millisecondsPerImage)) }
        if results.count > 1, pValues.joined().contains(where: { $0 != nil }) {
            lines += ["", "DeLong p-values (paired, test set):", "", "| | " + results.map(\.architecture).joined(separator: " | ") + " |",
                      "|---|" + String(repeating: "---:|", count: results.count)]
            for (i, r) in results.enumerated() {
                lines.append("| \(r.architecture) | " + pValues[i].map { SweepReport.cell($0, 4) }.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
