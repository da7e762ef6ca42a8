import XCTest

@testable import ZooMetrics

/// The per-class table against scikit-learn's documented example of `classification_report`
/// (y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1]), and the AUC's p-value against 0.5.
final class ClassificationReportTests: XCTestCase {
    func testMatchesScikitLearnsExample() throws {
        let report = try ClassificationReport(predicted: [0, 0, 2, 2, 1], truth: [0, 1, 2, 2, 2], classCount: 3)
        XCTAssertEqual(report.classes.map(\.precision), [0.5, 0, 1])
        XCTAssertEqual(report.classes.map(\.recall)[0], 1)
        XCTAssertEqual(report.classes.map(\.recall)[2], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(report.classes.map(\.f1)[0], 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(report.classes.map(\.f1)[2], 0.8, accuracy: 1e-12)
        XCTAssertEqual(report.classes.map(\.support), [1, 1, 3])
        // sklearn: macro avg 0.50 0.56 0.49, weighted avg 0.70 0.60 0.61, accuracy 0.60.
        XCTAssertEqual(report.macro.precision, 0.5, accuracy: 1e-12)
        XCTAssertEqual(report.macro.recall, 5.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(report.macro.f1, (2.0 / 3 + 0.8) / 3, accuracy: 1e-12)
        XCTAssertEqual(report.weighted.precision, 0.7, accuracy: 1e-12)
        XCTAssertEqual(report.weighted.recall, 0.6, accuracy: 1e-12)
        XCTAssertEqual(report.weighted.f1, (2.0 / 3 + 3 * 0.8) / 5, accuracy: 1e-12)
        XCTAssertEqual(report.accuracy, 0.6, accuracy: 1e-12)
        XCTAssertThrowsError(try ClassificationReport(predicted: [0, 3], truth: [0, 1], classCount: 2))
    }

    func testAUCPValueAgainstChance() throws {
        let data = try BinaryScores(scores: [0.1, 0.4, 0.35, 0.8, 0.7, 0.2, 0.9, 0.6], labels: [0, 0, 1, 1, 1, 0, 1, 0])
        let interval = try DeLong.confidenceInterval(data)
        let z = (interval.auc - 0.5) / interval.variance.squareRoot()
        XCTAssertEqual(interval.pAgainstChance, Normal.twoSidedP(z), accuracy: 1e-15)
        XCTAssertGreaterThan(interval.pAgainstChance, 0)
        XCTAssertLessThan(interval.pAgainstChance, 1)
    }
}
