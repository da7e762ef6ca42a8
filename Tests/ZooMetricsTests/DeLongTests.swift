import XCTest

@testable import ZooMetrics

final class DeLongTests: XCTestCase {
    func testPlacementsAndVarianceByHand() throws {
        // Positives 0.6, 0.4; negatives 0.4, 0.2.
        // V10: 0.6 beats both negatives -> 1; 0.4 ties one, beats one -> 0.75.
        // V01: 0.4 is beaten by 0.6 and tied by 0.4 -> 0.75; 0.2 is beaten by both -> 1.
        // S10 = S01 = var(1, 0.75) = 0.03125; variance = 0.03125/2 + 0.03125/2 = 0.03125.
        let data = try BinaryScores(scores: [0.6, 0.4, 0.4, 0.2], labels: [1, 1, 0, 0])
        let p = try DeLong.placements(data)
        XCTAssertEqual(p.positives, [1, 0.75])
        XCTAssertEqual(p.negatives, [0.75, 1])
        XCTAssertEqual(p.auc, 0.875, accuracy: 1e-15)
        XCTAssertEqual(try DeLong.variance(data), 0.03125, accuracy: 1e-15)
    }

    func testVarianceOfEightCases() throws {
        // V10 = (1, 1, 0.75, 0.5), V01 = (0.5, 0.75, 1, 1); each has sum of squared deviations
        // from 0.8125 of 0.171875, so S10 = S01 = 0.171875/3 and the variance is 0.171875/6.
        XCTAssertEqual(try DeLong.variance(eightCases), 0.171875 / 6, accuracy: 1e-15)
        let ci = try DeLong.confidenceInterval(eightCases)
        let half = 1.959963984540054 * (0.171875 / 6).squareRoot()
        XCTAssertEqual(ci.lower, 0.8125 - half, accuracy: 1e-12)
        XCTAssertEqual(ci.upper, min(1, 0.8125 + half), accuracy: 1e-12)
        XCTAssertEqual(ci.upper, 1)  // 0.8125 + 0.3317 is clamped, as pROC clamps
    }

    func testPairedTestIsAntisymmetricAndRejectsIdenticalModels() throws {
        let other = try BinaryScores(
            scores: [0.6, 0.9, 0.3, 0.7, 0.5, 0.2, 0.4, 0.1], labels: eightCases.labels)
        let forward = try DeLong.pairedTest(eightCases, other)
        let backward = try DeLong.pairedTest(other, eightCases)
        XCTAssertEqual(forward.statistic, -backward.statistic, accuracy: 1e-12)
        XCTAssertEqual(forward.p, backward.p, accuracy: 1e-12)
        XCTAssertThrowsError(try DeLong.pairedTest(eightCases, eightCases))
        let shuffled = try BinaryScores(
            scores: eightCases.scores, labels: eightCases.labels.reversed())
        XCTAssertThrowsError(try DeLong.pairedTest(eightCases, shuffled))
        XCTAssertThrowsError(
            try DeLong.pairedTest(scores1: [0.1, 0.2], scores2: [0.1], labels: [true, false]))
    }

    func testTooFewCasesForVariance() throws {
        let data = try BinaryScores(scores: [0.9, 0.2, 0.1], labels: [1, 0, 0])
        XCTAssertEqual(try ROCCurve.auc(data), 1)
        XCTAssertThrowsError(try DeLong.variance(data)) {
            XCTAssertEqual(
                $0 as? MetricsError,
                .tooFewCases(what: "DeLong variance (per class)", needed: 2, actual: 1))
        }
    }

    func testDistributions() throws {
        XCTAssertEqual(Normal.cdf(-1), 0.15865525393145707, accuracy: 1e-15)
        XCTAssertEqual(try Normal.quantile(0.975), 1.959963984540054, accuracy: 1e-14)
        XCTAssertEqual(try Normal.quantile(1e-10), -6.361340902404056, accuracy: 1e-12)
        XCTAssertEqual(try Normal.quantile(0.3), -0.5244005127080407, accuracy: 1e-14)
        XCTAssertEqual(Normal.twoSidedP(1.959963984540054), 0.05, accuracy: 1e-15)
        XCTAssertThrowsError(try Normal.quantile(1.2))
        // R: 2 * pt(-2, 10) and 2 * pt(-1.3, 3.7).
        XCTAssertEqual(
            try StudentT.twoSidedP(2, degreesOfFreedom: 10), 0.073388034770740393, accuracy: 1e-13)
        XCTAssertEqual(
            try StudentT.twoSidedP(-1.3, degreesOfFreedom: 3.7), 0.26866672417262732,
            accuracy: 1e-12)
    }
}
