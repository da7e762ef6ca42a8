import Foundation
import XCTest
import ZooCore
import ZooTensor
@testable import ZooData

/// A fresh temporary folder per test.
func temporaryFolder(_ name: String = #function) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("zoo-data-tests-\(ProcessInfo.processInfo.processIdentifier)")
        .appendingPathComponent(name.filter { $0.isLetter || $0.isNumber })
    try? FileManager.default.removeItem(at: url)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A smooth test pattern (JPEG-friendly), values 0-255.
func pattern(height: Int, width: Int, channels: Int) -> ImageArray {
    var values: [Float] = []
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<channels { values.append(Float((x * 4 + y * 2 + c * 60) % 256)) }
        }
    }
    return ImageArray(shape: [height, width, channels], values: values)
}

/// A PNG assembled chunk by chunk, for colour types the writer does not produce.
func rawPNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]], palette: [UInt8]? = nil,
            transparency: [UInt8]? = nil) -> Data {
    func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return be32(UInt32(body.count)) + typed + be32(Gzip.crc(typed))
    }
    var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    bytes += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
    if let palette { bytes += chunk("PLTE", palette) }
    if let transparency { bytes += chunk("tRNS", transparency) }
    bytes += chunk("IDAT", Gzip.zlibCompress(rows.flatMap { [0] + $0 }))
    bytes += chunk("IEND", [])
    return Data(bytes)
}

/// Asserts that `body` throws an error of type `E` whose description contains every fragment.
func assertError<E: Error & CustomStringConvertible>(
    _ type: E.Type, _ fragments: [String], file: StaticString, line: UInt, _ body: () throws -> Void
) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let error as E {
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected a \(E.self), got \(error)", file: file, line: line)
    }
}

/// A DataError (the file or component, and what is wrong) mentioning every fragment.
func assertDataError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    assertError(DataError.self, fragments, file: file, line: line, body)
}

/// A ConfigError (the config file, the key path, and what is wrong) mentioning every fragment.
func assertConfigError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    assertError(ConfigError.self, fragments, file: file, line: line, body)
}
