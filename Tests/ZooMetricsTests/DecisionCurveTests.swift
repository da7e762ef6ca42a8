import Foundation
import XCTest
import ZooTestSupport

@testable import ZooMetrics

/// Decision curves against numpy's closed form (Tests/Fixtures/reader_reference.py).
final class DecisionCurveTests: XCTestCase {
    struct Fixture: Decodable {
        let scores: [Double], labels: [Int], thresholds: [Double], model: [Double], treat_all: [Double]
    }

    func testNetBenefitMatchesTheClosedForm() throws {
        let data = try Data(contentsOf: try fixtureFile("readers", "dca.json", generator: "Tests/Fixtures/reader_reference.py"))
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

/// Cohen's and Fleiss' kappa against numpy's contingency-table forms.
final class KappaTests: XCTestCase {
    struct Fixture: Decodable { let reads: [[Int]], cohen_01: Double, fleiss: Double }

    func testKappasMatchTheClosedForms() throws {
        let data = try Data(contentsOf: try fixtureFile("readers", "kappa.json", generator: "Tests/Fixtures/reader_reference.py"))
        let f = try JSONDecoder().decode(Fixture.self, from: data)
        XCTAssertEqual(try Agreement.cohenKappa(f.reads[0], f.reads[1]), f.cohen_01, accuracy: 1e-12)
        XCTAssertEqual(try Agreement.fleissKappa(f.reads), f.fleiss, accuracy: 1e-12)
        // Two readers: Fleiss' kappa is Scott's pi, not Cohen's kappa; perfect agreement is 1.
        XCTAssertEqual(try Agreement.cohenKappa([0, 1, 1, 0], [0, 1, 1, 0]), 1)
        XCTAssertThrowsError(try Agreement.cohenKappa([1, 1], [1, 1]))
    }
}
