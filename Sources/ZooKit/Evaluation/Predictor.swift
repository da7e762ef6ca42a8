import Foundation
import ZooCore
import ZooData
import ZooMetrics
import ZooNN
import ZooTensor

/// One segmented sample, as the studies report it: Dice and IoU of the foreground,
/// precision, recall and false-positive rate of its voxels, the 95th-percentile Hausdorff
/// distance (mm where the voxel spacing is known, else voxels), the volumes in voxels and in
/// millilitres, and lesions found per scan (connected components matched by overlap).
public struct SegmentationOutcome: Equatable, Sendable {
    /// Foreground Dice (1 when both masks are empty).
    public var dice: Double
    /// Foreground IoU (1 when both masks are empty).
    public var iou: Double
    /// nil where undefined (no predicted voxel, no reference voxel, no background voxel).
    public var precision: Double?
    public var recall: Double?
    public var falsePositiveRate: Double?
    /// nil when either mask is empty.
    public var hausdorff95: Double?
    public var referenceVoxels: Int
    public var predictedVoxels: Int
    public var referenceML: Double
    public var predictedML: Double
    public var detection: ScanDetection

    static let columns = [
        "dice", "iou", "precision", "recall", "fpr", "hd95", "reference_ml", "predicted_ml", "reference_voxels",
        "predicted_voxels", "reference_lesions", "detected_lesions", "predicted_components", "false_positive_components",
    ]
    static var csvHeader: String { columns.joined(separator: ",") }

    var csvCells: String {
        func number(_ value: Double?) -> String { value.map { "\($0)" } ?? "" }
        return [
            number(dice), number(iou), number(precision), number(recall), number(falsePositiveRate), number(hausdorff95),
            number(referenceML), number(predictedML), "\(referenceVoxels)", "\(predictedVoxels)", "\(detection.referenceLesions)",
            "\(detection.detectedLesions)", "\(detection.predictedComponents)", "\(detection.falsePositiveComponents)",
        ].joined(separator: ",")
    }

    init(predicted: LabelMap, reference: LabelMap, criteria: DetectionCriteria = DetectionCriteria()) throws {
        let overlap = try SegmentationMetrics.evaluate(prediction: predicted, reference: reference, hausdorff: true)
        dice = overlap.dice ?? 1
        iou = overlap.iou ?? 1
        precision = overlap.precision
        recall = overlap.recall
        falsePositiveRate = overlap.falsePositiveRate
        hausdorff95 = overlap.hausdorff95.flatMap { $0.isFinite ? $0 : nil }
        referenceVoxels = overlap.truePositives + overlap.falseNegatives
        predictedVoxels = overlap.truePositives + overlap.falsePositives
        referenceML = overlap.referenceVolumeML
        predictedML = overlap.predictedVolumeML
        detection = try Detection.evaluate(prediction: predicted, reference: reference, criteria: criteria)
    }

    /// A row of predictions.csv by column name; the columns of older files (Dice, voxels and
    /// lesions only) are read too, the rest left undefined.
    init?(row: [String: String]) {
        func integer(_ key: String) -> Int? { row[key].flatMap { Int($0) } }
        func number(_ key: String) -> Double? { row[key].flatMap { Double($0) } }
        guard let dice = number("dice"), let referenceVoxels = integer("reference_voxels"), let predictedVoxels = integer("predicted_voxels"),
            let lesions = integer("reference_lesions"), let detected = integer("detected_lesions"),
            let components = integer("predicted_components"), let falsePositives = integer("false_positive_components")
        else { return nil }
        self.dice = dice
        iou = number("iou") ?? dice / (2 - dice)
        precision = number("precision")
        recall = number("recall")
        falsePositiveRate = number("fpr")
        hausdorff95 = number("hd95")
        (self.referenceVoxels, self.predictedVoxels) = (referenceVoxels, predictedVoxels)
        referenceML = number("reference_ml") ?? .nan
        predictedML = number("predicted_ml") ?? .nan
        detection = ScanDetection(
            referenceLesions: lesions, detectedLesions: detected, predictedComponents: components, falsePositiveComponents: falsePositives)
    }
}

/// The outputs of a model over a loader, in sample order: class probabilities
/// (classification) or per-sample segmentation outcomes, and the mean loss.
public struct Predictions {
    public var ids: [String] = []
    public var labels: [Int] = []
    public var probabilities: [[Double]] = []
    public var segmentation: [SegmentationOutcome] = []
    public var loss = 0.0

    public init() {}

    /// Per-sample Dice (segmentation).
    public var dice: [Double] { segmentation.map(\.dice) }

    /// Mean Dice over the samples, nil without segmentation outcomes.
    public var meanDice: Double? { segmentation.isEmpty ? nil : dice.reduce(0, +) / Double(dice.count) }

    /// Accuracy of the argmax.
    public var accuracy: Double? {
        guard !labels.isEmpty else { return nil }
        let correct = zip(probabilities, labels).filter { p, label in p.firstIndex(of: p.max()!) == label }.count
        return Double(correct) / Double(labels.count)
    }

    /// The class a row of probabilities is called: with two classes and a threshold, class 1
    /// when its probability reaches the threshold, else the most probable class.
    public static func predictedClass(_ probabilities: [Double], threshold: Double?) -> Int {
        if probabilities.count == 2, let threshold { return probabilities[1] >= threshold ? 1 : 0 }
        return probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
    }

    /// The scores of class 1 of a two-class classifier, with the labels.
    public var binaryScores: BinaryScores? {
        guard probabilities.first?.count == 2 else { return nil }
        // Labels other than 0/1 (or none, for new images) have no binary scores.
        return try? BinaryScores(scores: probabilities.map { $0[1] }, labels: labels)
    }

    /// The AUC of class 1 for two classes, the macro one-vs-rest AUC beyond; nil when a class
    /// is missing.
    public var auc: Double? {
        guard let classes = probabilities.first?.count, classes >= 2 else { return nil }
        // With one class present the AUC is undefined: nil, as documented.
        if classes == 2 { return binaryScores.flatMap { try? ROCCurve.auc($0) } }
        return try? MultiClassScores(scores: probabilities, labels: labels).macroAUC()
    }
}

/// A model, or an ensemble whose softmax outputs are averaged, run in inference mode.
public struct Predictor {
    public let models: [Model]
    public let task: ArchitectureTask
    /// The loss reported beside the predictions (of the first model's logits; nil skips it).
    public let loss: Loss?
    /// What counts as a detected lesion (segmentation).
    public var detection = DetectionCriteria()
    /// Segmentation of whole volumes window by window (nil: the batch is the network's input).
    public var slidingWindow: SlidingWindow?
    /// Reference voxels with this label are unlabelled: they count as background in both
    /// masks, so they add to no overlap, surface or lesion (`train.loss.ignore_label`).
    public var ignoreLabel: Int?

    public init(
        models: [Model], task: ArchitectureTask, loss: Loss?, detection: DetectionCriteria = DetectionCriteria(),
        slidingWindow: SlidingWindow? = nil
    ) {
        precondition(!models.isEmpty, "a predictor needs a model")
        self.models = models
        self.task = task
        self.loss = loss
        self.detection = detection
        self.slidingWindow = slidingWindow
    }

    /// The mean probabilities of the batch and the logits its loss is computed from: the
    /// first model's, or with a sliding window the log of the blended probabilities (whose
    /// softmax gives them back, so cross-entropy and Dice losses read them as they are).
    func batchProbabilities(_ images: Tensor) throws -> (probabilities: Tensor, logits: Tensor) {
        guard let slidingWindow else {
            let (mean, first) = try probabilities(images)
            return (mean, first)
        }
        let n = images.shape[0]
        let sampleShape = Array(images.shape.dropFirst())
        let size = sampleShape.reduce(1, *)
        let values = images.scalars
        var outputs = [Float]()
        var outputShape = [Int]()
        for i in 0..<n {
            let one = try Tensor(shape: [1] + sampleShape, scalars: Array(values[(i * size)..<((i + 1) * size)]))
            let p = try slidingWindow.infer(one) { window in try self.probabilities(window).probabilities }
            outputs += p.scalars
            outputShape = Array(p.shape.dropFirst())
        }
        let blended = try Tensor(shape: [n] + outputShape, scalars: outputs)
        let logits = try Tensor(shape: blended.shape, scalars: outputs.map { log(Swift.max($0, 1e-12)) })
        return (blended, logits)
    }

    /// The mean softmax of the models for `images` (batch first, classes last).
    public func probabilities(_ images: Tensor) throws -> (probabilities: Tensor, firstLogits: Tensor) {
        var firstLogits: Tensor?
        var sum: Tensor?
        for model in models {
            let logits = try withoutGrad { try model(images) }
            firstLogits = firstLogits ?? logits
            let probabilities = try withoutGrad { try logits.softmax() }
            if let previous = sum {
                sum = try withoutGrad { try previous + probabilities }
            } else {
                sum = probabilities
            }
        }
        let mean = models.count == 1 ? sum! : withoutGrad { sum! * (1 / Float(models.count)) }
        return (mean, firstLogits!)
    }

    /// Predictions on the training and test parts, and the test part's inference time per
    /// image in milliseconds (batched, this machine).
    public func trainAndTest(train: DataLoader, test: DataLoader) throws -> (train: Predictions, test: Predictions, millisecondsPerImage: Double) {
        let trainPredictions = try predict(train)
        let started = Date()
        let testPredictions = try predict(test)
        let perImage = Date().timeIntervalSince(started) * 1000 / Double(Swift.max(testPredictions.ids.count, 1))
        return (trainPredictions, testPredictions, perImage)
    }

    /// Runs over `loader` (epoch 0 order). `masks` receives each segmented sample's predicted
    /// label map (the ROI stage of a pipeline crops with it).
    public func predict(_ loader: DataLoader, masks: ((String, LabelMap) throws -> Void)? = nil) throws -> Predictions {
        // Inference mode for the pass, and each model's own mode back afterwards.
        let modes = models.map(\.isTraining)
        for model in models { model.setTraining(false) }
        defer { for (model, mode) in zip(models, modes) { model.setTraining(mode) } }
        var result = Predictions()
        var (total, count) = (0.0, 0)
        let batches = loader.epoch(0)
        while let batch = try batches.next() {
            let (probabilities, logits) = try batchProbabilities(batch.images)
            let n = batch.ids.count
            if let loss, task == .classification || batch.masks != nil {
                let target = try batch.targets(for: task)
                total += Double(try withoutGrad { try loss(logits, target).item() }) * Double(n)
                count += n
            }
            result.ids += batch.ids
            if task == .segmentation {
                // Without reference masks (new images) only the predicted maps are given out.
                let predicted = try probabilities.argmax(axis: -1)
                let spatial = Array(probabilities.shape.dropFirst().dropLast())
                let voxels = spatial.reduce(1, *)
                let reference = batch.masks?.scalars
                for i in 0..<n {
                    let range = (i * voxels)..<((i + 1) * voxels)
                    // The sample's spacing at the model's resolution (resizing rescales it):
                    // volumes in mL and distances in mm.
                    let spacing = batch.spacings[i].flatMap { $0.count == spatial.count ? $0.map(Double.init) : nil }
                    var predictedLabels = Array(predicted[range])
                    var referenceLabels = reference.map { $0[range].map { Int($0) } }
                    if let ignoreLabel, var labels = referenceLabels {
                        for j in labels.indices where labels[j] == ignoreLabel { labels[j] = 0; predictedLabels[j] = 0 }
                        referenceLabels = labels
                    }
                    let predictedMap = try LabelMap(labels: predictedLabels, shape: spatial, spacing: spacing)
                    if let referenceLabels {
                        let referenceMap = try LabelMap(labels: referenceLabels, shape: spatial, spacing: spacing)
                        result.segmentation.append(try SegmentationOutcome(predicted: predictedMap, reference: referenceMap, criteria: detection))
                    }
                    try masks?(batch.ids[i], try LabelMap(labels: Array(predicted[range]), shape: spatial, spacing: spacing))
                }
            } else {
                let values = probabilities.scalars
                let classes = probabilities.shape.last!
                for i in 0..<n { result.probabilities.append(values[(i * classes)..<((i + 1) * classes)].map(Double.init)) }
                result.labels += batch.labels
            }
        }
        result.loss = count > 0 ? total / Double(count) : .nan
        return result
    }
}

extension Batch {
    /// The training target: class indices, or the mask for segmentation.
    func targets(for task: ArchitectureTask) throws -> Tensor {
        if task == .segmentation {
            guard let masks else { throw RunError("segmentation needs masks, and the batch of \(ids.first ?? "?") has none") }
            return masks
        }
        return try Tensor(shape: [labels.count], scalars: labels.map(Float.init))
    }
}
