import XCTest

@testable import ZooMetrics

final class ROCTests: XCTestCase {
    func testAUCCountsPairs() throws {
        // Pairs won by the positives: 0.9 beats 4, 0.8 beats 4, 0.6 beats 3, 0.3 beats 2 -> 13/16.
        XCTAssertEqual(try ROCCurve.auc(eightCases), 13.0 / 16, accuracy: 1e-15)
    }

    func testTiesCountHalf() throws {
        // Positives 0.6, 0.4; negatives 0.4, 0.2: 1 + 1 + 0.5 + 1 = 3.5 of 4 pairs.
        let data = try BinaryScores(scores: [0.6, 0.4, 0.4, 0.2], labels: [1, 1, 0, 0])
        XCTAssertEqual(try ROCCurve.auc(data), 0.875, accuracy: 1e-15)
        let allTied = try BinaryScores(scores: [0.5, 0.5, 0.5, 0.5], labels: [1, 0, 1, 0])
        XCTAssertEqual(try ROCCurve.auc(allTied), 0.5, accuracy: 1e-15)
    }

    func testCurvePointsAndTrapezoidEqualsMannWhitney() throws {
        let curve = try ROCCurve(eightCases)
        XCTAssertEqual(curve.points.count, 9)
        XCTAssertEqual(
            curve.points.first,
            ROCPoint(threshold: .infinity, falsePositiveRate: 0, truePositiveRate: 0))
        XCTAssertEqual(
            curve.points[3],
            ROCPoint(threshold: 0.7, falsePositiveRate: 0.25, truePositiveRate: 0.5))
        XCTAssertEqual(curve.points.last?.truePositiveRate, 1)
        XCTAssertEqual(curve.trapezoidalArea, curve.auc, accuracy: 1e-15)
        let tied = try BinaryScores(
            scores: [1, 2, 2, 3, 3, 3, 1, 2], labels: [0, 1, 0, 1, 1, 0, 1, 0])
        let tiedCurve = try ROCCurve(tied)
        XCTAssertEqual(tiedCurve.trapezoidalArea, tiedCurve.auc, accuracy: 1e-15)
        XCTAssertEqual(tiedCurve.points.count, 4)  // +inf and the three distinct scores
    }

    func testSingleClassAUCIsUndefined() {
        let data = try! BinaryScores(scores: [0.2, 0.4], labels: [1, 1])
        XCTAssertThrowsError(try ROCCurve.auc(data)) {
            XCTAssertEqual($0 as? MetricsError, .singleClass(what: "AUC", present: "positives"))
            XCTAssertEqual("\($0)", "AUC is undefined: the labels contain only positives")
        }
        XCTAssertThrowsError(try ConfusionMatrix(data, rule: .youden))
    }

    func testMultiClassOneVsRest() throws {
        // Class 1 column: positives 0.6, 0.3; negatives 0.2, 0.3 -> (2 + 1 + 0.5) / 4 = 0.875.
        let data = try MultiClassScores(
            scores: [[0.7, 0.2, 0.1], [0.2, 0.6, 0.2], [0.1, 0.3, 0.6], [0.5, 0.3, 0.2]],
            labels: [0, 1, 2, 1])
        let aucs = try data.oneVsRestAUC()
        XCTAssertEqual(aucs[0], 1, accuracy: 1e-15)
        XCTAssertEqual(aucs[1], 0.875, accuracy: 1e-15)
        XCTAssertEqual(aucs[2], 1, accuracy: 1e-15)
        XCTAssertEqual(try data.macroAUC(), 2.875 / 3, accuracy: 1e-15)
        let missing = try MultiClassScores(
            scores: [[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]], labels: [0, 1])
        XCTAssertThrowsError(try missing.macroAUC()) {
            XCTAssertEqual(
                $0 as? MetricsError,
                .singleClass(what: "one-vs-rest AUC of class 2", present: "negatives"))
        }
        XCTAssertThrowsError(try MultiClassScores(scores: [[0.6, 0.4]], labels: [2]))
        XCTAssertThrowsError(try MultiClassScores(scores: [[0.6, 0.4], [0.5]], labels: [0, 1]))
    }

    func testMidranks() {
        XCTAssertEqual(midranks([3, 1, 3, 2, 3]), [4, 1, 4, 2, 4])
    }
}
