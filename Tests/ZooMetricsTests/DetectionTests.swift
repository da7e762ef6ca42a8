import XCTest

@testable import ZooMetrics

final class DetectionTests: XCTestCase {
    /// A [4, 4, 4] volume of 1 mm voxels (0.001 mL) with the given voxels set.
    func volume(_ voxels: [(Int, Int, Int)]) throws -> LabelMap {
        var labels = [Int](repeating: 0, count: 64)
        for (z, y, x) in voxels { labels[(z * 4 + y) * 4 + x] = 1 }
        return try LabelMap(labels: labels, shape: [4, 4, 4], spacing: [1, 1, 1])
    }

    func testComponentsUse26Connectivity() throws {
        // (0,0,0) and (1,1,1) touch at a corner; (3,3,3) is two voxels away.
        let c = ConnectedComponents(try volume([(0, 0, 0), (1, 1, 1), (3, 3, 3)]))
        XCTAssertEqual(c.count, 2)
        XCTAssertEqual(c.sizes, [2, 1])
        XCTAssertEqual(c.labels[0], 1)
        XCTAssertEqual(c.labels[63], 2)
        // 2D: 8-connectivity joins diagonal pixels.
        let image = try LabelMap(labels: [1, 0, 0, 0, 1, 0, 0, 0, 1], shape: [3, 3])
        XCTAssertEqual(ConnectedComponents(image).count, 1)
        let apart = try LabelMap(labels: [1, 0, 1, 0, 0, 0, 1, 0, 1], shape: [3, 3])
        XCTAssertEqual(ConnectedComponents(apart).sizes, [1, 1, 1, 1])
    }

    func testLesionMatchingAndMinimumVolume() throws {
        // Reference lesions A = {(0,0,0), (0,0,1)} and B = {(3,3,3)}. Prediction: a 2-voxel
        // component overlapping A and a 1-voxel component at (3,0,0) overlapping nothing.
        let reference = try volume([(0, 0, 0), (0, 0, 1), (3, 3, 3)])
        let prediction = try volume([(0, 0, 1), (0, 1, 1), (3, 0, 0)])
        let all = try Detection.evaluate(prediction: prediction, reference: reference)
        XCTAssertEqual(
            all,
            ScanDetection(
                referenceLesions: 2, detectedLesions: 1, predictedComponents: 2,
                falsePositiveComponents: 1))
        // 1.5 uL minimum: the single voxel (1 uL) is dropped, the pair (2 uL) kept.
        let filtered = try Detection.evaluate(
            prediction: prediction, reference: reference,
            criteria: DetectionCriteria(minimumVolumeML: 0.0015))
        XCTAssertEqual(filtered.predictedComponents, 1)
        XCTAssertEqual(filtered.falsePositiveComponents, 0)
        XCTAssertEqual(filtered.detectedLesions, 1)
        // Requiring 2 shared voxels: the pair shares only (0,0,1) with A.
        let strict = try Detection.evaluate(
            prediction: prediction, reference: reference,
            criteria: DetectionCriteria(minimumOverlapVoxels: 2))
        XCTAssertEqual(strict.detectedLesions, 0)
        XCTAssertEqual(strict.falsePositiveComponents, 2)
    }

    func testPerScanSummary() throws {
        // Scan 1 TP (2 lesions, 1 found, 1 FP component); scan 2 TN; scan 3 FP; scan 4 FN.
        let scans = [
            ScanDetection(
                referenceLesions: 2, detectedLesions: 1, predictedComponents: 2,
                falsePositiveComponents: 1),
            ScanDetection(
                referenceLesions: 0, detectedLesions: 0, predictedComponents: 0,
                falsePositiveComponents: 0),
            ScanDetection(
                referenceLesions: 0, detectedLesions: 0, predictedComponents: 1,
                falsePositiveComponents: 1),
            ScanDetection(
                referenceLesions: 1, detectedLesions: 0, predictedComponents: 0,
                falsePositiveComponents: 0),
        ]
        let summary = try DetectionSummary(scans)
        XCTAssertEqual(try summary.scanSensitivity, 0.5)
        XCTAssertEqual(try summary.scanSpecificity, 0.5)
        XCTAssertEqual(try summary.lesionSensitivity, 1.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(summary.falsePositivesPerScan, 0.5)
        XCTAssertThrowsError(try DetectionSummary([]))
    }

    func testMismatchedMasks() throws {
        let small = try LabelMap(labels: [0, 1], shape: [1, 1, 2])
        XCTAssertThrowsError(try Detection.evaluate(prediction: try volume([]), reference: small))
    }
}
