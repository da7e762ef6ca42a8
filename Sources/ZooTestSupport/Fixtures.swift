import Foundation
import XCTest
import ZooCore
import ZooTensor

/// A fresh temporary folder, removed at the end of the test; with `ZOO_KEEP_TEST_FILES=1` it
/// is kept and its path printed, to look at what the test wrote (pictures, weight files).
public func temporaryFolder(_ test: XCTestCase, prefix: String = "zoo-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    if ProcessInfo.processInfo.environment["ZOO_KEEP_TEST_FILES"] == "1" {
        print("test files kept in \(url.path)")
    } else {
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    }
    return url
}

/// A file under the fixtures folder written by the script `generator`, or a skip with the
/// reason the test command recorded when it could not build the reference environment.
public func fixtureFile(_ subdirectory: String, _ name: String, generator: String) throws -> URL {
    let url = fixturesDirectory.appendingPathComponent("\(subdirectory)/\(name)")
    guard FileManager.default.fileExists(atPath: url.path) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason = (try? String(contentsOf: reasonFile, encoding: .utf8)) ?? "run \(generator) with the reference Python to generate it"
        print("SKIPPED: no fixture \(url.path): \(reason)")
        throw XCTSkip("no fixture \(subdirectory)/\(name): \(reason)")
    }
    return url
}

/// A float32 `.npy` array (numpy format 1.0/2.0, little-endian, C order).
public func readNumpy(_ url: URL) throws -> Tensor {
    let data = [UInt8](try Data(contentsOf: url))
    guard data.count > 10, data[0] == 0x93, Array(data[1...5]) == Array("NUMPY".utf8) else {
        throw ModelError("\(url.path): not an .npy file")
    }
    let major = data[6]
    let headerLength = major == 1 ? Int(data[8]) | Int(data[9]) << 8 : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
    let start = major == 1 ? 10 : 12
    let header = String(decoding: data[start..<start + headerLength], as: UTF8.self)
    guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False") else {
        throw ModelError("\(url.path): expected little-endian float32 in C order, header \(header)")
    }
    let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let body = Array(data[(start + headerLength)...])
    let values = body.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(shape.reduce(1, *))) }
    return try Tensor(shape: shape, scalars: values)
}


/// Writes `tensor` as a float32 `.npy` file (format 1.0, little-endian, C order), for the
/// reference frameworks to read what Zoo computed.
public func writeNumpy(_ tensor: Tensor, to url: URL) throws {
    let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.shape.count == 1 ? "," : "")
    var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
    // The magic, version and length take 10 bytes; the header ends in a newline and pads the
    // whole preamble to a multiple of 64.
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    let length = UInt16(header.utf8.count)
    data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
    data.append(contentsOf: Array(header.utf8))
    tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
    try data.write(to: url)
}
