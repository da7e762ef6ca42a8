// Overlap metrics of a predicted segmentation against the reference, per case and per class,
// and their aggregation over cases. A ratio whose denominator is zero (Dice of two empty
// masks, precision of an empty prediction) is nil, never 0 or 1 by convention: the type says
// the value may be missing and the summaries count the missing cases.

/// Overlap of one predicted mask with its reference mask.
public struct SegmentationCase: Sendable, Equatable {
    /// Voxels in both masks.
    public var truePositives: Int
    /// Voxels predicted but not in the reference.
    public var falsePositives: Int
    /// Reference voxels not predicted.
    public var falseNegatives: Int
    /// Voxels in neither.
    public var trueNegatives: Int
    /// Volume of one voxel in millilitres.
    public var voxelVolumeML: Double
    /// 95th-percentile symmetric Hausdorff distance in mm; nil when it was not asked for or
    /// when either mask is empty.
    public var hausdorff95: Double?

    /// 2 TP / (2 TP + FP + FN); nil when both masks are empty.
    public var dice: Double? {
        ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives)
    }
    /// TP / (TP + FP + FN), the Jaccard index; nil when both masks are empty.
    public var iou: Double? {
        ratio(truePositives, truePositives + falsePositives + falseNegatives)
    }
    /// TP / (TP + FP); nil when the prediction is empty.
    public var precision: Double? { ratio(truePositives, truePositives + falsePositives) }
    /// TP / (TP + FN), the voxel sensitivity; nil when the reference is empty.
    public var recall: Double? { ratio(truePositives, truePositives + falseNegatives) }
    /// FP / (FP + TN) over voxels; nil when the reference covers the whole image.
    public var falsePositiveRate: Double? { ratio(falsePositives, falsePositives + trueNegatives) }
    /// Predicted volume in mL.
    public var predictedVolumeML: Double { Double(truePositives + falsePositives) * voxelVolumeML }
    /// Reference volume in mL.
    public var referenceVolumeML: Double { Double(truePositives + falseNegatives) * voxelVolumeML }

    private func ratio(_ numerator: Int, _ denominator: Int) -> Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }
}

/// Segmentation metrics.
public enum SegmentationMetrics {
    /// Overlap of `prediction` with `reference` for one class (`label`), or for the foreground
    /// (every non-zero label) when `label` is nil. Shapes and spacings must match.
    public static func evaluate(
        prediction: LabelMap, reference: LabelMap, label: Int? = nil, hausdorff: Bool = true
    ) throws -> SegmentationCase {
        try prediction.requireCompatible(reference, "prediction and reference")
        let predicted = prediction.mask(label)
        let truth = reference.mask(label)
        var tp = 0
        var fp = 0
        var fn = 0
        var tn = 0
        for (p, t) in zip(predicted, truth) {
            switch (p, t) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
        }
        let distance =
            hausdorff
            ? SurfaceDistance.hausdorff(
                predicted, truth, shape: prediction.shape, spacing: prediction.spacing,
                percentile: 95)
            : nil
        return SegmentationCase(
            truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn,
            voxelVolumeML: prediction.voxelVolumeML, hausdorff95: distance)
    }

    /// One `SegmentationCase` per class. `classes` defaults to every label in either map;
    /// class 0 (background) is left out unless `includeBackground`.
    public static func evaluatePerClass(
        prediction: LabelMap, reference: LabelMap, classes: [Int]? = nil,
        includeBackground: Bool = false, hausdorff: Bool = true
    ) throws -> [Int: SegmentationCase] {
        try prediction.requireCompatible(reference, "prediction and reference")
        var chosen = classes ?? Array(Set(prediction.labels).union(reference.labels)).sorted()
        if !includeBackground {
            chosen.removeAll { $0 == 0 }
        } else if !chosen.contains(0) {
            chosen.insert(0, at: 0)
        }
        var result = [Int: SegmentationCase]()
        for label in chosen {
            result[label] = try evaluate(
                prediction: prediction, reference: reference, label: label, hausdorff: hausdorff)
        }
        return result
    }

    /// Mean IoU over the classes of one case (mIoU), classes with an undefined IoU left out;
    /// nil when none is defined.
    public static func meanIoU(_ perClass: [Int: SegmentationCase]) -> Double? {
        Summary.mean(perClass.values.map(\.iou))
    }
}

/// Mean and spread of a per-case value over cases, with the number of cases where it was
/// undefined.
public struct Summary: Sendable, Equatable {
    /// Mean of the defined values.
    public var mean: Double
    /// Sample standard deviation (n - 1) of the defined values; nil for fewer than two.
    public var standardDeviation: Double?
    /// Median of the defined values.
    public var median: Double
    /// Cases where the value was defined.
    public var count: Int
    /// Cases where it was not (e.g. Dice with both masks empty).
    public var undefined: Int

    /// Summarizes `values`; throws when none is defined.
    public init(_ values: [Double?], what: String = "summary") throws {
        let defined = values.compactMap { $0 }
        guard !defined.isEmpty else {
            throw MetricsError.undefined(what: what, reason: "the value is undefined in every case")
        }
        let sorted = defined.sorted()
        mean = defined.reduce(0, +) / Double(defined.count)
        standardDeviation =
            defined.count >= 2 ? sampleCovariance(defined, defined).squareRoot() : nil
        median = quantile(sorted: sorted, 0.5)
        count = defined.count
        undefined = values.count - defined.count
    }

    static func mean(_ values: [Double?]) -> Double? {
        let defined = values.compactMap { $0 }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }
}

/// Every per-case metric summarized over a set of cases.
public struct SegmentationSummary: Sendable {
    /// Dice over cases.
    public var dice: Summary
    /// IoU over cases.
    public var iou: Summary
    /// Precision over cases (undefined for empty predictions).
    public var precision: Summary?
    /// Recall over cases (undefined for empty references).
    public var recall: Summary?
    /// Voxel false-positive rate over cases.
    public var falsePositiveRate: Summary?
    /// HD95 over cases where both masks were non-empty and it was computed.
    public var hausdorff95: Summary?

    /// Summaries of `cases`; throws when Dice is undefined in every case.
    public init(_ cases: [SegmentationCase]) throws {
        dice = try Summary(cases.map(\.dice), what: "mean Dice")
        iou = try Summary(cases.map(\.iou), what: "mean IoU")
        // These are undefined in some cases (empty masks) and may be in all of them: nil is
        // the documented "undefined", as the optional properties say.
        precision = try? Summary(cases.map(\.precision))
        recall = try? Summary(cases.map(\.recall))
        falsePositiveRate = try? Summary(cases.map(\.falsePositiveRate))
        hausdorff95 = try? Summary(cases.map(\.hausdorff95))
    }
}
