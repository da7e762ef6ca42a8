import Foundation
import XCTest
import ZooCore
import ZooData
import ZooMetrics
import ZooNN
import ZooTensor

@testable import ZooKit

/// Issue 14.7 and 14.8: segmentation reports show what the library computes, in millimetres.
final class SegmentationReportTests: FolderTestCase {
    /// Resizing keeps the millimetres: the spacing scales with the extent.
    func testResizeRescalesTheSpacing() throws {
        var random = RandomGenerator(seed: 1)
        let volume = Sample(image: ImageArray(repeating: 0, shape: [10, 20, 40, 1]), info: SampleInfo(id: "v"), spacing: [2.5, 0.7, 0.7])
        let resized = try Resize(size: [5, 40, 20]).apply(volume, random: &random)
        XCTAssertEqual(resized.spacing, [5, 0.35, 1.4])
    }

    /// One outcome against the metrics computed directly: HD95 in mm, volumes in mL, and the
    /// detection rule's minimum size and connectivity.
    func testAnOutcomeHasEveryMetricInPhysicalUnits() throws {
        let shape = [4, 8, 8]
        let spacing = [2.0, 0.5, 0.5]
        var reference = [Int](repeating: 0, count: 256), predicted = reference
        func set(_ labels: inout [Int], _ z: Int, _ y: Int, _ x: Int) { labels[(z * 8 + y) * 8 + x] = 1 }
        for y in 2..<5 { for x in 2..<5 { set(&reference, 1, y, x); set(&predicted, 1, y, x + 1) } }
        set(&predicted, 3, 7, 7)  // one voxel far away: 0.5 uL, below 1 mm^3
        set(&predicted, 2, 0, 0); set(&predicted, 3, 1, 1)  // two voxels touching only at a corner
        let p = try LabelMap(labels: predicted, shape: shape, spacing: spacing)
        let r = try LabelMap(labels: reference, shape: shape, spacing: spacing)
        let direct = try SegmentationMetrics.evaluate(prediction: p, reference: r)
        let outcome = try SegmentationOutcome(predicted: p, reference: r, criteria: DetectionCriteria(minimumVolumeML: 0.001))
        XCTAssertEqual(outcome.dice, direct.dice!)
        XCTAssertEqual(outcome.iou, direct.iou!)
        XCTAssertEqual(outcome.hausdorff95, direct.hausdorff95)
        XCTAssertEqual(outcome.referenceML, 9 * 2 * 0.25 / 1000, accuracy: 1e-12)
        XCTAssertEqual(outcome.falsePositiveRate, direct.falsePositiveRate)
        // 26-connected, the two corner voxels are one 1 mm^3 component (kept); the single
        // voxel (0.5 mm^3) is noise.
        XCTAssertEqual(outcome.detection.predictedComponents, 2)
        XCTAssertEqual(outcome.detection.falsePositiveComponents, 1)
        // 6-connected, each corner voxel is 0.5 mm^3 alone: only the lesion is kept.
        let faces = try SegmentationOutcome(predicted: p, reference: r, criteria: DetectionCriteria(minimumVolumeML: 0.001, neighbourSteps: 1))
        XCTAssertEqual(faces.detection.predictedComponents, 1)
        XCTAssertEqual(faces.detection.falsePositiveComponents, 0)
        // The CSV row reads back as it was.
        let header = "id," + SegmentationOutcome.csvHeader
        let url = try write("p.csv", header + "\ns1," + outcome.csvCells + "\n")
        XCTAssertEqual(try Evaluation.readPredictions(from: url).segmentation, [outcome])
    }

    func testTheSetMetricsAreMediansMeansAndTheOneLesionSubset() throws {
        func outcome(_ dice: Double, lesions: Int, hd: Double?) -> SegmentationOutcome {
            SegmentationOutcome(row: [
                "dice": "\(dice)", "iou": "\(dice / (2 - dice))", "hd95": hd.map { "\($0)" } ?? "", "reference_voxels": "10",
                "predicted_voxels": "10", "reference_lesions": "\(lesions)", "detected_lesions": "\(lesions)",
                "predicted_components": "\(lesions)", "false_positive_components": "0", "reference_ml": "1", "predicted_ml": "1",
            ])!
        }
        var p = Predictions()
        p.segmentation = [outcome(0.9, lesions: 1, hd: 2), outcome(0.5, lesions: 2, hd: 4), outcome(0.7, lesions: 1, hd: nil), outcome(0.2, lesions: 0, hd: 9)]
        p.ids = ["a", "b", "c", "d"]
        let side = EvaluationMetrics.side(p, task: .segmentation, threshold: nil, bootstrap: 0, seed: 1)
        XCTAssertEqual(side.dice!, 0.575, accuracy: 1e-12)
        XCTAssertEqual(side.diceMedian!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(side.diceSingleLesion!, 0.8, accuracy: 1e-12)
        XCTAssertEqual(side.hausdorff95!, 5, accuracy: 1e-12)
        XCTAssertEqual(side.hausdorff95Median!, 4, accuracy: 1e-12)
    }

    /// The CT tumour phantom end to end: the report has the segmentation columns, distances
    /// and volumes in the phantom's millimetres.
    func testASegmentationRunReportsEveryColumn() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/phantoms/ct_volume.yaml"),
            overrides: ["data.phantom.count=6", "data.phantom.size=16", "model.input_shape=[16, 16, 16, 1]", "train.epochs=1",
                        "eval.detection={min_volume_mm3: 5, connectivity: 6}"])
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "seg")
        let report = try String(contentsOf: result.run.report, encoding: .utf8)
        for heading in ["Dice (median)", "Dice (one-lesion scans)", "IoU", "HD95", "FPR", "FP per scan"] {
            XCTAssertTrue(report.contains(heading), heading)
        }
        let phantom = try CTVolumePhantom(count: 6, seed: config.seed, shape: [16, 16, 16]).sample(at: 0)
        // 16^3 phantom voxels of the phantom's spacing; the model sees them at 16^3 too.
        let voxelML = phantom.spacing!.reduce(1) { $0 * Double($1) } / 1000
        for outcome in result.test.segmentation {
            XCTAssertEqual(outcome.referenceML, Double(outcome.referenceVoxels) * voxelML, accuracy: 1e-9)
        }
    }
}
