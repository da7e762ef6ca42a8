import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class CodecTests: XCTestCase {
    func testPNGRoundTrips8BitGrayRGBAndRGBA() throws {
        for channels in [1, 3, 4] {
            let image = pattern(height: 9, width: 13, channels: channels)
            let decoded = try PNG.decode(try PNG.encode(image))
            XCTAssertEqual(decoded.bitDepth, 8)
            XCTAssertEqual(decoded.image, image)
        }
    }

    func testPNG16BitGrayKeepsFullRange() throws {
        let values: [Float] = [0, 1, 255, 256, 1000, 40000, 65535, 12345]
        let image = ImageArray(shape: [2, 4, 1], values: values)
        let decoded = try PNG.decode(try PNG.encode(image, bitDepth: 16))
        XCTAssertEqual(decoded.bitDepth, 16)
        XCTAssertEqual(decoded.image.values, values)
    }

    func testPNGPaletteGrayAlphaAndLowBitDepths() throws {
        let palette = try PNG.decode(rawPNG(width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[1, 0]],
                                            palette: [10, 20, 30, 200, 100, 50]))
        XCTAssertEqual(palette.image.shape, [1, 2, 3])
        XCTAssertEqual(palette.image.values, [200, 100, 50, 10, 20, 30])
        let grayAlpha = try PNG.decode(rawPNG(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[7, 255, 9, 0]]))
        XCTAssertEqual(grayAlpha.image.shape, [1, 2, 2])
        XCTAssertEqual(grayAlpha.image.values, [7, 255, 9, 0])
        XCTAssertEqual(ChannelMode.rgb.apply(grayAlpha.image).values, [7, 7, 7, 9, 9, 9])
        let oneBit = try PNG.decode(rawPNG(width: 8, height: 1, bitDepth: 1, colorType: 0, rows: [[0b1010_0000]]))
        XCTAssertEqual(oneBit.image.values, [255, 0, 255, 0, 0, 0, 0, 0])
        let rgb16 = try PNG.decode(rawPNG(width: 1, height: 1, bitDepth: 16, colorType: 2, rows: [[1, 2, 3, 4, 5, 6]]))
        XCTAssertEqual(rgb16.image.values, [258, 772, 1286])
        let transparentPalette = try PNG.decode(rawPNG(width: 1, height: 1, bitDepth: 8, colorType: 3, rows: [[0]],
                                                       palette: [1, 2, 3], transparency: [128]))
        XCTAssertEqual(transparentPalette.image.values, [1, 2, 3, 128])
    }

    func testJPEGBaselineAndProgressiveGrayAndRGB() throws {
        for channels in [1, 3] {
            for progressive in [false, true] {
                let image = pattern(height: 32, width: 24, channels: channels)
                let data = try JPEG.encode(image, quality: 95, progressive: progressive)
                let decoded = try JPEG.decode(data)
                XCTAssertEqual(decoded.image.shape, [32, 24, channels])
                let error = zip(decoded.image.values, image.values).map { abs($0 - $1) }.reduce(0, +) / Float(image.values.count)
                XCTAssertLessThan(error, 8, "channels \(channels) progressive \(progressive)")
            }
        }
    }

    func testCorruptAndTruncatedFilesAreErrorsNamingTheFile() throws {
        let folder = temporaryFolder()
        let png = try PNG.encode(pattern(height: 16, width: 16, channels: 3))
        let jpeg = try JPEG.encode(pattern(height: 16, width: 16, channels: 3))
        let cases: [(String, Data)] = [
            ("truncated.png", png.prefix(png.count / 2)),
            ("corrupt.png", { var d = png; d[40] ^= 0xFF; return d }()),
            ("truncated.jpg", jpeg.prefix(jpeg.count * 2 / 3)),
            ("garbage.jpg", Data([0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3, 4])),
            ("notanimage.png", Data("hello".utf8)),
        ]
        for (name, data) in cases {
            let url = folder.appendingPathComponent(name)
            try data.write(to: url)
            assertDataError([url.path]) { _ = try ImageFile.read(url) }
        }
    }

    func testUnsupportedBitDepthIsAnErrorNamingTheFile() throws {
        let url = temporaryFolder().appendingPathComponent("depth3.png")
        try rawPNG(width: 1, height: 1, bitDepth: 3, colorType: 0, rows: [[0]]).write(to: url)
        assertDataError([url.path, "bit depth"]) { _ = try ImageFile.read(url) }
    }

    /// Seeded mutations of valid files: every outcome is an image or a DataError.
    func testFuzzedPNGAndJPEGNeverCrash() throws {
        let png = try PNG.encode(pattern(height: 12, width: 10, channels: 3))
        let pngPalette = rawPNG(width: 2, height: 2, bitDepth: 8, colorType: 3, rows: [[0, 1], [1, 0]], palette: [1, 2, 3, 4, 5, 6])
        let jpeg = try JPEG.encode(pattern(height: 16, width: 16, channels: 3))
        let progressive = try JPEG.encode(pattern(height: 16, width: 16, channels: 1), progressive: true)
        var random = RandomGenerator(seed: 99)
        var decodedCount = 0
        for round in 0..<400 {
            let base = [png, pngPalette, jpeg, progressive][round % 4]
            let data = Fuzz.mutate(base, &random)
            do {
                _ = round % 4 < 2 ? try PNG.decode(data, source: "fuzz") : try JPEG.decode(data, source: "fuzz")
                decodedCount += 1
            } catch is DataError {}
        }
        XCTAssertLessThan(decodedCount, 400)
    }
}

/// Seeded file mutations: flipped bytes, overwritten runs, truncation, inserted bytes.
enum Fuzz {
    static func mutate(_ data: Data, _ random: inout RandomGenerator) -> Data {
        var bytes = [UInt8](data)
        for _ in 0..<(1 + random.nextInt(below: 4)) {
            switch random.nextInt(below: 4) {
            case 0: let i = random.nextInt(below: bytes.count); bytes[i] ^= UInt8(1 << random.nextInt(below: 8))
            case 1:
                let i = random.nextInt(below: bytes.count)
                for j in i..<Swift.min(bytes.count, i + 1 + random.nextInt(below: 8)) { bytes[j] = UInt8(random.nextInt(below: 256)) }
            case 2: bytes = Array(bytes.prefix(Swift.max(1, random.nextInt(below: bytes.count))))
            default: bytes.insert(UInt8(random.nextInt(below: 256)), at: random.nextInt(below: bytes.count))
            }
        }
        return Data(bytes)
    }
}
