import Foundation
import ZooExplain
import ZooPlots
import ZooMetrics

/// report.md and report.html of one run: what was trained on what, the metrics table of the
/// sweep report for this one model, the training curves, and (classification) the ROC curve
/// and confusion matrix of the test set.
public struct RunReport {
    public let experiment: String
    public let result: RunResult
    public let summary: String
    /// The table's metric columns (`eval.metrics`).
    public let metrics: [ReportMetric]?
    /// Figures written elsewhere (Grad-CAM overlays), relative to the run.
    public let extraFigures: [(file: String, caption: String)]
    /// The class names, in label order (per-class tables).
    public let classNames: [String]

    public init(
        experiment: String, result: RunResult, summary: String, metrics: [ReportMetric]? = nil,
        extraFigures: [(file: String, caption: String)] = [], classNames: [String] = []
    ) {
        self.classNames = classNames
        self.experiment = experiment
        self.result = result
        self.summary = summary
        self.metrics = metrics
        self.extraFigures = extraFigures
    }

    /// The figures that can be drawn: a ROC or confusion matrix needs both classes in the test
    /// set, and without them the report has none (its table shows "-" for the same reason).
    var figures: [(file: String, caption: String, figure: Figure)] {
        var figures = [(String, String, Figure)]()
        let history = result.history
        if !history.isEmpty {
            let validation = history.compactMap(\.validationLoss)
            let accuracy = history.map(\.trainAccuracy)
            var curves = TrainingHistory(
                loss: history.map(\.trainLoss), validationLoss: validation.count == history.count ? validation : nil,
                accuracy: accuracy.allSatisfy(\.isFinite) ? accuracy : nil,
                validationAccuracy: history.allSatisfy { $0.validationAccuracy != nil } ? history.map { $0.validationAccuracy! } : nil)
            // The weights the report evaluates, marked (the best validation epoch, or the last).
            if let evaluated = try? JSONDecoder().decode(EvaluatedCheckpoint.self, from: Data(contentsOf: result.run.evaluated)), evaluated.epoch > 0 {
                curves.markedEpoch = (evaluated.epoch, "evaluated: epoch \(evaluated.epoch)")
            }
            if let figure = try? Plots.trainingCurves(curves, title: "\(result.architecture): training") {
                figures.append(("training.svg", "Loss and accuracy per epoch", figure))
            }
        }
        if let scores = result.test.binaryScores {
            if let curve = try? ROCCurve(scores) {
                var series = ROCSeries(name: result.architecture, curve: curve)
                series.band = try? ROCBand(scores, replicates: RunReport.bandReplicates)
                if let threshold = result.metrics.threshold {
                    let matrix = ConfusionMatrix(scores, threshold: threshold.value)
                    if let specificity = try? matrix.specificity, let sensitivity = try? matrix.sensitivity {
                        series.operatingPoint = (1 - specificity, sensitivity, "threshold \(Report.thresholdCell(threshold))")
                    }
                }
                if let figure = try? Plots.rocCurves([series], title: "Test set") {
                    figures.append((
                        "roc.svg",
                        "ROC curve on the test set with its 95% band (stratified bootstrap of the sensitivity at each specificity, \(RunReport.bandReplicates) resamples, as pROC's ci.se) and the operating point of the threshold",
                        figure))
                }
            }
            if let curve = try? PrecisionRecallCurve(scores), let figure = try? Plots.precisionRecall([(result.architecture, curve)], title: "Test set") {
                figures.append(("pr.svg", "Precision-recall curve on the test set (dashed: the prevalence)", figure))
            }
            if let calibration = try? Calibration(scores), let figure = try? Plots.calibration([(result.architecture, calibration)], title: "Test set") {
                figures.append(("calibration.svg", "Calibration on the test set: mean predicted probability against the share of positives in 10 equal-width bins", figure))
            }
            if let threshold = result.metrics.threshold,
                let figure = try? Plots.confusionMatrix(
                    ConfusionMatrix(scores, threshold: threshold.value),
                    classNames: classNames.count == 2 ? classNames : ["negative", "positive"],
                    title: "Test set, threshold \(Report.thresholdCell(threshold))")
            {
                figures.append(("confusion.svg", "Confusion matrix on the test set", figure))
            }
            if let figure = DecisionCurves.figure(DecisionCurves.curves([(result.architecture, result.test)]), title: "Decision curve, test set") {
                figures.append(("dca.svg", "Net benefit on the test set against treating all and none (decision curve)", figure))
            }
        }
        return figures
    }

    /// Bootstrap resamples of the ROC band.
    static let bandReplicates = 2000

    public var document: ReportDocument { document(listing: figures.map { ($0.file, $0.caption) }) }

    /// The report with `drawn` (the figures, already drawn) listed before the extra figures.
    func document(listing drawn: [(file: String, caption: String)]) -> ReportDocument {
        var doc = ReportDocument(title: "\(experiment) / \(result.run.url.lastPathComponent): \(result.architecture)")
        doc.add(.paragraph(summary))
        let (header, rows) = Report.metricRows([result], metrics: metrics)
        doc.add(.table(header: header, rows: rows))
        doc.add(.paragraph(String(format: "Training took %.1f s; inference %.1f ms per image (batched, this machine).", result.trainingSeconds, result.millisecondsPerImage)))
        if let report = result.metrics.test.classReport {
            // scikit-learn's classification_report layout, as the LIDC study's table.
            let names = classNames.count == report.classes.count ? classNames : report.classes.indices.map { "class \($0)" }
            func row(_ name: String, _ c: ClassScores) -> [String] {
                [name, Report.cell(c.precision), Report.cell(c.recall), Report.cell(c.f1), "\(c.support)"]
            }
            doc.add(.paragraph("Per class on the test set" + (result.metrics.threshold.map { ", threshold \(Report.thresholdCell($0))" } ?? "") + ":"))
            doc.add(.table(
                header: ["class", "precision", "recall", "F1", "support"],
                rows: zip(names, report.classes).map(row) + [row("macro avg", report.macro), row("weighted avg", report.weighted)]))
        }
        if let scores = result.test.binaryScores, let calibration = try? Calibration(scores), let curve = try? PrecisionRecallCurve(scores) {
            doc.add(.paragraph(String(
                format: "Test set: Brier score %.4f, expected calibration error %.4f (10 bins), average precision %.4f (prevalence %.4f).",
                calibration.brierScore, calibration.expectedCalibrationError, curve.averagePrecision, curve.prevalence)))
        }
        if let (header, rows) = DecisionCurves.table(DecisionCurves.curves([(result.architecture, result.test)])) {
            doc.add(.paragraph("Decision curve analysis, test set (net benefit at threshold probabilities):"))
            doc.add(.table(header: header, rows: rows))
        }
        for figure in drawn + extraFigures { doc.add(.figure(file: figure.file, caption: figure.caption)) }
        return doc
    }

    /// Writes the figures, report.md and report.html into the run directory.
    public func write() throws {
        // Drawn once (the ROC band alone is 2000 bootstrap curves), then written and listed.
        let drawn = figures
        for figure in drawn { try figure.figure.writeSVG(to: result.run.url.appendingPathComponent(figure.file)) }
        try document(listing: drawn.map { ($0.file, $0.caption) }).write(to: result.run.url)
    }
}
