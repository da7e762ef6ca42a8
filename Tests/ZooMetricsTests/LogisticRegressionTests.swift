import Foundation
import XCTest
import ZooTestSupport

@testable import ZooMetrics

/// The clinical-variable model against R's glm(family = binomial) (Tests/Fixtures/glm_reference.R).
final class LogisticRegressionTests: XCTestCase {
    struct Fixture: Decodable {
        let x: [[Double]]
        let y: [Int]
        let coefficients: [Double]
        let standard_errors: [Double]
        let z: [Double]
        let p: [Double]
        let deviance: Double
        let iterations: Int
    }

    func testMatchesRGLM() throws {
        let data = try Data(contentsOf: try fixtureFile("glm", "clinical.json", generator: "Rscript Tests/Fixtures/glm_reference.R"))
        let f = try JSONDecoder().decode(Fixture.self, from: data)
        let model = try LogisticRegression.fit(f.x, f.y.map { $0 == 1 })
        for i in f.coefficients.indices {
            XCTAssertEqual(model.coefficients[i], f.coefficients[i], accuracy: 1e-8 * max(1, abs(f.coefficients[i])), "coefficient \(i)")
            XCTAssertEqual(model.standardErrors[i], f.standard_errors[i], accuracy: 1e-7 * f.standard_errors[i], "standard error \(i)")
            XCTAssertEqual(model.z[i], f.z[i], accuracy: 1e-6, "z \(i)")
            XCTAssertEqual(model.p[i], f.p[i], accuracy: 1e-6 * max(f.p[i], 1e-10), "p \(i)")
        }
        XCTAssertEqual(model.deviance, f.deviance, accuracy: 1e-8)
        XCTAssertEqual(model.iterations, f.iterations)
    }

    func testSeparatedAndCollinearDataAreErrors() {
        XCTAssertThrowsError(try LogisticRegression.fit([[1], [2], [3], [4], [5], [6]], [false, false, false, true, true, true])) {
            XCTAssertTrue("\($0)".contains("separated"), "\($0)")
        }
        XCTAssertThrowsError(try LogisticRegression.fit((0..<8).map { [Double($0), 2 * Double($0)] }, [false, true, false, true, true, false, true, false])) {
            XCTAssertTrue("\($0)".contains("collinear"), "\($0)")
        }
        XCTAssertThrowsError(try LogisticRegression.fit([[1], [2], [3], [4]], [true, true, true, true]))
    }
}
