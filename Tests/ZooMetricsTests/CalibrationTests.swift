import Foundation
import XCTest
import ZooMetrics
import ZooTestSupport

/// The curves a clinical model is judged by beside its ROC (#21, item 2): precision-recall with
/// average precision, calibration with the Brier score, and the ROC curve's confidence band, by
/// their definitions on hand-worked cases and against pROC (Tests/Fixtures/proc_reference.R).
final class CalibrationTests: XCTestCase {
    func testPrecisionRecallAndAveragePrecisionByHand() throws {
        // Descending: + - + + -  ->  (R, P) = (1/3, 1), (1/3, 1/2), (2/3, 2/3), (1, 3/4), (1, 3/5).
        let data = try BinaryScores(scores: [0.9, 0.8, 0.7, 0.6, 0.5], labels: [1, 0, 1, 1, 0])
        let curve = try PrecisionRecallCurve(data)
        XCTAssertEqual(curve.recall, [1.0 / 3, 1.0 / 3, 2.0 / 3, 1, 1])
        XCTAssertEqual(curve.precision, [1, 0.5, 2.0 / 3, 0.75, 0.6])
        // scikit-learn's average_precision_score of these cases: 1/3 * 1 + 1/3 * 2/3 + 1/3 * 3/4.
        XCTAssertEqual(curve.averagePrecision, (1 + 2.0 / 3 + 0.75) / 3, accuracy: 1e-15)
        XCTAssertEqual(curve.prevalence, 0.6)
        // Tied scores cross the threshold together: one point.
        let tied = try PrecisionRecallCurve(try BinaryScores(scores: [0.5, 0.5, 0.2], labels: [1, 0, 1]))
        XCTAssertEqual(tied.recall, [0.5, 1])
        XCTAssertEqual(tied.precision, [0.5, 2.0 / 3])
        XCTAssertThrowsError(try PrecisionRecallCurve(try BinaryScores(scores: [0.1, 0.2], labels: [1, 1])))
    }

    func testCalibrationBinsBrierScoreAndCalibrationErrorByHand() throws {
        let data = try BinaryScores(scores: [0.05, 0.15, 0.12, 0.95, 0.85, 1.0], labels: [0, 0, 1, 1, 0, 1])
        let calibration = try Calibration(data, bins: 10)
        XCTAssertEqual(calibration.bins.map(\.count), [1, 2, 1, 2])
        XCTAssertEqual(calibration.bins.map(\.lower), [0, 0.1, 0.8, 0.9])
        for (bin, expected) in zip(calibration.bins, [(0.05, 0.0), (0.135, 0.5), (0.85, 0.0), (0.975, 1.0)]) {
            XCTAssertEqual(bin.meanPredicted, expected.0, accuracy: 1e-12)
            XCTAssertEqual(bin.observedRate, expected.1, accuracy: 1e-12)
        }
        XCTAssertEqual(calibration.brierScore, (0.0025 + 0.0225 + 0.7744 + 0.0025 + 0.7225 + 0) / 6, accuracy: 1e-12)
        XCTAssertEqual(calibration.expectedCalibrationError, (0.05 + 2 * 0.365 + 0.85 + 2 * 0.025) / 6, accuracy: 1e-12)
        XCTAssertThrowsError(try Calibration(try BinaryScores(scores: [0.5, 1.5], labels: [0, 1]))) { error in
            XCTAssertTrue("\(error)".contains("1.5") && "\(error)".contains("0...1"), "\(error)")
        }
    }

    struct BandFixture: Decodable {
        let labels: [Int]
        let scores: [Double]
        let specificities: [Double]
        let sensitivity: [Double]
        let lower: [Double]
        let upper: [Double]
        let precision: [Double]
        let recall: [Double]
    }

    /// Precision-recall points equal pROC's `coords`; the sensitivity at a specificity equals
    /// its `coords(input = "specificity")`; the band agrees with its `ci.se` within the Monte
    /// Carlo error of two independent sets of 4000 resamples.
    func testTheCurvesAndTheBandAgreeWithPROC() throws {
        let f = try procFixture("band_pr", as: BandFixture.self)
        let data = try BinaryScores(scores: f.scores, labels: f.labels)
        let pr = try PrecisionRecallCurve(data)
        let ours = zip(pr.recall, pr.precision).map { [$0, $1] }.sorted { $0.lexicographicallyPrecedes($1) }
        let theirs = zip(f.recall, f.precision).map { [$0, $1] }.sorted { $0.lexicographicallyPrecedes($1) }
        XCTAssertEqual(ours.count, theirs.count)
        for (a, b) in zip(ours, theirs) {
            XCTAssertEqual(a[0], b[0], accuracy: 1e-12)
            XCTAssertEqual(a[1], b[1], accuracy: 1e-12)
        }
        let curve = try ROCCurve(data)
        for (specificity, sensitivity) in zip(f.specificities, f.sensitivity) {
            XCTAssertEqual(ROCBand.sensitivity(of: curve, atSpecificity: specificity), sensitivity, accuracy: 1e-12, "at \(specificity)")
        }
        let band = try ROCBand(data, specificities: f.specificities, replicates: 4000, seed: 3)
        for index in f.specificities.indices {
            XCTAssertEqual(band.lower[index], f.lower[index], accuracy: 0.04, "lower at \(f.specificities[index])")
            XCTAssertEqual(band.upper[index], f.upper[index], accuracy: 0.04, "upper at \(f.specificities[index])")
            XCTAssertLessThanOrEqual(band.lower[index], f.sensitivity[index] + 1e-12)
            XCTAssertGreaterThanOrEqual(band.upper[index], f.sensitivity[index] - 1e-12)
        }
        // The same seed, the same band; more cases, a narrower one.
        XCTAssertEqual(try ROCBand(data, specificities: f.specificities, replicates: 4000, seed: 3).lower, band.lower)
        let doubled = try BinaryScores(scores: f.scores + f.scores, labels: f.labels + f.labels)
        let narrower = try ROCBand(doubled, specificities: f.specificities, replicates: 4000, seed: 3)
        let width = zip(band.upper, band.lower).map { $0 - $1 }.reduce(0, +)
        XCTAssertLessThan(zip(narrower.upper, narrower.lower).map { $0 - $1 }.reduce(0, +), width)
    }
}
