import Foundation
import ZooCore
import ZooData
import ZooMetrics

/// A k-fold cross-validation study: for every trial (the config's model, or each architecture
/// of its sweep) one run per fold, `runs/<experiment>/<trial>/fold-<k>`, whose test part is
/// that fold and whose validation part is carved from the other folds. The report pools each
/// trial's out-of-fold predictions (every sample tested once) for its AUC, the DeLong tests
/// between trials and their NRI and IDI.
struct CrossValidationRunner {
    let study: StudyRunner
    let cv: CrossValidationConfig

    func run() throws -> CrossValidationReport {
        let document = study.sharedData(study.document).removing("cross_validation")
        let architecture = study.config.sweep != nil
        let entries = study.config.sweep?.architectures ?? [TrialEntry(name: study.config.model.name, overrides: [])]
        func trial(_ entry: TrialEntry, fold: Int) throws -> ExperimentConfig {
            let split = ConfigValue.map([
                ("method", .scalar("kfold")), ("folds", .scalar(String(cv.folds))), ("fold", .scalar(String(fold))),
                ("validation", .scalar(String(cv.validation))), ("stratified", .scalar(String(cv.stratified))),
                ("group", .scalar(cv.group.rawValue)),
            ])
            return try study.trialConfig(document.setting(["data", "split"], to: split), entry: entry, architecture: architecture)
        }
        try study.preflight(try entries.map { ($0.name, try trial($0, fold: 0)) }, key: architecture ? "sweep.architectures" : "model")
        var trials = [CrossValidationReport.Trial]()
        for (index, entry) in entries.enumerated() {
            var folds = [RunResult]()
            for fold in 0..<cv.folds {
                study.progress.message("=== \(entry.name) (\(index + 1) of \(entries.count)), fold \(fold + 1) of \(cv.folds)")
                folds.append(try study.runTrial(try trial(entry, fold: fold), name: "\(entry.name)/fold-\(fold + 1)"))
            }
            trials.append(try CrossValidationReport.Trial(name: entry.name, folds: folds))
        }
        let report = try CrossValidationReport(experiment: study.config.experiment, config: cv, trials: trials, eval: study.config.eval)
        try report.write(to: study.runsRoot.appendingPathComponent(study.config.experiment))
        return report
    }
}
