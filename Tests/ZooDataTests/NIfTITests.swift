import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

final class NIfTITests: XCTestCase {
    let volume = ImageArray(shape: [3, 4, 5, 1], values: (0..<60).map { Float($0 * 3 - 50) })

    func testRoundTripsFloatInt16AndUInt8WithAndWithoutGzip() throws {
        let folder = temporaryFolder()
        for (type, name) in [(NIfTI.StorageType.float32, "f.nii"), (.int16, "i.nii.gz"), (.uint8, "u.nii.gz")] {
            let url = folder.appendingPathComponent(name)
            try NIfTI.write(volume, spacing: [2.5, 0.8, 0.7], as: type, to: url)
            let read = try NIfTI.read(url)
            XCTAssertEqual(read.image.shape, [3, 4, 5, 1])
            XCTAssertEqual(read.spacing, [2.5, 0.8, 0.7])
            let expected = type == .uint8 ? volume.values.map { max(0, min(255, $0)) } : volume.values
            XCTAssertEqual(read.image.values, expected, "\(type)")
        }
    }

    /// Writes a header by hand: big-endian int16 with slope and intercept, and float64.
    func testBigEndianScalingAndFloat64() throws {
        var header = [UInt8](try NIfTI.encode(ImageArray(repeating: 0, shape: [1, 1, 2, 1]), as: .int16, compress: false).prefix(352))
        func swap(_ at: Int, _ size: Int) { header[at..<(at + size)].reverse() }
        // Make it big-endian: every field read by the reader is swapped.
        swap(0, 4)
        for i in 0..<8 { swap(40 + 2 * i, 2) }
        swap(70, 2); swap(72, 2)
        for i in 0..<8 { swap(76 + 4 * i, 4) }
        swap(108, 4)
        let slope = Float(2).bitPattern.bigEndian, intercept = Float(-1024).bitPattern.bigEndian
        withUnsafeBytes(of: slope) { header.replaceSubrange(112..<116, with: $0) }
        withUnsafeBytes(of: intercept) { header.replaceSubrange(116..<120, with: $0) }
        let data = Data(header + [0x01, 0x00, 0xFF, 0xFF])  // 256 and -1, big-endian
        let read = try NIfTI.decode(data, source: "big.nii")
        XCTAssertEqual(read.image.values, [256 * 2 - 1024, -2 - 1024])

        var little = [UInt8](try NIfTI.encode(ImageArray(repeating: 0, shape: [1, 1, 2, 1]), compress: false).prefix(352))
        little[70] = 64; little[71] = 0; little[72] = 64; little[73] = 0
        let values: [Double] = [1.5, -3.25]
        let body = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        XCTAssertEqual(try NIfTI.decode(Data(little + body)).image.values, [1.5, -3.25])
    }

    func testBrokenHeadersAreErrorsNamingTheFile() throws {
        let folder = temporaryFolder()
        let good = try NIfTI.encode(volume, compress: false)
        let cases: [(String, Data)] = [
            ("short.nii", good.prefix(100)),
            ("sizeof.nii", { var d = good; d[0] = 7; return d }()),
            ("magic.nii", { var d = good; d[344] = UInt8(ascii: "x"); return d }()),
            ("dims.nii", { var d = good; d[40] = 9; return d }()),
            ("datatype.nii", { var d = good; d[70] = 32; return d }()),  // complex64
            ("truncated.nii", good.prefix(good.count - 10)),
            ("truncated.nii.gz", try Gzip.compress(good).prefix(80)),
        ]
        for (name, data) in cases {
            let url = folder.appendingPathComponent(name)
            try data.write(to: url)
            assertDataError([url.path]) { _ = try NIfTI.read(url) }
        }
    }

    func testFuzzedNIfTINeverCrashes() throws {
        let plain = try NIfTI.encode(volume, as: .int16, compress: false)
        let packed = try NIfTI.encode(volume, compress: true)
        var random = RandomGenerator(seed: 5)
        for round in 0..<300 {
            var data = Fuzz.mutate(round % 2 == 0 ? plain : packed, &random)
            if round % 3 == 0 && round % 2 == 0 && data.count > 120 {
                // Aim at the header fields that size the data.
                data[40 + random.nextInt(below: 80)] = UInt8(random.nextInt(below: 256))
            }
            do { _ = try NIfTI.decode(data, source: "fuzz") } catch is DataError {}
        }
    }
}
