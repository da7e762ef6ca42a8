import XCTest
import ZooTestSupport

@testable import ZooMetrics

/// Ten cases worked by hand, cut-offs 0.2 and 0.5 (categories: < 0.2, 0.2..<0.5, >= 0.5).
///
/// | case | event | old  | new  | old cat | new cat | category move | risk move | change |
/// |------|-------|------|------|---------|---------|---------------|-----------|--------|
/// | e1   | yes   | 0.10 | 0.30 | 0       | 1       | up            | up        | +0.20  |
/// | e2   | yes   | 0.40 | 0.60 | 1       | 2       | up            | up        | +0.20  |
/// | e3   | yes   | 0.60 | 0.70 | 2       | 2       | none          | up        | +0.10  |
/// | e4   | yes   | 0.30 | 0.10 | 1       | 0       | down          | down      | -0.20  |
/// | e5   | yes   | 0.15 | 0.18 | 0       | 0       | none          | up        | +0.03  |
/// | n1   | no    | 0.30 | 0.10 | 1       | 0       | down          | down      | -0.20  |
/// | n2   | no    | 0.60 | 0.40 | 2       | 1       | down          | down      | -0.20  |
/// | n3   | no    | 0.10 | 0.25 | 0       | 1       | up            | up        | +0.15  |
/// | n4   | no    | 0.10 | 0.10 | 0       | 0       | none          | none      |  0.00  |
/// | n5   | no    | 0.45 | 0.30 | 1       | 1       | none          | down      | -0.15  |
enum WorkedExample {
    static let old = [0.10, 0.40, 0.60, 0.30, 0.15, 0.30, 0.60, 0.10, 0.10, 0.45]
    static let new = [0.30, 0.60, 0.70, 0.10, 0.18, 0.10, 0.40, 0.25, 0.10, 0.30]
    static let outcomes = [true, true, true, true, true, false, false, false, false, false]
}

final class ReclassificationTests: XCTestCase {
    func testCategoricalNRIByHand() throws {
        // Events: up 2/5, down 1/5 -> 0.2. Non-events: down 2/5, up 1/5 -> 0.2. NRI = 0.4.
        // Pencina 2008 variance: (0.4 + 0.2)/5 + (0.2 + 0.4)/5 = 0.24; z = 0.4/sqrt(0.24).
        let r = try ReclassificationStatistics.nri(
            old: WorkedExample.old, new: WorkedExample.new, outcomes: WorkedExample.outcomes,
            cutoffs: [0.2, 0.5])
        XCTAssertEqual(r.eventsUp, 0.4, accuracy: 1e-15)
        XCTAssertEqual(r.eventsDown, 0.2, accuracy: 1e-15)
        XCTAssertEqual(r.nonEventsUp, 0.2, accuracy: 1e-15)
        XCTAssertEqual(r.nonEventsDown, 0.4, accuracy: 1e-15)
        XCTAssertEqual(r.nri, 0.4, accuracy: 1e-15)
        XCTAssertEqual(r.standardError, 0.24.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(r.z, 0.816496580927726, accuracy: 1e-12)
        XCTAssertEqual(r.p, 0.41421617824252, accuracy: 1e-10)  // R: 2 * pnorm(-0.816496580927726)
        // Multinomial variance subtracts 0.2^2/5 + 0.2^2/5 = 0.016: 0.224.
        let m = try ReclassificationStatistics.nri(
            old: WorkedExample.old, new: WorkedExample.new, outcomes: WorkedExample.outcomes,
            cutoffs: [0.2, 0.5], variance: .multinomial)
        XCTAssertEqual(m.standardError, 0.224.squareRoot(), accuracy: 1e-15)
    }

    func testContinuousNRIByHand() throws {
        // Events: up 4/5, down 1/5 -> 0.6. Non-events: down 3/5, up 1/5 -> 0.4. NRI = 1.0.
        // Variance (4/5 + 1/5)/5 + (1/5 + 3/5)/5 = 0.36, SE 0.6, z = 5/3.
        let r = try ReclassificationStatistics.continuousNRI(
            old: WorkedExample.old, new: WorkedExample.new, outcomes: WorkedExample.outcomes)
        XCTAssertEqual(r.eventNRI, 0.6, accuracy: 1e-15)
        XCTAssertEqual(r.nonEventNRI, 0.4, accuracy: 1e-15)
        XCTAssertEqual(r.nri, 1.0, accuracy: 1e-15)
        XCTAssertEqual(r.standardError, 0.6, accuracy: 1e-15)
        XCTAssertEqual(r.z, 5.0 / 3, accuracy: 1e-14)
    }

    func testIDIByHand() throws {
        // Mean change: events (0.2 + 0.2 + 0.1 - 0.2 + 0.03)/5 = 0.066; non-events
        // (-0.2 - 0.2 + 0.15 + 0 - 0.15)/5 = -0.08; IDI = 0.146.
        // Squared deviations: events 0.10912, non-events 0.093; variances of the means
        // 0.10912/4/5 = 0.005456 and 0.093/4/5 = 0.00465; SE = sqrt(0.010106).
        let r = try ReclassificationStatistics.idi(
            old: WorkedExample.old, new: WorkedExample.new, outcomes: WorkedExample.outcomes)
        XCTAssertEqual(r.eventsMeanChange, 0.066, accuracy: 1e-15)
        XCTAssertEqual(r.nonEventsMeanChange, -0.08, accuracy: 1e-15)
        XCTAssertEqual(r.idi, 0.146, accuracy: 1e-15)
        XCTAssertEqual(r.standardError, 0.010106.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(r.z, 0.146 / 0.010106.squareRoot(), accuracy: 1e-12)
    }

    func testBadInput() {
        let o = WorkedExample.old
        let n = WorkedExample.new
        let y = WorkedExample.outcomes
        XCTAssertThrowsError(
            try ReclassificationStatistics.nri(old: o, new: n, outcomes: y, cutoffs: [0.5, 0.2]))
        XCTAssertThrowsError(
            try ReclassificationStatistics.nri(old: o, new: n, outcomes: y, cutoffs: [1.5]))
        XCTAssertThrowsError(
            try ReclassificationStatistics.nri(old: o, new: n, outcomes: y, cutoffs: []))
        XCTAssertThrowsError(
            try ReclassificationStatistics.idi(old: o, new: Array(n.dropLast()), outcomes: y))
        XCTAssertThrowsError(
            try ReclassificationStatistics.idi(old: o, new: n, outcomes: y.map { _ in true })
        ) {
            XCTAssertEqual($0 as? MetricsError, .singleClass(what: "NRI/IDI", present: "events"))
        }
        var withNaN = n
        withNaN[3] = .nan
        XCTAssertThrowsError(
            try ReclassificationStatistics.continuousNRI(old: o, new: withNaN, outcomes: y))
        XCTAssertThrowsError(
            try ReclassificationStatistics.continuousNRI(old: o, new: o, outcomes: y))
    }

    /// Hmisc's improveProb: category-free NRI with its multinomial SE, and IDI.
    func testAgainstHmiscImproveProb() throws {
        struct Reference: Decodable {
            let outcomes: [Int]
            let old: [Double]
            let new: [Double]
            let nri: Double
            let seNRI: Double
            let zNRI: Double
            let idi: Double
            let seIDI: Double
            let zIDI: Double
        }
        let f = try procFixture("nri_idi_hmisc", as: Reference.self)
        let y = f.outcomes.map { $0 == 1 }
        let nri = try ReclassificationStatistics.continuousNRI(
            old: f.old, new: f.new, outcomes: y, variance: .multinomial)
        XCTAssertEqual(nri.nri, f.nri, accuracy: 1e-12)
        XCTAssertEqual(nri.standardError, f.seNRI, accuracy: 1e-12)
        XCTAssertEqual(nri.z, f.zNRI, accuracy: 1e-10)
        let idi = try ReclassificationStatistics.idi(old: f.old, new: f.new, outcomes: y)
        XCTAssertEqual(idi.idi, f.idi, accuracy: 1e-12)
        XCTAssertEqual(idi.standardError, f.seIDI, accuracy: 1e-12)
        XCTAssertEqual(idi.z, f.zIDI, accuracy: 1e-10)
    }
}
