import Foundation
import ZooMetrics
import ZooNN

/// The numbers a study reports for one model: on the test set (and the training set, as the
/// papers' tables show both), AUC with its DeLong 95% CI and the threshold metrics.
public struct EvaluationMetrics {
    public struct Side {
        public var auc: AUCInterval?
        public var threshold: Double?
        public var accuracy: Double?
        public var sensitivity: Double?
        public var specificity: Double?
        public var ppv: Double?
        public var npv: Double?
        public var f1: Double?
        public var dice: Double?
        /// Segmentation: detected reference lesions over all of them.
        public var lesionSensitivity: Double?
        /// Segmentation: Pearson correlation of predicted and reference volumes over the scans.
        public var volumeCorrelation: Double?
        /// Bootstrap 95% intervals of the threshold metrics at the chosen threshold, by metric
        /// name (`eval.bootstrap` resamples, stratified by class).
        public var intervals: [String: BootstrapInterval] = [:]

        /// The threshold metrics of `matrix` (undefined ones stay nil).
        mutating func take(_ matrix: ConfusionMatrix) {
            for metric in EvaluationMetrics.thresholdMetrics { self[keyPath: metric.field] = try? metric.value(matrix) }
        }
    }

    public var train: Side
    public var test: Side

    public init(train: Predictions, test: Predictions, task: ArchitectureTask, eval: EvalConfig, seed: UInt64 = 42) throws {
        let rule = try EvaluationMetrics.rule(eval.threshold)
        self.train = EvaluationMetrics.side(train, task: task, rule: rule, bootstrap: eval.bootstrap, seed: seed)
        self.test = EvaluationMetrics.side(test, task: task, rule: rule, bootstrap: eval.bootstrap, seed: seed)
    }

    /// The threshold metrics: name, field of a side, value from a confusion matrix.
    static let thresholdMetrics: [(name: String, field: WritableKeyPath<Side, Double?>, value: (ConfusionMatrix) throws -> Double)] = [
        ("accuracy", \.accuracy, { try $0.accuracy }), ("sensitivity", \.sensitivity, { try $0.sensitivity }),
        ("specificity", \.specificity, { try $0.specificity }), ("ppv", \.ppv, { try $0.positivePredictiveValue }),
        ("npv", \.npv, { try $0.negativePredictiveValue }), ("f1", \.f1, { try $0.f1 }),
    ]

    /// `0.5`, `youden`, or `sensitivity:0.9`.
    static func rule(_ text: String) throws -> ThresholdRule {
        if text == "youden" { return .youden }
        if text.hasPrefix("sensitivity:"), let target = Double(text.dropFirst("sensitivity:".count)) { return .sensitivity(target) }
        guard let value = Double(text), (0...1).contains(value) else {
            throw ConfigError(source: "config", path: "eval.threshold", "'\(text)' is not a probability in 0...1, youden, or sensitivity:S")
        }
        return .fixed(value)
    }

    static func side(_ p: Predictions, task: ArchitectureTask, rule: ThresholdRule, bootstrap: Int, seed: UInt64) -> Side {
        var side = Side()
        if task == .segmentation {
            side.dice = p.meanDice
            // Per scan, a lesion found or not is the case the detection metrics count.
            if let summary = try? DetectionSummary(p.segmentation.map(\.detection)) {
                side.take(summary.scanConfusion)
                side.lesionSensitivity = try? summary.lesionSensitivity
            }
            side.volumeCorrelation = pearson(p.segmentation.map { Double($0.predictedVoxels) }, p.segmentation.map { Double($0.referenceVoxels) })
            return side
        }
        side.accuracy = p.accuracy
        guard let scores = p.binaryScores else {
            return side
        }
        side.auc = try? DeLong.confidenceInterval(scores)
        if let matrix = try? ConfusionMatrix(scores, rule: rule) {
            side.threshold = matrix.threshold
            side.take(matrix)
            // The threshold stays the one chosen on all cases; only the cases are resampled.
            if bootstrap > 0 {
                let threshold = matrix.threshold
                for (name, _, value) in thresholdMetrics {
                    side.intervals[name] = try? Bootstrap.confidenceInterval(scores, replicates: bootstrap, seed: seed) { resampled in
                        try value(try ConfusionMatrix(resampled, rule: .fixed(threshold)))
                    }
                }
            }
        }
        return side
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 3 else { return nil }
        let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let syy = y.reduce(0) { $0 + ($1 - my) * ($1 - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : nil
    }

    /// metrics.json: every number, null where undefined.
    public var json: String {
        func number(_ value: Double?) -> String { value.map { $0.isFinite ? String(format: "%.6g", $0) : "null" } ?? "null" }
        func side(_ s: Side) -> String {
            var fields: [(String, Double?)] = [
                ("auc", s.auc?.auc), ("auc_ci_lower", s.auc?.lower), ("auc_ci_upper", s.auc?.upper), ("threshold", s.threshold),
                ("accuracy", s.accuracy), ("sensitivity", s.sensitivity), ("specificity", s.specificity), ("ppv", s.ppv),
                ("npv", s.npv), ("f1", s.f1), ("dice", s.dice), ("lesion_sensitivity", s.lesionSensitivity),
                ("volume_correlation", s.volumeCorrelation),
            ]
            for (name, _, _) in EvaluationMetrics.thresholdMetrics {
                guard let interval = s.intervals[name] else { continue }
                fields += [("\(name)_ci_lower", interval.lower), ("\(name)_ci_upper", interval.upper)]
            }
            return "{" + fields.map { "\"\($0.0)\": \(number($0.1))" }.joined(separator: ", ") + "}"
        }
        return "{\n  \"train\": \(side(train)),\n  \"test\": \(side(test))\n}\n"
    }
}

/// Files of the evaluation.
public enum Evaluation {
    /// Reads a predictions.csv back: `id,label,p_...` (classification) or
    /// `id,dice,...` (segmentation).
    public static func readPredictions(from url: URL) throws -> Predictions {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw RunError("cannot read \(url.path)") }
        let lines = text.split(separator: "\n")
        let segmentation = lines.first.map { $0.hasPrefix("id,dice,") } ?? false
        var result = Predictions()
        for (number, line) in lines.enumerated().dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if segmentation {
                guard let outcome = SegmentationOutcome(csvCells: Array(cells.dropFirst())) else {
                    throw RunError("\(url.path):\(number + 1): not id,\(SegmentationOutcome.csvHeader)")
                }
                result.ids.append(cells[0])
                result.segmentation.append(outcome)
                continue
            }
            guard cells.count >= 3, let label = Int(cells[1]) else { throw RunError("\(url.path):\(number + 1): not id,label,probabilities") }
            let probabilities = try cells.dropFirst(2).map { cell -> Double in
                guard let value = Double(cell) else { throw RunError("\(url.path):\(number + 1): '\(cell)' is not a probability") }
                return value
            }
            result.ids.append(cells[0])
            result.labels.append(label)
            result.probabilities.append(probabilities)
        }
        return result
    }

    /// The run's predictions.csv (test) and predictions-train.csv.
    public static func writePredictions(train: Predictions, test: Predictions, classNames: [String], in run: RunDirectory) throws {
        try writePredictions(test, classNames: classNames, to: run.predictions)
        try writePredictions(train, classNames: classNames, to: run.trainPredictions)
    }

    /// predictions.csv: id, label, then one probability column per class; for segmentation
    /// id, Dice, volumes and lesion counts per sample.
    public static func writePredictions(_ p: Predictions, classNames: [String], to url: URL) throws {
        var lines: [String]
        if !p.segmentation.isEmpty {
            lines = ["id," + SegmentationOutcome.csvHeader]
            for (id, outcome) in zip(p.ids, p.segmentation) { lines.append("\(id),\(outcome.csvCells)") }
        } else {
            let names = classNames.isEmpty ? (0..<(p.probabilities.first?.count ?? 0)).map { "class\($0)" } : classNames
            lines = ["id,label," + names.map { "p_\($0)" }.joined(separator: ",")]
            for (i, id) in p.ids.enumerated() where i < p.probabilities.count {
                lines.append("\(id),\(p.labels[i])," + p.probabilities[i].map { String(format: "%.6f", $0) }.joined(separator: ","))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
