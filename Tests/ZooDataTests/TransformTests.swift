import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class TransformTests: XCTestCase {
    func sample(_ image: ImageArray, mask: ImageArray? = nil) -> Sample {
        Sample(image: image, label: 0, mask: mask, info: SampleInfo(id: "s"))
    }
    var random = RandomGenerator(seed: 1)

    func testResizeBilinearNearestAndTrilinear() throws {
        let image = ImageArray(shape: [2, 2, 1], values: [0, 10, 20, 30])
        let up = try Resize(size: [4, 4]).apply(sample(image, mask: image), random: &random)
        XCTAssertEqual(Array(up.image.values.prefix(4)), [0, 2.5, 7.5, 10])
        XCTAssertEqual(Array(up.mask!.values.prefix(4)), [0, 0, 10, 10])
        let volume = ImageArray(shape: [2, 2, 2, 1], values: [0, 0, 0, 0, 8, 8, 8, 8])
        let resized = try Transform.named("resize", ["size": [4, 2, 2], "interpolation": "trilinear"]).apply(sample(volume), random: &random)
        XCTAssertEqual(resized.image.values.enumerated().filter { $0.offset % 4 == 0 }.map(\.element), [0, 2, 6, 8])
    }

    func testCropPadFlipAndRotate90() throws {
        let image = ImageArray(shape: [3, 3, 1], values: (1...9).map(Float.init))
        XCTAssertEqual(try CenterCrop(size: [1, 1]).apply(sample(image), random: &random).image.values, [5])
        let padded = try Pad(size: [5, 3], value: -1).apply(sample(image), random: &random).image
        XCTAssertEqual(padded.shape, [5, 3, 1])
        XCTAssertEqual(Array(padded.values.prefix(3)), [-1, -1, -1])
        var always = RandomGenerator(seed: 3)
        let flipped = try RandomFlip(horizontal: true, probability: 1).apply(sample(image), random: &always).image
        XCTAssertEqual(Array(flipped.values.prefix(3)), [3, 2, 1])
        let rotated = Grid.rotate90(ImageArray(shape: [1, 2, 3, 1], values: [1, 2, 3, 4, 5, 6]), quarterTurns: 1, axes: 1, 2)
        XCTAssertEqual(rotated.shape, [1, 3, 2, 1])
        XCTAssertEqual(rotated.values, [3, 6, 2, 5, 1, 4])  // numpy.rot90([[1,2,3],[4,5,6]])
    }

    /// One enum for the architectures and the pipeline (issue 22.4), with `auto` resolved in
    /// one place, and one interpolation enum (ZooTensor's) with the configs' names.
    func testOnePreprocessingEnumAndOneInterpolationEnum() throws {
        XCTAssertEqual(PreprocessingChoice(name: "auto")?.resolved(for: .torch), .torch)
        XCTAssertEqual(PreprocessingChoice(name: "tf")?.resolved(for: .caffe), .tf)
        XCTAssertNil(PreprocessingChoice(name: "cafe"))
        XCTAssertEqual(try Preprocess(mode: .none).apply(sample(pattern(height: 2, width: 2, channels: 3)), random: &random).image,
                       pattern(height: 2, width: 2, channels: 3))
        assertConfigError(["transforms.mode", "is not one of caffe, tf, torch"]) { _ = try Transform.named("preprocess", ["mode": "none"]) }
        let linear: ZooTensor.Interpolation = try Interpolation(name: "trilinear")
        XCTAssertEqual(linear, .linear)
        XCTAssertEqual(try Interpolation(name: "nearest"), ZooTensor.Interpolation.nearest)
    }

    func testPreprocessingModes() throws {
        let pixel = ImageArray(shape: [1, 1, 3], values: [255, 127.5, 0])
        XCTAssertEqual(try Preprocess(mode: .tf).apply(sample(pixel), random: &random).image.values, [1, 0, -1])
        let caffe = try Preprocess(mode: .caffe).apply(sample(pixel), random: &random).image.values
        XCTAssertEqual(caffe[0], 0 - 103.939, accuracy: 1e-4)
        XCTAssertEqual(caffe[2], 255 - 123.68, accuracy: 1e-4)
        let torch = try Preprocess(mode: .torch).apply(sample(pixel), random: &random).image.values
        XCTAssertEqual(torch[0], (1 - 0.485) / 0.229, accuracy: 1e-4)
        // One channel: the gray forms (the means of the three channels' means and deviations).
        let gray = ImageArray(shape: [1, 1, 1], values: [200])
        XCTAssertEqual(try Preprocess(mode: .caffe).apply(sample(gray), random: &random).image.values[0], 200 - 114.79933, accuracy: 1e-3)
        XCTAssertEqual(try Preprocess(mode: .torch).apply(sample(gray), random: &random).image.values[0], (200.0 / 255 - 0.449) / 0.226, accuracy: 1e-4)
        assertDataError(["1 (gray) or 3 (RGB)"]) { _ = try Preprocess(mode: .caffe).apply(self.sample(ImageArray(repeating: 0, shape: [1, 1, 2])), random: &self.random) }
        let hu = try HUWindow(center: -600, width: 1500).apply(sample(ImageArray(shape: [1, 3, 1], values: [-2000, -600, 500])), random: &random)
        XCTAssertEqual(hu.image.values, [0, 0.5, 1])
        let scaled = try MinMaxScale().apply(sample(ImageArray(shape: [1, 3, 1], values: [2, 4, 6])), random: &random)
        XCTAssertEqual(scaled.image.values, [-1, 0, 1])
    }

    func testNamedTableRejectsUnknownNamesAndParameters() {
        assertConfigError(["unknown transform 'flipper'", "random_flip"]) { _ = try Transform.named("flipper") }
        assertConfigError(["unknown transform 'random_flp'", "did you mean random_flip or"]) { _ = try Transform.named("random_flp") }
        assertConfigError(["transforms.size[1]", "at least 1"]) { _ = try Transform.named("resize", ["size": [32, 0]]) }
        assertConfigError(["transforms.size", "is required"]) { _ = try Transform.named("resize") }
        // Regressions: a fractional size was truncated (32.5 read as 32), a probability above 1
        // was taken as given.
        assertConfigError(["transforms.size[0]", "'32.5'"]) { _ = try Transform.named("resize", ["size": [32.5, 32]]) }
        assertConfigError(["transforms.probability", "0.0...1.0"]) { _ = try Transform.named("random_flip", ["probability": 1.5]) }
        assertConfigError(["transforms.probabilty", "did you mean probability?"]) { _ = try Transform.named("random_flip", ["probabilty": 0.5]) }
        for name in Transform.names where !["resize", "pillow_resize", "center_crop", "random_crop", "pad", "preprocess", "hu_window", "scale",
                                            "random_rotation", "random_zoom", "random_crop_pos_neg", "spacing"].contains(name) {
            XCTAssertNoThrow(try Transform.named(name), name)
        }
    }

    func testAugmentationIsReproducibleAndMasksStayBinary() throws {
        let image = pattern(height: 32, width: 32, channels: 1)
        var mask = ImageArray(repeating: 0, shape: [32, 32, 1])
        for y in 10..<20 { for x in 8..<22 { mask.values[y * 32 + x] = 1 } }
        let pipeline = try Transform.pipeline([
            ("random_flip", ["vertical": true]), ("random_rotation", ["degrees": 30]), ("random_zoom", ["range": [0.8, 1.2]]),
            ("random_elastic", ["alpha": 8, "sigma": 3, "probability": 1]), ("random_brightness_contrast", ["brightness": 10, "contrast": [0.8, 1.2]]),
        ])
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let first = try pipeline.apply(sample(image, mask: mask), random: &a)
        let second = try pipeline.apply(sample(image, mask: mask), random: &b)
        let third = try pipeline.apply(sample(image, mask: mask), random: &c)
        XCTAssertEqual(first.image, second.image)
        XCTAssertEqual(first.mask, second.mask)
        XCTAssertNotEqual(first.image, third.image)
        XCTAssertTrue(first.mask!.values.allSatisfy { $0 == 0 || $0 == 1 })
        XCTAssertGreaterThan(first.mask!.values.reduce(0, +), 40)
    }

    func testPosNegCropAndROICrop() throws {
        var mask = ImageArray(repeating: 0, shape: [20, 20, 20, 1])
        mask.values[(15 * 20 + 4) * 20 + 17] = 1
        let volume = sample(ImageArray(repeating: 5, shape: [20, 20, 20, 1]), mask: mask)
        var random = RandomGenerator(seed: 9)
        for _ in 0..<5 {
            let patch = try RandomCropByPosNegLabel(size: [8, 8, 8], positive: 1, negative: 0).apply(volume, random: &random)
            XCTAssertEqual(patch.image.shape, [8, 8, 8, 1])
            XCTAssertEqual(patch.mask!.values.reduce(0, +), 1)
        }
        let roi = try ROICrop(margin: [2]).apply(volume, random: &random)
        XCTAssertEqual(roi.image.shape, [5, 5, 5, 1])
        XCTAssertEqual(roi.mask!.values.reduce(0, +), 1)
    }
}

final class RegionCropTests: XCTestCase {
    func testBoxesFollowTheMaskAndCutTheOriginal() throws {
        // A 4x8 label map with foreground rows 1-2, columns 2-5.
        var labels = [Int](repeating: 0, count: 32)
        for y in 1...2 { for x in 2...5 { labels[y * 8 + x] = 1 } }
        let box = try XCTUnwrap(RegionBox(labels: labels, shape: [4, 8], margin: 0))
        XCTAssertEqual(box.lower, [0.25, 0.25])
        XCTAssertEqual(box.upper, [0.75, 0.75])
        let grown = try XCTUnwrap(RegionBox(labels: labels, shape: [4, 8], margin: 0.5))
        XCTAssertEqual(grown.lower, [0, 0])
        XCTAssertEqual(grown.upper, [1, 1])
        XCTAssertNil(RegionBox(labels: [Int](repeating: 0, count: 32), shape: [4, 8], margin: 0.1))

        // The same fractions cut an image twice the size: rows 2-5, columns 4-11 of 8x16.
        let image = ImageArray(shape: [8, 16, 1], values: (0..<128).map(Float.init))
        let base = InMemoryDataset(samples: [Sample(image: image, info: SampleInfo(id: "a"))], classNames: [])
        let crop = try RegionCropDataset(base, boxes: ["a": box]).sample(at: 0).image
        XCTAssertEqual(crop.shape, [4, 8, 1])
        XCTAssertEqual(crop.values.first, Float(2 * 16 + 4))
        XCTAssertEqual(crop.values.last, Float(5 * 16 + 11))

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roi-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try RegionCropDataset.csv(["a": box, "b,c": grown]).write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try RegionCropDataset.readBoxes(from: url), ["a": box, "b,c": grown])
        try "id,lower,upper\na,0.5 0.5,0.2 0.9\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RegionCropDataset.readBoxes(from: url)) { XCTAssertTrue("\($0)".contains("line 2"), "\($0)") }
    }
}
