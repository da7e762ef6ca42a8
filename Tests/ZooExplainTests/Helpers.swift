import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

/// A fresh temporary folder, removed at the end of the test (kept with ZOO_KEEP_EXPLAIN=1,
/// which prints its path, to look at the pictures).
func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-explain-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    if ProcessInfo.processInfo.environment["ZOO_KEEP_EXPLAIN"] == "1" {
        print("ZooExplain test output: \(url.path)")
    } else {
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    }
    return url
}

/// A file written by Tests/Fixtures/gradcam_reference.py, or a skip with the reason.
func gradCAMFixture(_ name: String) throws -> URL {
    let url = fixturesDirectory.appendingPathComponent("gradcam/\(name)")
    guard FileManager.default.fileExists(atPath: url.path) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason = (try? String(contentsOf: reasonFile, encoding: .utf8))
            ?? "run Tests/Fixtures/gradcam_reference.py with the reference Python to generate it"
        print("SKIPPED: no Grad-CAM fixture \(url.path): \(reason)")
        throw XCTSkip("no Grad-CAM fixture \(name): \(reason)")
    }
    return url
}

/// A float32 `.npy` array (numpy format 1.0/2.0, little-endian, C order).
func readNumpy(_ url: URL) throws -> Tensor {
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

/// Pearson correlation of two equally long arrays (nan when either is constant).
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let (ma, mb) = (a.reduce(0.0) { $0 + Double($1) } / n, b.reduce(0.0) { $0 + Double($1) } / n)
    var (sab, saa, sbb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
        let (dx, dy) = (Double(x) - ma, Double(y) - mb)
        sab += dx * dy
        saa += dx * dx
        sbb += dy * dy
    }
    return sab / (saa * sbb).squareRoot()
}

/// The fixture script's 3D CNN: Conv3D 8, BatchNormalization, MaxPooling3D, Conv3D 16,
/// GlobalAveragePooling3D, Dense classes softmax; Keras's automatic names.
final class SmallCNN3D: Model {
    let conv1: Conv3D
    let norm: BatchNormalization
    let pool: MaxPooling3D
    let conv2: Conv3D
    let global: GlobalAveragePooling3D
    let classifier: Dense

    init(channels: Int = 1, classes: Int = 2) {
        (conv1, norm, pool, conv2, global, classifier) = BuildContext.freshNames {
            (Conv3D(filters: 8, kernelSize: [3], inputChannels: channels, activation: .relu),
             BatchNormalization(channels: 8), MaxPooling3D(poolSize: [2]),
             Conv3D(filters: 16, kernelSize: [3], inputChannels: 8, activation: .relu),
             GlobalAveragePooling3D(), Dense(units: classes, inputFeatures: 16, activation: .softmax))
        }
        super.init(name: "sequential")
        for layer in [conv1, norm, pool, conv2, global, classifier] as [Layer] { add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        try classifier(global(conv2(pool(norm(conv1(x))))))
    }
}
