import Foundation
import XCTest
import ZooCore
import ZooTensor
import ZooTestSupport

@testable import ZooData

/// `pillow_resize` gives Pillow's pixels exactly (Tests/Fixtures/pillow_reference.py): gray and
/// RGB, odd and even sizes, shrinking and enlarging, each axis its own way.
final class PillowResizeTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let filter: String
        let size: [Int]
    }

    func testEveryCaseEqualsPillowPixelForPixel() throws {
        let list = try fixtureFile("pillow", "cases.json", generator: "Tests/Fixtures/pillow_reference.py")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: list))
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for item in cases {
            let input = try readNumpy(try fixtureFile("pillow", "\(item.name).input.npy", generator: "Tests/Fixtures/pillow_reference.py"))
            let expected = try readNumpy(try fixtureFile("pillow", "\(item.name).output.npy", generator: "Tests/Fixtures/pillow_reference.py"))
            let sample = Sample(image: ImageArray(shape: input.shape, values: input.scalars), label: 0, info: SampleInfo(id: item.name))
            var random = RandomGenerator(seed: 1)
            let filter = try XCTUnwrap(PillowResize.Filter(rawValue: item.filter))
            let resized = try PillowResize(size: item.size, filter: filter).apply(sample, random: &random)
            XCTAssertEqual(resized.image.shape, expected.shape, item.name)
            let mismatches = zip(resized.image.values, expected.scalars).filter { $0 != $1 }.count
            XCTAssertEqual(mismatches, 0, "\(item.name): \(mismatches) of \(expected.scalars.count) values differ from Pillow's")
        }
    }

    /// Values that are not 8-bit pixels are refused, naming the sample, rather than resized
    /// in a way that only looks like Pillow's.
    func testNonEightBitValuesAreRefused() {
        let sample = Sample(image: ImageArray(shape: [2, 2, 1], values: [0, 0.5, 255, 3]), label: 0, info: SampleInfo(id: "scan-7"))
        var random = RandomGenerator(seed: 1)
        XCTAssertThrowsError(try PillowResize(size: [3, 3], filter: .bilinear).apply(sample, random: &random)) { error in
            XCTAssertTrue("\(error)".contains("8-bit") && "\(error)".contains("scan-7"), "\(error)")
        }
    }
}
