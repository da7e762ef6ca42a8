import Foundation
import ZooExplain
import ZooPlots
import ZooMetrics

/// The comparison of a sweep in the layout of the papers' tables: per model AUC with its 95%
/// CI and the threshold metrics on the training and test sets, training and inference time,
/// pairwise DeLong p-values, the NRI and IDI of the best model over each other, and the ROC
/// figure of the test set.
public struct Report {
    public let experiment: String
    public let results: [RunResult]
    /// DeLong p-values between every pair of models on the test set (paired: same cases).
    public let pValues: [[Double?]]
    /// The model with the highest test AUC (classification), or Dice (segmentation).
    public let best: Int?
    /// Category-free NRI and IDI of the best model over each model (nil for itself or when
    /// the test sets differ).
    public let reclassification: [(nri: NRIResult, idi: IDIResult)?]
    /// The metric columns of the table (`eval.metrics`; nil: all of the task's).
    public let metrics: [ReportMetric]?
    /// The same comparison on each external test set every model was evaluated on.
    public let externalSets: [ExternalComparison]
    /// The study's readers, tabled per test set beside the models (`readers:`).
    var readerStudy: ReaderStudy?

    /// DeLong p-values and the best model's NRI and IDI on one external test set.
    public struct ExternalComparison {
        public let name: String
        public let pValues: [[Double?]]
        public let best: Int?
        public let reclassification: [(nri: NRIResult, idi: IDIResult)?]
    }

    public init(experiment: String, results: [RunResult], metrics: [ReportMetric]? = nil) throws {
        self.experiment = experiment
        self.results = results
        self.metrics = metrics
        let names = results.first?.external.map(\.name) ?? []
        externalSets = names.filter { name in results.allSatisfy { $0.external.contains { $0.name == name } } }.map { name in
            let sets = results.map { $0.external.first { $0.name == name }!.predictions }
            let (pValues, best, reclassification) = Report.compare(sets, names: results.map(\.architecture))
            return ExternalComparison(name: name, pValues: pValues, best: best, reclassification: reclassification)
        }
        (pValues, best, reclassification) = Report.compare(results.map(\.test), names: results.map(\.architecture))
    }

    /// Paired DeLong p-values between every two models of `sets` (the same cases), the model
    /// with the highest AUC (or Dice), and its NRI and IDI over each other.
    static func compare(_ sets: [Predictions], names: [String]) -> ([[Double?]], Int?, [(nri: NRIResult, idi: IDIResult)?]) {
        func paired(_ a: Int, _ b: Int) -> (BinaryScores, BinaryScores)? {
            guard names[a] != names[b], sets[a].ids == sets[b].ids, let first = sets[a].binaryScores, let second = sets[b].binaryScores else { return nil }
            return (first, second)
        }
        // A pair without a test (identical rankings, one class) has no p-value: "-".
        let pValues = sets.indices.map { a in sets.indices.map { b in paired(a, b).flatMap { try? DeLong.pairedTest($0.0, $0.1).p } } }
        let scores = sets.map { set -> Double in (set.binaryScores.flatMap { try? ROCCurve.auc($0) }) ?? set.meanDice ?? -1 }
        let best = scores.indices.max { scores[$0] < scores[$1] }.flatMap { scores[$0] >= 0 ? $0 : nil }
        let reclassification = sets.indices.map { other -> (nri: NRIResult, idi: IDIResult)? in
            guard let best, let (new, old) = paired(best, other) else { return nil }
            // NRI and IDI undefined for these scores leave the row out of the table.
            guard let nri = try? ReclassificationStatistics.continuousNRI(old: old.scores, new: new.scores, outcomes: old.labels),
                let idi = try? ReclassificationStatistics.idi(old: old.scores, new: new.scores, outcomes: old.labels)
            else { return nil }
            return (nri, idi)
        }
        return (pValues, best, reclassification)
    }

    /// The DeLong matrix and the best model's NRI and IDI of one set, as report blocks
    /// (`where` names the set in the captions; `best` says how the best was chosen).
    static func comparisonBlocks(
        names: [String], pValues: [[Double?]], best: Int?, reclassification: [(nri: NRIResult, idi: IDIResult)?], where set: String, bestBy: String
    ) -> [ReportDocument.Block] {
        var blocks = [ReportDocument.Block]()
        if names.count > 1, pValues.joined().contains(where: { $0 != nil }) {
            blocks.append(.paragraph("DeLong p-values (paired, \(set)):"))
            blocks.append(.table(header: [""] + names, rows: names.indices.map { i in [names[i]] + pValues[i].map(pValue) }))
        }
        if let best, reclassification.contains(where: { $0 != nil }) {
            blocks.append(.paragraph("\(names[best]) (\(bestBy)) against each other model, \(set): category-free NRI and IDI (Pencina et al.):"))
            blocks.append(.table(
                header: ["model", "NRI (p)", "events NRI", "non-events NRI", "IDI (p)"],
                rows: names.indices.compactMap { i in
                    guard let (nri, idi) = reclassification[i] else { return nil }
                    return [names[i], withP(nri.nri, nri.p), cell(nri.eventNRI), cell(nri.nonEventNRI), withP(idi.idi, idi.p)]
                }))
        }
        return blocks
    }

    /// An AUC with its 95% CI as the tables print it, `-` when undefined.
    static func aucCell(_ interval: AUCInterval?) -> String {
        interval.map { String(format: "%.3f (%.3f-%.3f)", $0.auc, $0.lower, $0.upper) } ?? "-"
    }

    static func cell(_ value: Double?, _ digits: Int = 3) -> String {
        value.map { $0.isFinite ? String(format: "%.\(digits)f", $0) : "-" } ?? "-"
    }

    static func withP(_ value: Double, _ p: Double) -> String { String(format: "%.3f (p %@)", value, pValue(p)) }

    /// A p-value as tables print it: four decimals, and `<0.0001` below that (never 0.0000).
    static func pValue(_ p: Double?) -> String {
        guard let p, p.isFinite else { return "-" }
        return p < 0.0001 ? "<0.0001" : String(format: "%.4f", p)
    }

    /// A column of the metrics table: its metric name, heading and cell.
    typealias Column = (metric: ReportMetric, heading: String, cell: (EvaluationMetrics.Side) -> String)

    static func value(_ side: EvaluationMetrics.Side, _ name: String, _ value: Double?) -> String {
        guard let interval = side.intervals[name], value != nil else { return cell(value) }
        return String(format: "%@ (%.3f-%.3f)", cell(value), interval.lower, interval.upper)
    }

    static let classificationColumns: [Column] = [
        (.auc, "AUC (95% CI)", { aucCell($0.auc) }),
        (.aucP, "AUC p (vs 0.5)", { s in pValue(s.auc?.pAgainstChance) }),
        (.accuracy, "accuracy", { value($0, "accuracy", $0.accuracy) }),
        (.sensitivity, "sensitivity", { value($0, "sensitivity", $0.sensitivity) }),
        (.specificity, "specificity", { value($0, "specificity", $0.specificity) }),
        (.f1, "F1", { value($0, "f1", $0.f1) }),
        (.ppv, "PPV", { value($0, "ppv", $0.ppv) }),
        (.npv, "NPV", { value($0, "npv", $0.npv) }),
    ]

    static let segmentationColumns: [Column] = [
        (.dice, "Dice (mean)", { cell($0.dice) }),
        (.diceMedian, "Dice (median)", { cell($0.diceMedian) }),
        (.diceSingleLesion, "Dice (one-lesion scans)", { cell($0.diceSingleLesion) }),
        (.iou, "IoU", { cell($0.iou) }),
        (.hd95, "HD95", { cell($0.hausdorff95, 2) }),
        (.precision, "precision", { cell($0.voxelPrecision) }),
        (.recall, "recall", { cell($0.voxelRecall) }),
        (.fpr, "FPR", { cell($0.voxelFalsePositiveRate, 4) }),
        (.sensitivity, "scan sensitivity", { cell($0.sensitivity) }),
        (.specificity, "scan specificity", { cell($0.specificity) }),
        (.lesionSensitivity, "lesion sensitivity", { cell($0.lesionSensitivity) }),
        (.falsePositivesPerScan, "FP per scan", { cell($0.falsePositivesPerScan, 2) }),
        (.volumeCorrelation, "volume r", { cell($0.volumeCorrelation) }),
    ]

    /// The rows of the metrics table, one per model and set, with the columns `metrics` names
    /// (every column of the task when nil); threshold metrics show their bootstrap interval
    /// when the evaluation computed one.
    /// Classification tables end in the threshold column: its value and the split it was
    /// chosen on, the same on every set of a model.
    static func metricRows(_ results: [RunResult], metrics: [ReportMetric]?) -> (header: [String], rows: [[String]]) {
        let segmentation = results.contains { $0.metrics.test.dice != nil }
        let columns = (segmentation ? segmentationColumns : classificationColumns).filter { metrics?.contains($0.metric) ?? true }
        let thresholds = !segmentation && results.contains { $0.metrics.threshold != nil }
        var rows = [[String]]()
        for r in results {
            let sides = [("train", r.metrics.train), ("validation", r.metrics.validation), ("test", r.metrics.test)]
                + r.metrics.external.map { ($0.name, Optional($0.side)) }
            for case let (name, side?) in sides {
                let threshold = thresholds ? [r.metrics.threshold.map(thresholdCell) ?? "-"] : []
                rows.append([r.architecture, r.imageMetrics == nil ? name : "\(name) (patients)"] + columns.map { $0.cell(side) } + threshold)
            }
            // Evaluated per patient: the same metrics per image beside, at the image level's
            // own validation threshold.
            if let images = r.imageMetrics {
                let imageSides = [("train", images.train), ("validation", images.validation), ("test", images.test)]
                    + images.external.map { ($0.name, Optional($0.side)) }
                for case let (name, side?) in imageSides {
                    let threshold = thresholds ? [images.threshold.map(thresholdCell) ?? "-"] : []
                    rows.append([r.architecture, "\(name) (images)"] + columns.map { $0.cell(side) } + threshold)
                }
            }
        }
        return (["model", "set"] + columns.map(\.heading) + (thresholds ? ["threshold (chosen on)"] : []), rows)
    }

    static func thresholdCell(_ threshold: ChosenThreshold) -> String {
        threshold.source == "config" ? String(format: "%.3f (config)", threshold.value)
            : String(format: "%.3f (%@, %@)", threshold.value, threshold.rule, threshold.source)
    }

    /// The figure file the report links (written by `write(to:)`).
    static let rocFile = "roc.svg"

    public var document: ReportDocument {
        var doc = ReportDocument(title: "\(experiment): comparison")
        if let first = results.first {
            // What each set holds (the first model's; the models share the split).
            let unit = first.imageMetrics == nil ? "cases" : "patients"
            var parts = ["training \(first.train.ids.count)"]
            if let validation = first.validation { parts.append("validation \(validation.ids.count)") }
            parts.append("test \(first.test.ids.count)")
            parts += first.external.map { "\($0.name) \($0.predictions.ids.count)" }
            doc.add(.paragraph("Sets (\(unit)): " + parts.joined(separator: ", ") + "."))
        }
        let (header, rows) = Report.metricRows(results, metrics: metrics)
        doc.add(.table(header: header, rows: rows))
        // Times are known for models trained here (not for an evaluation of a saved run).
        if results.contains(where: { $0.trainingSeconds > 0 || $0.millisecondsPerImage > 0 }) {
            doc.add(.table(
                header: ["model", "training (s)", "inference (ms/image)"],
                rows: results.map { [$0.architecture, String(format: "%.1f", $0.trainingSeconds), String(format: "%.1f", $0.millisecondsPerImage)] }))
        }
        doc.blocks += Report.comparisonBlocks(
            names: results.map(\.architecture), pValues: pValues, best: best, reclassification: reclassification, where: "test set",
            bestBy: "highest test AUC")
        if rocFigure != nil { doc.add(.figure(file: Report.rocFile, caption: "ROC curves on the test set")) }
        if let readerStudy, let test = results.first?.test { doc.blocks += readerStudy.blocks(set: "the test set", ids: test.ids, labels: test.labels) }
        let testCurves = DecisionCurves.curves(results.map { ($0.architecture, $0.test) } + readerCurves(results.first?.test))
        if let (header, rows) = DecisionCurves.table(testCurves) {
            doc.add(.paragraph("Decision curve analysis, test set (net benefit at threshold probabilities):"))
            doc.add(.table(header: header, rows: rows))
            doc.add(.figure(file: "dca.svg", caption: "Decision curves on the test set"))
        }
        for set in externalSets {
            doc.blocks += Report.comparisonBlocks(
                names: results.map(\.architecture), pValues: set.pValues, best: set.best, reclassification: set.reclassification,
                where: "external test set \(set.name)", bestBy: "highest AUC on \(set.name)")
            if rocFigure(set.name) != nil { doc.add(.figure(file: "roc-\(set.name).svg", caption: "ROC curves on the external test set \(set.name)")) }
            let external = results.first?.external.first { $0.name == set.name }?.predictions
            if let readerStudy, let external { doc.blocks += readerStudy.blocks(set: set.name, ids: external.ids, labels: external.labels) }
            let curves = DecisionCurves.curves(externalPredictions(set.name) + readerCurves(external))
            if let (header, rows) = DecisionCurves.table(curves) {
                doc.add(.paragraph("Decision curve analysis, \(set.name):"))
                doc.add(.table(header: header, rows: rows))
                doc.add(.figure(file: "dca-\(set.name).svg", caption: "Decision curves on \(set.name)"))
            }
        }
        return doc
    }

    /// The Markdown of the report (what `zoo sweep` prints).
    public var markdown: String { document.markdown }

    /// The readers' decision-curve series on a set (none without a reader study).
    func readerCurves(_ set: Predictions?) -> [(name: String, predictions: Predictions)] {
        guard let readerStudy, let set else { return [] }
        return readerStudy.decisionSets(ids: set.ids, labels: set.labels)
    }

    /// Every model's predictions on the external set `name`.
    func externalPredictions(_ name: String) -> [(name: String, predictions: Predictions)] {
        results.compactMap { r in r.external.first { $0.name == name }.map { (r.architecture, $0.predictions) } }
    }

    /// The ROC figure of an external test set (one panel per set, each its own file).
    func rocFigure(_ name: String) -> Figure? {
        let curves = results.compactMap { r -> (name: String, curve: ROCCurve)? in
            guard let set = r.external.first(where: { $0.name == name }), let scores = set.predictions.binaryScores,
                let curve = try? ROCCurve(scores) else { return nil }
            return (r.architecture, curve)
        }
        // A set without both classes has no ROC curve: no figure.
        return curves.isEmpty ? nil : try? Plots.rocCurves(curves, title: "\(experiment): \(name)")
    }

    /// Models whose test set lacks a class have no ROC curve and are left out of the figure.
    var rocFigure: Figure? {
        let curves = results.compactMap { r -> (name: String, curve: ROCCurve)? in
            guard let scores = r.test.binaryScores, let curve = try? ROCCurve(scores) else { return nil }
            return (r.architecture, curve)
        }
        return curves.isEmpty ? nil : try? Plots.rocCurves(curves, title: "\(experiment): test set")
    }

    /// Writes report.md, report.html and the ROC figure into `folder`.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try rocFigure?.writeSVG(to: folder.appendingPathComponent(Report.rocFile))
        for set in externalSets { try rocFigure(set.name)?.writeSVG(to: folder.appendingPathComponent("roc-\(set.name).svg")) }
        try DecisionCurves.figure(DecisionCurves.curves(results.map { ($0.architecture, $0.test) } + readerCurves(results.first?.test)), title: "\(experiment): test set")?
            .writeSVG(to: folder.appendingPathComponent("dca.svg"))
        for set in externalSets {
            let external = results.first?.external.first { $0.name == set.name }?.predictions
            try DecisionCurves.figure(DecisionCurves.curves(externalPredictions(set.name) + readerCurves(external)), title: "\(experiment): \(set.name)")?
                .writeSVG(to: folder.appendingPathComponent("dca-\(set.name).svg"))
        }
        try document.write(to: folder)
    }
}
