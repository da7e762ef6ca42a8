import Foundation
import ZooCore
import ZooMetrics
import ZooNN

/// The operating point of a binary classifier: one threshold, chosen once, on the validation
/// split (on the training split when the run has none, and the reports say so), then applied
/// unchanged to every set and to `zoo predict`. Choosing it again on the test set would report
/// an optimistic sensitivity and specificity.
public struct ChosenThreshold: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Scores at or above it are called positive.
    public var value: Double
    /// The config's rule: `0.5`, `youden` or `sensitivity:0.9`.
    public var rule: String
    /// Where it was chosen: `config` (a fixed number), `validation` or `training`.
    public var source: String
    /// The samples it was chosen on (0 for a fixed number).
    public var samples: Int

    public var description: String {
        source == "config"
            ? String(format: "%.3f (fixed in the config)", value)
            : String(format: "%.3f (%@ on the %@ split, %d samples)", value, rule, source, samples)
    }

    /// The threshold `rule` gives: the number itself, or chosen on `validation` when it has
    /// both classes, else on `train`.
    static func choose(_ parsed: ThresholdRule, validation: Predictions?, train: Predictions) throws -> ChosenThreshold? {
        let rule = parsed.configText
        if case .fixed(let value) = parsed { return ChosenThreshold(value: value, rule: rule, source: "config", samples: 0) }
        for (source, predictions) in [("validation", validation), ("training", train)] {
            guard let scores = predictions?.binaryScores, scores.positiveCount > 0, scores.positiveCount < scores.count else { continue }
            let value = try ConfusionMatrix.threshold(scores, rule: parsed)
            return ChosenThreshold(value: value, rule: rule, source: source, samples: scores.count)
        }
        return nil
    }
}

/// The numbers a study reports for one model: on the test set (and the training and
/// validation sets, as the papers' tables show them), AUC with its DeLong 95% CI and the
/// threshold metrics at the one threshold chosen on validation.
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
        /// Segmentation, over the samples: the median Dice; the mean Dice of the scans with
        /// exactly one reference lesion (as the CT tumour study reports); the mean IoU; the
        /// mean and median 95th-percentile Hausdorff distance (mm where the spacing is known);
        /// the mean voxel precision, recall and false-positive rate (each over the samples
        /// where it is defined); false-positive components per scan.
        public var diceMedian: Double?
        public var diceSingleLesion: Double?
        public var iou: Double?
        public var hausdorff95: Double?
        public var hausdorff95Median: Double?
        public var voxelPrecision: Double?
        public var voxelRecall: Double?
        public var voxelFalsePositiveRate: Double?
        public var falsePositivesPerScan: Double?
        /// Segmentation: detected reference lesions over all of them.
        public var lesionSensitivity: Double?
        /// Segmentation: Pearson correlation of predicted and reference volumes over the scans.
        public var volumeCorrelation: Double?
        /// Bootstrap 95% intervals of the threshold metrics at the chosen threshold, by metric
        /// name (`eval.bootstrap` resamples, stratified by class).
        public var intervals: [String: BootstrapInterval] = [:]
        /// Per-class precision, recall and F1 with macro and weighted averages, of the classes
        /// predicted at the chosen threshold (two classes) or by the argmax (more).
        public var classReport: ClassificationReport?

        /// The threshold metrics of `matrix` (undefined ones stay nil).
        mutating func take(_ matrix: ConfusionMatrix) {
            // A metric whose denominator is empty (no positives in a set) is undefined: nil.
            for metric in EvaluationMetrics.thresholdMetrics { self[keyPath: metric.field] = try? metric.value(matrix) }
        }
    }

    public var train: Side
    /// nil when the run had no validation split.
    public var validation: Side?
    public var test: Side
    /// The operating point of every side (binary classification; nil otherwise).
    public var threshold: ChosenThreshold?
    /// The external test sets (`data.test_sets`), by name, at the same threshold.
    public var external: [(name: String, side: Side)] = []

    /// Metrics of each set; the threshold of `eval.threshold` is chosen on `validation` (on
    /// `train` when nil) and applied unchanged to every set.
    public init(
        train: Predictions, validation: Predictions? = nil, test: Predictions, external: [(name: String, predictions: Predictions)] = [],
        task: ArchitectureTask, eval: EvalConfig, seed: UInt64 = 42
    ) throws {
        let validation = validation.flatMap { $0.ids.isEmpty ? nil : $0 }
        threshold = task == .classification ? try ChosenThreshold.choose(eval.threshold, validation: validation, train: train) : nil
        let value = threshold?.value
        self.train = EvaluationMetrics.side(train, task: task, threshold: value, bootstrap: eval.bootstrap, seed: seed)
        self.validation = validation.map { EvaluationMetrics.side($0, task: task, threshold: value, bootstrap: eval.bootstrap, seed: seed) }
        self.test = EvaluationMetrics.side(test, task: task, threshold: value, bootstrap: eval.bootstrap, seed: seed)
        self.external = external.map { ($0.name, EvaluationMetrics.side($0.predictions, task: task, threshold: value, bootstrap: eval.bootstrap, seed: seed)) }
    }

    /// The threshold metrics: name, field of a side, value from a confusion matrix.
    static let thresholdMetrics: [(name: String, field: WritableKeyPath<Side, Double?>, value: (ConfusionMatrix) throws -> Double)] = [
        ("accuracy", \.accuracy, { try $0.accuracy }), ("sensitivity", \.sensitivity, { try $0.sensitivity }),
        ("specificity", \.specificity, { try $0.specificity }), ("ppv", \.ppv, { try $0.positivePredictiveValue }),
        ("npv", \.npv, { try $0.negativePredictiveValue }), ("f1", \.f1, { try $0.f1 }),
    ]

    /// `0.5`, `youden`, or `sensitivity:0.9`.
    static func side(_ p: Predictions, task: ArchitectureTask, threshold: Double?, bootstrap: Int, seed: UInt64) -> Side {
        var side = Side()
        if task == .segmentation {
            side.dice = p.meanDice
            let outcomes = p.segmentation
            // ZooMetrics' Summary over the samples where a value is defined; none defined: nil.
            func summary(_ values: [Double?]) -> Summary? { try? Summary(values) }
            side.diceMedian = summary(outcomes.map(\.dice))?.median
            side.diceSingleLesion = summary(outcomes.filter { $0.detection.referenceLesions == 1 }.map(\.dice))?.mean
            side.iou = summary(outcomes.map(\.iou))?.mean
            let hausdorff = summary(outcomes.map(\.hausdorff95))
            (side.hausdorff95, side.hausdorff95Median) = (hausdorff?.mean, hausdorff?.median)
            side.voxelPrecision = summary(outcomes.map(\.precision))?.mean
            side.voxelRecall = summary(outcomes.map(\.recall))?.mean
            side.voxelFalsePositiveRate = summary(outcomes.map(\.falsePositiveRate))?.mean
            side.falsePositivesPerScan = outcomes.isEmpty ? nil : Double(outcomes.reduce(0) { $0 + $1.detection.falsePositiveComponents }) / Double(outcomes.count)
            // Per scan, a lesion found or not is the case the detection metrics count; a set
            // without scans has none to count.
            if let summary = try? DetectionSummary(p.segmentation.map(\.detection)) {
                side.take(summary.scanConfusion)
                side.lesionSensitivity = try? summary.lesionSensitivity  // undefined without reference lesions
            }
            // In millilitres where every sample has them (voxels otherwise: the same r when the
            // spacing is constant).
            let inML = outcomes.allSatisfy { $0.predictedML.isFinite && $0.referenceML.isFinite }
            side.volumeCorrelation = inML
                ? pearson(outcomes.map(\.predictedML), outcomes.map(\.referenceML))
                : pearson(outcomes.map { Double($0.predictedVoxels) }, outcomes.map { Double($0.referenceVoxels) })
            return side
        }
        side.accuracy = p.accuracy
        if let classes = p.probabilities.first?.count, !p.labels.isEmpty {
            let predicted = p.probabilities.map { Predictions.predictedClass($0, threshold: threshold) }
            // Labels outside the model's classes leave the report undefined (nil).
            side.classReport = try? ClassificationReport(predicted: predicted, truth: p.labels, classCount: classes)
        }
        guard let scores = p.binaryScores else {
            return side
        }
        // A set with one class has no AUC: it stays undefined (nil, "-" in the tables).
        side.auc = try? DeLong.confidenceInterval(scores)
        guard let threshold else { return side }
        let matrix = ConfusionMatrix(scores, threshold: threshold)
        side.threshold = threshold
        side.take(matrix)
        // The threshold stays the one chosen on validation; only the cases are resampled.
        if bootstrap > 0 {
            for (name, _, value) in thresholdMetrics {
                // A resampled metric without a denominator leaves that interval undefined.
                side.intervals[name] = try? Bootstrap.confidenceInterval(scores, replicates: bootstrap, seed: seed) { resampled in
                    try value(ConfusionMatrix(resampled, threshold: threshold))
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

    /// metrics.json: every number at full precision, null where undefined, and the
    /// threshold with its source.
    public var json: String {
        get throws { try JSONText.encode(MetricsFile(self)) }
    }
}

/// The layout of metrics.json.
struct MetricsFile: Encodable {
    struct SideFile: Encodable {
        let side: EvaluationMetrics.Side

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: DynamicCodingKey.self)
            let s = side
            var fields: [(String, Double?)] = [
                ("auc", s.auc?.auc), ("auc_ci_lower", s.auc?.lower), ("auc_ci_upper", s.auc?.upper),
                ("auc_variance", s.auc?.variance), ("auc_p", s.auc?.pAgainstChance), ("threshold", s.threshold),
                ("accuracy", s.accuracy), ("sensitivity", s.sensitivity), ("specificity", s.specificity), ("ppv", s.ppv),
                ("npv", s.npv), ("f1", s.f1), ("dice", s.dice), ("dice_median", s.diceMedian), ("dice_single_lesion", s.diceSingleLesion),
                ("iou", s.iou), ("hd95", s.hausdorff95), ("hd95_median", s.hausdorff95Median), ("precision", s.voxelPrecision),
                ("recall", s.voxelRecall), ("fpr", s.voxelFalsePositiveRate), ("false_positives_per_scan", s.falsePositivesPerScan),
                ("lesion_sensitivity", s.lesionSensitivity), ("volume_correlation", s.volumeCorrelation),
            ]
            for (name, _, _) in EvaluationMetrics.thresholdMetrics {
                guard let interval = s.intervals[name] else { continue }
                fields += [("\(name)_ci_lower", interval.lower), ("\(name)_ci_upper", interval.upper)]
            }
            for (key, value) in fields { try container.encode(value.flatMap { $0.isFinite ? $0 : nil }, forKey: DynamicCodingKey(key)) }
            if let report = s.classReport {
                struct Scores: Encodable { let precision, recall, f1: Double; let support: Int }
                func scores(_ c: ClassScores) -> Scores { Scores(precision: c.precision, recall: c.recall, f1: c.f1, support: c.support) }
                try container.encode(report.classes.map(scores), forKey: DynamicCodingKey("per_class"))
                try container.encode(scores(report.macro), forKey: DynamicCodingKey("macro_avg"))
                try container.encode(scores(report.weighted), forKey: DynamicCodingKey("weighted_avg"))
            }
        }
    }

    let train: SideFile
    let validation: SideFile?
    let test: SideFile
    let external: [(String, SideFile)]
    let threshold: ChosenThreshold?

    init(_ metrics: EvaluationMetrics) {
        train = SideFile(side: metrics.train)
        validation = metrics.validation.map(SideFile.init)
        test = SideFile(side: metrics.test)
        external = metrics.external.map { ($0.name, SideFile(side: $0.side)) }
        threshold = metrics.threshold
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: DynamicCodingKey.self)
        try container.encode(train, forKey: DynamicCodingKey("train"))
        if let validation { try container.encode(validation, forKey: DynamicCodingKey("validation")) }
        try container.encode(test, forKey: DynamicCodingKey("test"))
        for (name, side) in external { try container.encode(side, forKey: DynamicCodingKey(name)) }
        try container.encode(threshold, forKey: DynamicCodingKey("threshold"))
    }
}

extension EvalConfig {
    /// The sliding window of `eval.sliding_window` for a network whose input is `input`
    /// (spatial..., channels); nil when the config evaluates resized copies.
    public func slidingWindow(input: [Int]) -> SlidingWindow? {
        slidingOverlap.map { SlidingWindow(size: Array(input.dropLast()), overlap: $0, gaussian: slidingGaussian, sigmaScale: slidingSigmaScale) }
    }

    /// The detection criteria of `eval.detection` (the volume in mL, connectivity as the
    /// number of axes a neighbour may differ on).
    public var detectionCriteria: DetectionCriteria {
        let steps = connectivity.map { [4: 1, 6: 1, 8: 3, 18: 2, 26: 3][$0] ?? 3 } ?? 3
        return DetectionCriteria(minimumVolumeML: minimumLesionMM3 / 1000, neighbourSteps: steps)
    }
}

/// Files of the evaluation.
public enum Evaluation {
    /// Reads a predictions.csv back: `id,label,p_...` (classification) or
    /// `id,dice,...` (segmentation).
    public static func readPredictions(from url: URL) throws -> Predictions {
        let text = try UserFile.text(url, what: "predictions CSV")
        let lines = text.split(separator: "\n")
        let segmentation = lines.first.map { $0.hasPrefix("id,dice,") } ?? false
        let header = lines.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        var result = Predictions()
        for (number, line) in lines.enumerated().dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if segmentation {
                guard cells.count == header.count,
                    let outcome = SegmentationOutcome(row: Dictionary(zip(header, cells), uniquingKeysWith: { first, _ in first }))
                else {
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

    /// Every set of `sets`, as `writePredictions(train:validation:test:external:...)` writes.
    public static func writePredictions(_ sets: PredictionSets, classNames: [String], in run: RunDirectory, perImage: Bool = false) throws {
        try writePredictions(
            train: sets.train, validation: sets.validation, test: sets.test, external: sets.external, classNames: classNames, in: run,
            perImage: perImage)
    }

    /// The run's predictions.csv (test), predictions-train.csv and, with a validation split,
    /// predictions-validation.csv (the set its threshold was chosen on).
    public static func writePredictions(
        train: Predictions, validation: Predictions? = nil, test: Predictions, external: [(name: String, predictions: Predictions)] = [],
        classNames: [String], in run: RunDirectory, perImage: Bool = false
    ) throws {
        // `perImage`: the per-image twins of a run evaluated per patient.
        func named(_ url: URL) -> URL { perImage ? run.perImage(url) : url }
        for (name, predictions) in external { try writePredictions(predictions, classNames: classNames, to: named(run.externalPredictions(name))) }
        try writePredictions(test, classNames: classNames, to: named(run.predictions))
        try writePredictions(train, classNames: classNames, to: named(run.trainPredictions))
        if let validation { try writePredictions(validation, classNames: classNames, to: named(run.validationPredictions)) }
    }

    /// predictions.csv: id, label, then one probability column per class (at full precision:
    /// a finished run read back reports the numbers it reported first); for segmentation
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
                lines.append("\(id),\(p.labels[i])," + p.probabilities[i].map { "\($0)" }.joined(separator: ","))
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }
}
