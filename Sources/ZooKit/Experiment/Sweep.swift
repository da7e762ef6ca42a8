import Foundation
import ZooCore

/// One protocol over several architectures, from Swift: what `zoo sweep` does with a config's
/// `sweep:` section. Every trial trains on the same split with the same pipeline; the
/// ``Report`` compares them (AUC with its interval, DeLong, NRI and IDI).
///
/// ```swift
/// let report = try Sweep(config: config, architectures: ["small_cnn", ["name": "resnet18", "set": ["data.preprocessing": "tf"]]]).run()
/// print(report.markdown)
/// ```
///
/// A finished trial is read back rather than trained again, and an interrupted one resumes,
/// as long as its config and data are unchanged. The trials run in this process, one after
/// another; worker processes and SLURM arrays read their study from a file (`zoo sweep`).
public struct Sweep {
    /// The protocol every trial follows: data, split, training and evaluation.
    public var config: ExperimentConfig
    /// The trials: catalog names, or maps with `name` and `set` (settings of that trial
    /// alone), as the entries of `sweep.architectures`.
    public var architectures: [ConfigValue]

    public init(config: ExperimentConfig, architectures: [ConfigValue]) {
        self.config = config
        self.architectures = architectures
    }

    /// Trains (or reads back) every trial and writes the report to `runsRoot/<experiment>/`.
    public func run(runsRoot: URL = URL(fileURLWithPath: "runs"), progress: Progress = Progress()) throws -> Report {
        let document = config.resolved.setting(["sweep", "architectures"], to: .list(architectures))
        let study = try StudyRunner(document: document, baseDirectory: config.baseDirectory, runsRoot: runsRoot, progress: progress)
        guard let report = try study.run().first else { throw RunError("the sweep of \(config.experiment) wrote no report") }
        return report
    }
}
