import XCTest

@testable import ZooMetrics

/// Eight cases used throughout: positives score 0.9, 0.8, 0.6, 0.3; negatives 0.7, 0.4, 0.2, 0.1.
let eightCases = try! BinaryScores(
    scores: [0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1], labels: [1, 1, 0, 1, 0, 1, 0, 0])

final class ClassificationTests: XCTestCase {
    func testConfusionMatrixAtHalf() throws {
        // >= 0.5 called positive: 0.9+, 0.8+, 0.7-, 0.6+ -> TP 3, FP 1; below: 0.3+ -> FN 1, TN 3.
        let m = try ConfusionMatrix(eightCases)
        XCTAssertEqual(m.truePositives, 3)
        XCTAssertEqual(m.falsePositives, 1)
        XCTAssertEqual(m.trueNegatives, 3)
        XCTAssertEqual(m.falseNegatives, 1)
        for value in [
            try m.accuracy, try m.sensitivity, try m.specificity, try m.positivePredictiveValue,
            try m.negativePredictiveValue, try m.f1, try m.balancedAccuracy,
        ] {
            XCTAssertEqual(value, 0.75, accuracy: 1e-15)
        }
        XCTAssertEqual(try m.falsePositiveRate, 0.25, accuracy: 1e-15)
    }

    func testUnbalancedRates() throws {
        // TP 2, FP 1, TN 5, FN 2: sens 0.5, spec 5/6, PPV 2/3, NPV 5/7, F1 4/7.
        let m = ConfusionMatrix(
            truePositives: 2, falsePositives: 1, trueNegatives: 5, falseNegatives: 2)
        XCTAssertEqual(try m.sensitivity, 0.5, accuracy: 1e-15)
        XCTAssertEqual(try m.specificity, 5.0 / 6, accuracy: 1e-15)
        XCTAssertEqual(try m.positivePredictiveValue, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(try m.negativePredictiveValue, 5.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(try m.f1, 4.0 / 7, accuracy: 1e-15)
        XCTAssertEqual(try m.balancedAccuracy, (0.5 + 5.0 / 6) / 2, accuracy: 1e-15)
        XCTAssertEqual(try m.accuracy, 0.7, accuracy: 1e-15)
    }

    func testYoudenPicksHighestOfTiedThresholds() throws {
        // J per threshold: 0.9 .25, 0.8 .5, 0.7 .25, 0.6 .5, 0.4 .25, 0.3 .5, 0.2 .25, 0.1 0.
        XCTAssertEqual(try ConfusionMatrix.threshold(eightCases, rule: .youden), 0.8)
        let m = try ConfusionMatrix(eightCases, rule: .youden)
        XCTAssertEqual(m.truePositives, 2)
        XCTAssertEqual(m.falsePositives, 0)
    }

    func testThresholdForTargetSensitivity() throws {
        // Sensitivity reaches 0.75 at 0.6 and 1 at 0.3.
        XCTAssertEqual(try ConfusionMatrix.threshold(eightCases, rule: .sensitivity(0.7)), 0.6)
        XCTAssertEqual(try ConfusionMatrix.threshold(eightCases, rule: .sensitivity(1)), 0.3)
        XCTAssertEqual(try ConfusionMatrix(eightCases, rule: .sensitivity(1)).sensitivity, 1)
    }

    func testUndefinedRatesThrow() {
        let m = ConfusionMatrix(
            truePositives: 0, falsePositives: 0, trueNegatives: 4, falseNegatives: 0)
        XCTAssertThrowsError(try m.sensitivity)
        XCTAssertThrowsError(try m.positivePredictiveValue)
        XCTAssertEqual(try m.specificity, 1)
    }

    func testBadInputIsNamed() {
        XCTAssertThrowsError(try BinaryScores(scores: [0.1, .nan], labels: [0, 1])) {
            XCTAssertEqual($0 as? MetricsError, .notFinite(what: "scores", index: 1))
        }
        XCTAssertThrowsError(try BinaryScores(scores: [0.1, 0.2], labels: [0, 1, 1])) {
            XCTAssertEqual(
                $0 as? MetricsError,
                .lengthMismatch(what: "scores and labels", expected: 2, actual: 3))
        }
        XCTAssertThrowsError(try BinaryScores(scores: [0.1, 0.2], labels: [0, 2])) {
            XCTAssertEqual(
                $0 as? MetricsError,
                .invalidLabel(what: "binary labels", value: 2, allowed: "{0, 1}"))
        }
        XCTAssertThrowsError(try ConfusionMatrix(eightCases, rule: .fixed(1.5))) {
            XCTAssertEqual(
                $0 as? MetricsError, .outOfRange(what: "threshold", value: 1.5, range: "0...1"))
            XCTAssertTrue("\($0)".contains("threshold"))
        }
        XCTAssertThrowsError(try ConfusionMatrix(eightCases, rule: .fixed(-0.1)))
        XCTAssertThrowsError(try ConfusionMatrix(eightCases, rule: .sensitivity(2)))
        XCTAssertThrowsError(try BinaryScores(scores: [], labels: [Bool]()))
    }
}
