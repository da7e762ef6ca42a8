import XCTest

@testable import ZooMetrics

final class SegmentationTests: XCTestCase {
    // Two 2x2 squares on a 4x4 image, one row apart: TP 2, FP 2, FN 2, TN 10.
    let prediction = try! LabelMap(
        labels: [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], shape: [4, 4], spacing: [0.5, 2])
    let reference = try! LabelMap(
        labels: [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0], shape: [4, 4], spacing: [0.5, 2])

    func testOverlapByHand() throws {
        let c = try SegmentationMetrics.evaluate(prediction: prediction, reference: reference)
        XCTAssertEqual(
            [c.truePositives, c.falsePositives, c.falseNegatives, c.trueNegatives], [2, 2, 2, 10])
        XCTAssertEqual(c.dice!, 0.5, accuracy: 1e-15)
        XCTAssertEqual(c.iou!, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(c.precision!, 0.5, accuracy: 1e-15)
        XCTAssertEqual(c.recall!, 0.5, accuracy: 1e-15)
        XCTAssertEqual(c.falsePositiveRate!, 2.0 / 12, accuracy: 1e-15)
        // Every voxel of a 2x2 square is on its surface; the unmatched row is 0.5 mm away.
        XCTAssertEqual(c.hausdorff95!, 0.5, accuracy: 1e-15)
    }

    func testHausdorffPercentileInterpolates() throws {
        // One voxel against a row of five along the last axis (spacing 1 mm): reference-to-
        // prediction distances 0, 1, 2, 3, 4; NumPy's 95th percentile is 3 + 0.8 = 3.8.
        let one = try LabelMap(labels: [1, 0, 0, 0, 0], shape: [1, 1, 5], spacing: [1, 1, 1])
        let row = try LabelMap(labels: [1, 1, 1, 1, 1], shape: [1, 1, 5], spacing: [1, 1, 1])
        XCTAssertEqual(
            try SurfaceDistance.hausdorff(prediction: one, reference: row)!, 3.8, accuracy: 1e-12)
        XCTAssertEqual(
            try SurfaceDistance.hausdorff(prediction: one, reference: row, percentile: 100)!, 4)
        let empty = try LabelMap(labels: [0, 0, 0, 0, 0], shape: [1, 1, 5], spacing: [1, 1, 1])
        XCTAssertNil(try SurfaceDistance.hausdorff(prediction: empty, reference: row))
    }

    func testInteriorVoxelsAreNotSurface() {
        // A 3x3x3 cube: 26 surface voxels, the centre is interior.
        let cube = [Bool](repeating: true, count: 27)
        let points = SurfaceDistance.surfacePoints(cube, shape: [3, 3, 3], spacing: [1, 1, 1])
        XCTAssertEqual(points.count, 26)
        XCTAssertFalse(points.contains(SIMD3(1, 1, 1)))
    }

    func testVolumesInMillilitres() throws {
        // 8 voxels of 2 x 0.5 x 0.5 mm = 4 mm^3 = 0.004 mL; reference 4 voxels = 0.002 mL.
        let p = try LabelMap(
            mask: [Bool](repeating: true, count: 8), shape: [2, 2, 2], spacing: [2, 0.5, 0.5])
        let r = try LabelMap(
            mask: [true, true, true, true, false, false, false, false], shape: [2, 2, 2],
            spacing: [2, 0.5, 0.5])
        let c = try SegmentationMetrics.evaluate(prediction: p, reference: r, hausdorff: false)
        XCTAssertEqual(c.predictedVolumeML, 0.004, accuracy: 1e-15)
        XCTAssertEqual(c.referenceVolumeML, 0.002, accuracy: 1e-15)
        XCTAssertNil(c.hausdorff95)
        XCTAssertEqual(c.falsePositiveRate, 1)  // FP 4, TN 0
    }

    func testMultiClassWithAndWithoutBackground() throws {
        // Labels 0, 1, 2 on six pixels.
        let p = try LabelMap(labels: [0, 1, 1, 2, 2, 0], shape: [2, 3])
        let r = try LabelMap(labels: [0, 1, 2, 2, 2, 0], shape: [2, 3])
        let classes = try SegmentationMetrics.evaluatePerClass(
            prediction: p, reference: r, hausdorff: false)
        XCTAssertEqual(Set(classes.keys), [1, 2])
        XCTAssertEqual(classes[1]!.dice!, 2.0 / 3, accuracy: 1e-15)  // TP 1, FP 1, FN 0
        XCTAssertEqual(classes[2]!.dice!, 0.8, accuracy: 1e-15)  // TP 2, FP 0, FN 1
        XCTAssertEqual(SegmentationMetrics.meanIoU(classes)!, (0.5 + 2.0 / 3) / 2, accuracy: 1e-15)
        let all = try SegmentationMetrics.evaluatePerClass(
            prediction: p, reference: r, includeBackground: true, hausdorff: false)
        XCTAssertEqual(all[0]!.iou!, 1, accuracy: 1e-15)
        XCTAssertEqual(SegmentationMetrics.meanIoU(all)!, (1 + 0.5 + 2.0 / 3) / 3, accuracy: 1e-15)
    }

    func testEmptyMasksGiveNilNotANumber() throws {
        let empty = try LabelMap(labels: [0, 0, 0, 0], shape: [2, 2])
        let c = try SegmentationMetrics.evaluate(prediction: empty, reference: empty)
        XCTAssertNil(c.dice)
        XCTAssertNil(c.precision)
        XCTAssertNil(c.hausdorff95)
        XCTAssertEqual(c.falsePositiveRate, 0)
        let summary = try SegmentationSummary([
            c, try SegmentationMetrics.evaluate(prediction: prediction, reference: reference),
        ])
        XCTAssertEqual(summary.dice.mean, 0.5)
        XCTAssertEqual(summary.dice.undefined, 1)
        XCTAssertThrowsError(try SegmentationSummary([c]))
    }

    func testAgreement() throws {
        // a = 1, 2, 3, 4; b = 1.5, 2, 2.5, 5. Sxy = 5.5, Sxx = 5, Syy = 7.25: r = 5.5/sqrt(36.25).
        // Differences -0.5, 0, 0.5, -1: bias -0.25, sd sqrt(1.25/3).
        let a = [1.0, 2, 3, 4]
        let b = [1.5, 2, 2.5, 5]
        XCTAssertEqual(try Agreement.pearson(a, b), 5.5 / 36.25.squareRoot(), accuracy: 1e-15)
        let ba = try Agreement.blandAltman(a, b)
        XCTAssertEqual(ba.bias, -0.25, accuracy: 1e-15)
        XCTAssertEqual(ba.standardDeviation, (1.25 / 3).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(
            ba.upperLimit, -0.25 + 1.959963984540054 * (1.25 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertThrowsError(try Agreement.pearson([1, 1, 1], [1, 2, 3]))
        XCTAssertThrowsError(try Agreement.pearson([1, 2], [1]))
    }

    func testShapeErrors() throws {
        let big = try LabelMap(
            labels: [Int](repeating: 0, count: 9), shape: [3, 3], spacing: [0.5, 2])
        XCTAssertThrowsError(
            try SegmentationMetrics.evaluate(prediction: prediction, reference: big)
        ) {
            XCTAssertEqual(
                $0 as? MetricsError,
                .shapeMismatch(what: "prediction and reference", expected: [4, 4], actual: [3, 3]))
        }
        let otherSpacing = try LabelMap(labels: reference.labels, shape: [4, 4], spacing: [1, 1])
        XCTAssertThrowsError(
            try SegmentationMetrics.evaluate(prediction: prediction, reference: otherSpacing))
        XCTAssertThrowsError(try LabelMap(labels: [0, 1, 0], shape: [2, 2]))
        XCTAssertThrowsError(try LabelMap(labels: [0, 1], shape: [2]))
        XCTAssertThrowsError(try LabelMap(labels: [0, 1], shape: [1, 2], spacing: [1, 0]))
        XCTAssertThrowsError(try LabelMap(labels: [0, 1], shape: [1, 2], spacing: [1]))
    }
}
