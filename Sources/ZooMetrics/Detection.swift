// Tumour detection in 3D scans, as reported for the ensemble 3D U-Net on lung CT (per-scan
// sensitivity 92/100 and specificity 41/50): a scan is called positive when the prediction
// has a connected component of at least a minimum volume, and lesions are matched by overlap.

/// What counts as a detection.
public struct DetectionCriteria: Sendable, Equatable {
    /// Predicted components smaller than this (mL) are ignored as noise. Reference lesions
    /// are all counted, whatever their size.
    public var minimumVolumeML: Double
    /// A predicted component detects a reference lesion when they share at least this many
    /// voxels.
    public var minimumOverlapVoxels: Int
    /// Which voxels touch (`ConnectedComponents`): 1 faces (6 in 3D, 4 in 2D), 2 faces and
    /// edges (18), 3 all (26 in 3D, 8 in 2D).
    public var neighbourSteps: Int

    /// Criteria with a minimum predicted volume and a minimum overlap.
    public init(minimumVolumeML: Double = 0, minimumOverlapVoxels: Int = 1, neighbourSteps: Int = 3) {
        self.minimumVolumeML = minimumVolumeML
        self.minimumOverlapVoxels = minimumOverlapVoxels
        self.neighbourSteps = neighbourSteps
    }
}

/// Detection outcome of one scan.
public struct ScanDetection: Sendable, Equatable {
    /// Reference lesions (components of the reference mask).
    public var referenceLesions: Int
    /// Reference lesions overlapped by a kept predicted component.
    public var detectedLesions: Int
    /// Kept predicted components (at least the minimum volume).
    public var predictedComponents: Int
    /// Kept predicted components overlapping no reference lesion.
    public var falsePositiveComponents: Int
    /// The scan has a reference lesion.
    public var referencePositive: Bool { referenceLesions > 0 }
    /// The model calls the scan positive (a kept component exists).
    public var predictedPositive: Bool { predictedComponents > 0 }

    public init(referenceLesions: Int, detectedLesions: Int, predictedComponents: Int, falsePositiveComponents: Int) {
        self.referenceLesions = referenceLesions
        self.detectedLesions = detectedLesions
        self.predictedComponents = predictedComponents
        self.falsePositiveComponents = falsePositiveComponents
    }
}

/// Per-scan and lesion-level detection metrics.
public enum Detection {
    /// Components of both masks (foreground, or one class), matched by overlap.
    public static func evaluate(
        prediction: LabelMap, reference: LabelMap, label: Int? = nil,
        criteria: DetectionCriteria = DetectionCriteria()
    ) throws -> ScanDetection {
        try prediction.requireCompatible(reference, "prediction and reference")
        guard criteria.minimumVolumeML >= 0, criteria.minimumVolumeML.isFinite else {
            throw MetricsError.outOfRange(
                what: "minimum component volume (mL)", value: criteria.minimumVolumeML,
                range: "0...")
        }
        guard criteria.minimumOverlapVoxels >= 1 else {
            throw MetricsError.outOfRange(
                what: "minimum overlap (voxels)", value: Double(criteria.minimumOverlapVoxels),
                range: "1...")
        }
        let predicted = ConnectedComponents(prediction, label: label, neighbourSteps: criteria.neighbourSteps)
        let truth = ConnectedComponents(reference, label: label, neighbourSteps: criteria.neighbourSteps)
        let kept = predicted.sizes.map {
            Double($0) * prediction.voxelVolumeML >= criteria.minimumVolumeML
        }
        // overlap[(p, r)]: voxels shared by predicted component p and reference lesion r.
        var overlap = [Int: [Int: Int]]()
        for (p, r) in zip(predicted.labels, truth.labels) where p > 0 && r > 0 && kept[p - 1] {
            overlap[p, default: [:]][r, default: 0] += 1
        }
        var detected = Set<Int>()
        var falsePositives = 0
        for (index, isKept) in kept.enumerated() where isKept {
            let matches = (overlap[index + 1] ?? [:]).filter {
                $0.value >= criteria.minimumOverlapVoxels
            }
            if matches.isEmpty { falsePositives += 1 }
            detected.formUnion(matches.keys)
        }
        return ScanDetection(
            referenceLesions: truth.count, detectedLesions: detected.count,
            predictedComponents: kept.filter { $0 }.count, falsePositiveComponents: falsePositives)
    }
}

/// Detection over a set of scans.
public struct DetectionSummary: Sendable {
    /// The per-scan outcomes.
    public let scans: [ScanDetection]

    /// Summary of `scans` (at least one).
    public init(_ scans: [ScanDetection]) throws {
        guard !scans.isEmpty else {
            throw MetricsError.tooFewCases(what: "detection summary", needed: 1, actual: 0)
        }
        self.scans = scans
    }

    /// Scans as cases: reference-positive scans are the positives, predicted-positive scans
    /// are called positive.
    public var scanConfusion: ConfusionMatrix {
        var m = ConfusionMatrix(
            truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0)
        for scan in scans {
            switch (scan.predictedPositive, scan.referencePositive) {
            case (true, true): m.truePositives += 1
            case (true, false): m.falsePositives += 1
            case (false, false): m.trueNegatives += 1
            case (false, true): m.falseNegatives += 1
            }
        }
        return m
    }

    /// Per-scan sensitivity (throws without reference-positive scans).
    public var scanSensitivity: Double { get throws { try scanConfusion.sensitivity } }
    /// Per-scan specificity (throws without reference-negative scans).
    public var scanSpecificity: Double { get throws { try scanConfusion.specificity } }

    /// Detected reference lesions over all reference lesions.
    public var lesionSensitivity: Double {
        get throws {
            let total = scans.reduce(0) { $0 + $1.referenceLesions }
            guard total > 0 else {
                throw MetricsError.undefined(
                    what: "lesion-level sensitivity", reason: "no reference lesion in any scan")
            }
            return Double(scans.reduce(0) { $0 + $1.detectedLesions }) / Double(total)
        }
    }

    /// False-positive components per scan (over all scans).
    public var falsePositivesPerScan: Double {
        Double(scans.reduce(0) { $0 + $1.falsePositiveComponents }) / Double(scans.count)
    }
}
