import Foundation
import XCTest
import ZooTestSupport

@testable import ZooMetrics

/// Decision curves against numpy's closed form (Tests/Fixtures/dca_reference.py).
final class DecisionCurveTests: XCTestCase {
    struct Fixture: Decodable {
        let scores: [Double], labels: [Int], thresholds: [Double], model: [Double], treat_all: [Double]
    }

    func testNetBenefitMatchesTheClosedForm() throws {
        let url = fixturesDirectory.appendingPathComponent("dca/dca.json")
        guard let data = try? Data(contentsOf: url) else {
            let reason = (try? String(contentsOf: fixturesDirectory.appendingPathComponent("UNAVAILABLE"), encoding: .utf8))
                ?? "run Tests/Fixtures/dca_reference.py to generate it"
            print("SKIPPED: no decision-curve fixture \(url.path): \(reason)")
            throw XCTSkip("no decision-curve fixture: \(reason)")
        }
        let f = try JSONDecoder().decode(Fixture.self, from: data)
        let curve = try DecisionCurve(try BinaryScores(scores: f.scores, labels: f.labels), thresholds: f.thresholds)
        for i in f.thresholds.indices {
            XCTAssertEqual(curve.model[i], f.model[i], accuracy: 1e-12, "pt \(f.thresholds[i])")
            XCTAssertEqual(curve.treatAll[i], f.treat_all[i], accuracy: 1e-12, "pt \(f.thresholds[i])")
        }
        XCTAssertTrue(curve.treatNone.allSatisfy { $0 == 0 })
        XCTAssertThrowsError(try DecisionCurve(try BinaryScores(scores: [0.2], labels: [1]), thresholds: [1]))
    }
}
