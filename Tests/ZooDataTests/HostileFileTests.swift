import Foundation
import XCTest
import ZooCore
@testable import ZooData

/// Files whose headers claim absurd sizes, and paths that are not files: each is refused with
/// a message naming the file, before pixel memory is allocated.
final class HostileFileTests: XCTestCase {
    func testPNGDeclaringAMillionByAMillionPixelsIsRefused() throws {
        let url = temporaryFolder().appendingPathComponent("huge.png")
        try rawPNG(width: 1_000_000, height: 1_000_000, bitDepth: 8, colorType: 0, rows: [[0]]).write(to: url)
        assertDataError([url.path, "1000000 x 1000000 pixels", "limit"]) { _ = try PNG.read(url) }
    }

    func testPNGJustPastThePixelLimitIsRefusedBeforeLibpngAllocates() throws {
        // 20000 x 20000 gray is 400 MB, under the decoded-bytes limit: only the pixel limit
        // stops it before libpng's buffer is allocated.
        let data = rawPNG(width: 20_000, height: 20_000, bitDepth: 8, colorType: 0, rows: [[0]])
        assertDataError(["huge-gray", "20000 x 20000 pixels"]) { _ = try PNG.decode(data, source: "huge-gray") }
    }

    func testJPEGDeclaringHugeDimensionsIsRefusedBeforeDecompression() throws {
        for progressive in [false, true] {
            var bytes = [UInt8](try JPEG.encode(pattern(height: 8, width: 8, channels: 3), progressive: progressive))
            // The frame header (SOF0 or SOF2): marker, length, precision, height, width.
            let marker: UInt8 = progressive ? 0xC2 : 0xC0
            let sof = try XCTUnwrap((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == marker })
            for at in [sof + 5, sof + 7] { bytes[at] = 0xEA; bytes[at + 1] = 0x60 }  // 60000
            let url = temporaryFolder().appendingPathComponent("huge-\(progressive).jpg")
            try Data(bytes).write(to: url)
            assertDataError([url.path, "60000 x 60000 pixels"]) { _ = try JPEG.read(url) }
        }
    }

    func testNIfTIDeclaringMoreVoxelsThanTheFileHoldsIsRefused() throws {
        let url = temporaryFolder().appendingPathComponent("huge.nii")
        var bytes = [UInt8](try NIfTI.encode(ImageArray(shape: [2, 2, 2, 1], values: Array(repeating: 1, count: 8)), compress: false))
        for axis in 0..<3 { bytes[42 + 2 * axis] = 0xFF; bytes[43 + 2 * axis] = 0x7F }  // 32767 each
        try Data(bytes).write(to: url)
        assertDataError([url.path, "truncated NIfTI data", "32767"]) { _ = try NIfTI.read(url) }
    }

    func testDirectoriesMissingAndEmptyFilesAreNamedPlainly() throws {
        let folder = temporaryFolder()
        let directory = folder.appendingPathComponent("scan.png", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let empty = folder.appendingPathComponent("empty.nii")
        try Data().write(to: empty)
        let missing = folder.appendingPathComponent("missing.jpg")
        assertDataError([directory.path, "is a directory"]) { _ = try PNG.read(directory) }
        assertDataError([directory.path, "is a directory"]) { _ = try ImageFile.read(directory) }
        assertDataError([empty.path, "is empty"]) { _ = try NIfTI.read(empty) }
        assertDataError([missing.path, "no such file"]) { _ = try JPEG.read(missing) }
        assertDataError([directory.path, "is a directory"]) { _ = try RegionCropDataset.readBoxes(from: directory) }
    }
}
