import XCTest

@testable import ZooMetrics

final class BootstrapTests: XCTestCase {
    func testSplitMix64ReferenceSequence() {
        // SplitMix64 from seed 0 (Steele, Lea and Flood's reference implementation).
        var g = SeededGenerator(seed: 0)
        XCTAssertEqual(g.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(g.next(), 0x6E78_9E6A_A1B9_65F4)
    }

    func testSeedMakesTheIntervalReproducible() throws {
        let a = try Bootstrap.confidenceInterval(
            eightCases, replicates: 500, seed: 7, statistic: ROCCurve.auc)
        let b = try Bootstrap.confidenceInterval(
            eightCases, replicates: 500, seed: 7, statistic: ROCCurve.auc)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.estimate, 13.0 / 16)
        XCTAssertLessThanOrEqual(a.lower, a.estimate)
        XCTAssertGreaterThanOrEqual(a.upper, a.estimate)
        XCTAssertEqual(a.replicates, 500)
        XCTAssertEqual(a.failedReplicates, 0)  // stratified: every resample has both classes
    }

    func testStratifiedResamplesKeepClassCounts() throws {
        let interval = try Bootstrap.confidenceInterval(eightCases, replicates: 200) {
            Double($0.positiveCount)
        }
        XCTAssertEqual(interval.lower, 4)
        XCTAssertEqual(interval.upper, 4)
    }

    func testUnstratifiedCountsUndefinedReplicates() throws {
        let data = try BinaryScores(scores: [0.9, 0.1, 0.2, 0.3, 0.4], labels: [1, 0, 0, 0, 0])
        let interval = try Bootstrap.confidenceInterval(
            data, replicates: 400, stratified: false, statistic: ROCCurve.auc)
        // A resample misses the single positive with probability 0.8^5 = 0.33.
        XCTAssertGreaterThan(interval.failedReplicates, 80)
        XCTAssertEqual(interval.replicates + interval.failedReplicates, 400)
    }

    func testPercentileIsTypeSeven() {
        XCTAssertEqual(quantile(sorted: [1, 2, 3, 4, 5], 0.95), 4.8, accuracy: 1e-15)
        XCTAssertEqual(quantile(sorted: [1, 2, 3, 4], 0.5), 2.5, accuracy: 1e-15)
    }

    func testBadArguments() {
        XCTAssertThrowsError(
            try Bootstrap.confidenceInterval(eightCases, level: 1.5, statistic: ROCCurve.auc))
        XCTAssertThrowsError(
            try Bootstrap.confidenceInterval(eightCases, replicates: 1, statistic: ROCCurve.auc))
    }
}
