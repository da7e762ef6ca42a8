import Foundation
import ZooExplain
import ZooPlots
import ZooMetrics
import ZooNN

/// The report of a k-fold cross-validation study: every fold's test metrics, their mean and
/// standard deviation, and the pooled out-of-fold predictions (each sample tested once, by the
/// model that did not see it) with their AUC and DeLong 95% CI; between trials, the paired
/// DeLong tests, NRI and IDI on the pooled predictions, and their ROC curves.
public struct CrossValidationReport {
    /// One trial (an architecture of the sweep, or the config's model) over every fold.
    public struct Trial {
        public let name: String
        public let folds: [RunResult]
        /// The folds' test predictions together, ordered by sample id.
        public let pooled: Predictions

        init(name: String, folds: [RunResult]) throws {
            self.name = name
            self.folds = folds
            var rows = [(id: String, label: Int?, probabilities: [Double]?, segmentation: SegmentationOutcome?)]()
            for fold in folds {
                let test = fold.test
                for (index, id) in test.ids.enumerated() {
                    rows.append((
                        id, index < test.labels.count ? test.labels[index] : nil,
                        index < test.probabilities.count ? test.probabilities[index] : nil,
                        index < test.segmentation.count ? test.segmentation[index] : nil))
                }
            }
            rows.sort { $0.id < $1.id }
            for (previous, next) in zip(rows, rows.dropFirst()) where previous.id == next.id {
                throw RunError("\(name): sample '\(next.id)' is in the test part of two folds; the folds must not overlap")
            }
            var pooled = Predictions()
            pooled.ids = rows.map(\.id)
            pooled.labels = rows.compactMap(\.label)
            pooled.probabilities = rows.compactMap(\.probabilities)
            pooled.segmentation = rows.compactMap(\.segmentation)
            self.pooled = pooled
        }
    }

    public let experiment: String
    public let config: CrossValidationConfig
    public let trials: [Trial]
    /// The trials as one model each with the pooled predictions as their test set: the
    /// DeLong matrix, NRI, IDI and ROC figure between them.
    public let pooledComparison: Report

    init(experiment: String, config: CrossValidationConfig, trials: [Trial], eval: EvalConfig) throws {
        self.experiment = experiment
        self.config = config
        self.trials = trials
        let pooledResults = try trials.map { trial -> RunResult in
            let first = trial.folds[0]
            let task: ArchitectureTask = trial.pooled.segmentation.isEmpty ? .classification : .segmentation
            // Threshold metrics of the pooled set are not reported (each fold chose its own
            // threshold); only the pooled AUC and the comparisons are.
            var pooledEval = eval
            pooledEval.threshold = .fixed(0.5)
            pooledEval.bootstrap = 0
            return RunResult(
                run: first.run, architecture: trial.name, history: [], train: Predictions(), validation: nil, test: trial.pooled,
                metrics: try EvaluationMetrics(train: Predictions(), test: trial.pooled, task: task, eval: pooledEval),
                trainingSeconds: trial.folds.reduce(0) { $0 + $1.trainingSeconds },
                millisecondsPerImage: trial.folds.reduce(0) { $0 + $1.millisecondsPerImage } / Double(trial.folds.count))
        }
        pooledComparison = try Report(experiment: experiment, results: pooledResults)
    }

    /// A metric of a fold's test side, as a number.
    typealias Metric = (name: String, heading: String, value: (EvaluationMetrics.Side) -> Double?)

    static let classificationMetrics: [Metric] = [
        ("auc", "AUC", { $0.auc?.auc }), ("accuracy", "accuracy", \.accuracy), ("sensitivity", "sensitivity", \.sensitivity),
        ("specificity", "specificity", \.specificity), ("f1", "F1", \.f1), ("ppv", "PPV", \.ppv), ("npv", "NPV", \.npv),
    ]
    static let segmentationMetrics: [Metric] = [
        ("dice", "Dice", \.dice), ("sensitivity", "scan sensitivity", \.sensitivity), ("specificity", "scan specificity", \.specificity),
        ("lesion_sensitivity", "lesion sensitivity", \.lesionSensitivity),
    ]

    /// Mean and sample standard deviation of the defined values, as `0.812 ± 0.031`.
    static func meanSD(_ values: [Double?]) -> String {
        // No fold with the metric defined: "-".
        guard let summary = try? Summary(values.map { $0.flatMap { $0.isFinite ? $0 : nil } }) else { return "-" }
        return summary.standardDeviation.map { String(format: "%.3f ± %.3f", summary.mean, $0) } ?? String(format: "%.3f", summary.mean)
    }

    public var document: ReportDocument {
        var doc = ReportDocument(title: "\(experiment): \(config.folds)-fold cross-validation")
        let samples = trials.first?.pooled.ids.count ?? 0
        doc.add(.paragraph(
            "\(config.folds) folds\(config.stratified ? ", stratified by class" : "")\(config.group == .patient ? ", each patient in one fold" : ""). "
                + "Each fold is the test set of one model, trained on the other folds"
                + (config.validation > 0 ? String(format: " (%.0f%% of them kept for validation: the checkpoint and the threshold are chosen there)", config.validation * 100) : "")
                + "; the \(samples) samples are each tested once. Rows per fold are test-set metrics; mean ± SD is over the folds; "
                + "pooled is the AUC (DeLong 95% CI) of the out-of-fold predictions together."))
        let segmentation = trials.contains { !$0.pooled.segmentation.isEmpty }
        let metrics = segmentation ? Self.segmentationMetrics : Self.classificationMetrics
        var rows = [[String]]()
        for trial in trials {
            for (index, fold) in trial.folds.enumerated() {
                let test = fold.metrics.test
                var row = [trial.name, "fold \(index + 1)"]
                for metric in metrics {
                    row.append(metric.name == "auc" ? Report.aucCell(test.auc) : Report.cell(metric.value(test)))
                }
                if !segmentation { row.append(fold.metrics.threshold.map(Report.thresholdCell) ?? "-") }
                rows.append(row)
            }
            rows.append([trial.name, "mean ± SD"] + metrics.map { metric in Self.meanSD(trial.folds.map { metric.value($0.metrics.test) }) } + (segmentation ? [] : [""]))
            let pooled = pooledComparison.results.first { $0.architecture == trial.name }!.metrics.test
            let pooledCells = metrics.map { metric -> String in
                switch metric.name {
                case "auc": return Report.aucCell(pooled.auc)
                case "dice": return Report.cell(pooled.dice)
                default: return "-"
                }
            }
            rows.append([trial.name, "pooled out-of-fold"] + pooledCells + (segmentation ? [] : [""]))
        }
        doc.add(.table(header: ["model", "fold"] + metrics.map(\.heading) + (segmentation ? [] : ["threshold (chosen on)"]), rows: rows))
        let comparison = pooledComparison
        doc.blocks += Report.comparisonBlocks(
            names: trials.map(\.name), pValues: comparison.pValues, best: comparison.best, reclassification: comparison.reclassification,
            where: "pooled out-of-fold predictions", bestBy: "highest pooled AUC")
        if comparison.rocFigure != nil { doc.add(.figure(file: Report.rocFile, caption: "ROC curves of the pooled out-of-fold predictions")) }
        return doc
    }

    public var markdown: String { document.markdown }

    /// Writes report.md, report.html and the pooled ROC figure, and each trial's pooled
    /// predictions as `<trial>/predictions-pooled.csv`.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try pooledComparison.rocFigure?.writeSVG(to: folder.appendingPathComponent(Report.rocFile))
        for trial in trials {
            // The class names as the folds' predictions.csv wrote them (p_<name> columns).
            let header = (try? String(contentsOf: trial.folds[0].run.predictions, encoding: .utf8))?.split(separator: "\n").first ?? ""
            let classNames = header.split(separator: ",").filter { $0.hasPrefix("p_") }.map { String($0.dropFirst(2)) }
            try Evaluation.writePredictions(trial.pooled, classNames: classNames, to: folder.appendingPathComponent(trial.name).appendingPathComponent("predictions-pooled.csv"))
        }
        try document.write(to: folder)
    }
}
