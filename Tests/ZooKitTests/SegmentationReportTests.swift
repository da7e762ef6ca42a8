import Foundation
import XCTest
import ModelZoo
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

/// Issue 14.7: sliding-window inference at the volume's own resolution.
final class SlidingWindowTests: FolderTestCase {
    /// A voxel-wise "network" (softmax of [x, -x] at every voxel): blending its windows must
    /// give the voxel-wise result on the whole volume, whatever the windows, overlap, padding.
    func testBlendedWindowsOfAVoxelwiseModelEqualTheWholeVolume() throws {
        func voxelwise(_ x: Tensor) throws -> Tensor {
            let values = x.scalars
            var out = [Float]()
            for v in values { let a = exp(v), b = exp(-v); out += [a / (a + b), b / (a + b)] }
            return try Tensor(shape: Array(x.shape.dropLast()) + [2], scalars: out)
        }
        var random = RandomGenerator(seed: 2)
        for (shape, window) in [([1, 20, 13, 9, 1], [8, 8, 8]), ([1, 5, 30, 1], [8, 8])] {
            let count = shape.reduce(1, *)
            let volume = try Tensor(shape: shape, scalars: (0..<count).map { _ in Float(random.next() % 1000) / 250 - 2 })
            for (overlap, gaussian) in [(0.25, true), (0.5, false), (0.0, true)] {
                let blended = try SlidingWindow(size: window, overlap: overlap, gaussian: gaussian).infer(volume, voxelwise)
                let whole = try voxelwise(volume)
                XCTAssertEqual(blended.shape, whole.shape)
                for (a, b) in zip(blended.scalars, whole.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            }
        }
    }

    /// MONAI's layout: windows step by size x (1 - overlap) and the last one ends at the edge;
    /// the Gaussian importance has its maximum 1 at the centre and sigma = 0.125 x size.
    func testWindowStartsAndImportanceFollowMONAI() {
        let window = SlidingWindow(size: [64], overlap: 0.25)
        XCTAssertEqual(window.starts(extent: 100, window: 64), [0, 36])
        XCTAssertEqual(window.starts(extent: 200, window: 64), [0, 48, 96, 136])
        XCTAssertEqual(window.starts(extent: 40, window: 64), [0])
        let map = SlidingWindow(size: [9], overlap: 0.25, sigmaScale: 0.25).importance
        XCTAssertEqual(map[4], 1)
        XCTAssertEqual(map[0], map[8])
        XCTAssertEqual(Double(map[2]), exp(-4 / (2 * 2.25 * 2.25)), accuracy: 1e-6)
    }

    /// A 3D U-Net trained on 16^3 copies evaluates 24^3 volumes whole: outcomes at the volume's
    /// own resolution (its reference voxels are the mask's).
    func testASegmentationRunEvaluatesWholeVolumes() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/phantoms/ct_volume.yaml"),
            overrides: ["data.phantom.count=6", "data.phantom.size=24", "model.input_shape=[16, 16, 16, 1]", "train.epochs=1",
                        "eval.sliding_window={overlap: 0.5}"])
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "sw")
        let phantom = CTVolumePhantom(count: 6, seed: config.seed, shape: [24, 24, 24])
        var byID = [String: Int]()
        for index in 0..<phantom.count { byID[phantom.info(at: index).id] = index }
        for (id, outcome) in zip(result.test.ids, result.test.segmentation) {
            let mask = try XCTUnwrap(try phantom.sample(at: byID[id]!).mask)
            XCTAssertEqual(outcome.referenceVoxels, mask.values.filter { $0 != 0 }.count, id)
        }
        XCTAssertTrue(try String(contentsOf: result.run.pipeline, encoding: .utf8).contains("validation, test and predict:\n  hu_window"))
        XCTAssertFalse(try String(contentsOf: result.run.pipeline, encoding: .utf8).split(separator: "validation")[1].contains("resize"))
        // Restored, the run evaluates the same way.
        let restored = try RestoredRun(result.run.url)
        XCTAssertNotNil(restored.slidingWindow)
        XCTAssertEqual(try restored.evaluate().test.dice, result.metrics.test.dice)
    }
}

/// Issue 14.8: several crops per image, and oversampling of the rarer class.
final class SamplingTests: FolderTestCase {
    let quiet = Progress(interactive: false, write: { _ in })

    func testNumSamplesDrawsSeveralCropsPerImage() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/phantoms/ct_volume.yaml"),
            overrides: ["data.transforms.train=[{name: random_crop_pos_neg, size: [16, 16, 16], pos: 2, neg: 1, num_samples: 3}]"])
        let variant = try ModelZoo.variant("unet3d")
        let pipeline = try TransformPipeline(config.data, variant: variant, inputSize: [16, 16, 16], sourceChannels: 1, channels: 1)
        XCTAssertEqual(pipeline.samplesPerImage, 3)
        XCTAssertTrue(pipeline.text.contains("(3 draws per image)"), pipeline.text)
        let phantom = CTVolumePhantom(count: 2, seed: 1, shape: [24, 24, 24])
        var options = DataLoader.Options(batchSize: 2, shuffle: false)
        options.samplesPerItem = pipeline.samplesPerImage
        let loader = try DataLoader(dataset: phantom, transform: pipeline.train, options: options, seed: 1)
        let batch = try XCTUnwrap(try loader.epoch(0).next())
        XCTAssertEqual(batch.images.shape, [6, 16, 16, 16, 1], "2 images x 3 crops")
        XCTAssertThrowsError(try TransformPipeline(
            try ExperimentConfig.load(ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"),
                                      overrides: ["data.transforms.train=[{name: random_flip, num_samples: 2}]"]).data,
            variant: variant, inputSize: [16, 16, 16], sourceChannels: 1, channels: 1)) {
            XCTAssertTrue("\($0)".contains("num_samples: applies to random_crop_pos_neg only"), "\($0)")
        }
    }

    func testOversamplingDrawsEveryClassAsOftenAsTheLargest() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"), overrides: ["data.sampling=oversample"])
        let runner = ExperimentRunner(config: config, runsRoot: directory, progress: quiet)
        let phantom = NodulePatchPhantom(count: 40, seed: 3, size: 24)
        let indices = Array(0..<40)
        let drawn = runner.oversampled(indices, in: phantom)
        let counts = Dictionary(grouping: drawn) { phantom.info(at: $0).label! }.mapValues(\.count)
        let original = Dictionary(grouping: indices) { phantom.info(at: $0).label! }.mapValues(\.count)
        XCTAssertEqual(Set(counts.values).count, 1, "\(counts)")
        XCTAssertEqual(counts.values.first, original.values.max())
        XCTAssertEqual(Set(drawn), Set(indices), "every sample at least once")
    }
}

/// Issue 19: zoo predict on a run writes a volume's mask back on the input's own grid.
final class VolumePredictionGeometryTests: FolderTestCase {
    func testPredictedMasksLieOnTheInputsGridAndAffine() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/phantoms/ct_volume.yaml"),
            overrides: ["data.phantom.count=6", "data.phantom.size=16", "model.input_shape=[16, 16, 16, 1]", "train.epochs=1",
                        "eval.sliding_window={overlap: 0.25, mode: gaussian}"])
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "seg")
        let restored = try RestoredRun(result.run.url)
        // A scan stored left to right flipped and with its slices in x, y order swapped (an
        // sform of another orientation): the run sees it in RAS, the mask goes back to the file's
        // voxels and header.
        let phantom = try CTVolumePhantom(count: 1, seed: 3, shape: [12, 16, 20]).sample(at: 0)
        var geometry = NIfTIGeometry()
        geometry.pixdim = [1, 1.5, 1, 2]
        geometry.qformCode = 0
        geometry.sformCode = 1
        geometry.sform = [0, -1, 0, 30, 1.5, 0, 0, -20, 0, 0, 2, 5]
        let input = directory.appendingPathComponent("scan.nii.gz")
        try NIfTI.write(phantom.image, as: .float32, geometry: geometry, to: input)
        let loaded = try ImageFile.load(input)
        XCTAssertFalse(loaded.reorientation!.isIdentity)
        let masks = directory.appendingPathComponent("masks")
        let rows = CSV.parse(try restored.predictFiles([input], masks: masks))
        XCTAssertEqual(rows[0].fields, ["id", "predicted_voxels", "mask", "mask_grid"])
        XCTAssertEqual(rows[1].fields[3], "input")
        let mask = try NIfTI.read(URL(fileURLWithPath: rows[1].fields[2]))
        XCTAssertEqual(mask.image.shape, [12, 16, 20, 1])
        XCTAssertEqual(mask.geometry.sform, geometry.sform)
        XCTAssertEqual(mask.geometry.sformCode, 1)
        XCTAssertEqual(mask.image.values.filter { $0 != 0 }.count, Int(rows[1].fields[1]))
        // The same prediction by hand on the RAS view, taken back to the file's order.
        var random = RandomGenerator(seed: config.seed)
        let prepared = try restored.pipeline.eval.apply(loaded.sample(SampleInfo(id: "scan")), random: &random)
        let predictor = restored.predictor()
        let dataset = InMemoryDataset(samples: [prepared], classNames: [])
        let loader = try DataLoader(dataset: dataset, indices: [0], options: .init(batchSize: 1, shuffle: false), seed: 0)
        var labels: [Float] = []
        _ = try predictor.predict(loader) { _, map in labels = map.labels.map(Float.init) }
        let back = loaded.reorientation!.invert(ImageArray(shape: loaded.image.spatialShape + [1], values: labels))
        XCTAssertEqual(mask.image.values, back.values)
    }
}
