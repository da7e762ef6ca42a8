import Foundation
import XCTest
import ZooMetrics
import ZooTestSupport

/// One score set with pROC's numbers, as Tests/Fixtures/proc_reference.R writes it.
struct ProcFixture: Decodable {
    struct Single: Decodable {
        let auc: Double
        let variance: Double
        let ci: [Double]
    }
    struct Paired: Decodable {
        let z: Double
        let p: Double
    }
    struct Unpaired: Decodable {
        let t: Double
        let df: Double
        let p: Double
    }
    let name: String
    let labels: [Int]
    let scores: [Double]
    let auc: Double
    let variance: Double
    let ci: [Double]
    let scores2: [Double]?
    let second: Single?
    let paired: Paired?
    let labelsB: [Int]?
    let scoresB: [Double]?
    let unpaired: Unpaired?
}

/// Loads a pROC fixture, or skips with the reason (the test command writes UNAVAILABLE when
/// R or pROC could not be installed).
func procFixture<T: Decodable>(_ file: String, as type: T.Type) throws -> T {
    let url = fixturesDirectory.appendingPathComponent("proc/\(file).json")
    guard let data = try? Data(contentsOf: url) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason =
            (try? String(contentsOf: reasonFile, encoding: .utf8))
            ?? "run Rscript Tests/Fixtures/proc_reference.R (needs r-cran-proc) to generate it"
        print("SKIPPED: no pROC fixture \(url.path): \(reason)")
        throw XCTSkip("no pROC fixture \(file): \(reason)")
    }
    return try JSONDecoder().decode(T.self, from: data)
}

final class ProcFixtureTests: XCTestCase {
    static let sets = ["continuous", "ties", "small", "nearly_separated", "below_chance"]

    func testAUCAndDeLongCIMatchPROC() throws {
        for name in Self.sets {
            let f = try procFixture(name, as: ProcFixture.self)
            let data = try BinaryScores(scores: f.scores, labels: f.labels)
            let ci = try DeLong.confidenceInterval(data)
            XCTAssertEqual(ci.auc, f.auc, accuracy: 1e-12, name)
            XCTAssertEqual(ci.variance, f.variance, accuracy: 1e-12, name)
            XCTAssertEqual(ci.lower, f.ci[0], accuracy: 1e-10, name)
            XCTAssertEqual(ci.upper, f.ci[1], accuracy: 1e-10, name)
            if let scores2 = f.scores2, let second = f.second {
                let other = try BinaryScores(scores: scores2, labels: f.labels)
                XCTAssertEqual(try ROCCurve.auc(other), second.auc, accuracy: 1e-12, name)
                XCTAssertEqual(try DeLong.variance(other), second.variance, accuracy: 1e-12, name)
            }
        }
    }

    func testPairedRocTestMatchesPROC() throws {
        for name in Self.sets {
            let f = try procFixture(name, as: ProcFixture.self)
            guard let scores2 = f.scores2, let reference = f.paired else { continue }
            let test = try DeLong.pairedTest(
                BinaryScores(scores: f.scores, labels: f.labels),
                BinaryScores(scores: scores2, labels: f.labels))
            XCTAssertEqual(test.statistic, reference.z, accuracy: 1e-9, name)
            XCTAssertEqual(test.p, reference.p, accuracy: 1e-9, name)
        }
    }

    func testUnpairedRocTestMatchesPROC() throws {
        for name in Self.sets {
            let f = try procFixture(name, as: ProcFixture.self)
            guard let labelsB = f.labelsB, let scoresB = f.scoresB, let reference = f.unpaired
            else { continue }
            let test = try DeLong.unpairedTest(
                BinaryScores(scores: f.scores, labels: f.labels),
                BinaryScores(scores: scoresB, labels: labelsB))
            XCTAssertEqual(test.statistic, reference.t, accuracy: 1e-9, name)
            XCTAssertEqual(test.degreesOfFreedom ?? .nan, reference.df, accuracy: 1e-8, name)
            XCTAssertEqual(test.p, reference.p, accuracy: 1e-9, name)
        }
    }
}
