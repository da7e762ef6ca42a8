import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-hdf5-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A file written by Tests/Fixtures/keras_weight_files.py, or a skip with the reason.
func kerasWeightFile(_ name: String) throws -> URL {
    let url = fixturesDirectory.appendingPathComponent("keras_weight_files/\(name)")
    guard FileManager.default.fileExists(atPath: url.path) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason = (try? String(contentsOf: reasonFile, encoding: .utf8))
            ?? "run Tests/Fixtures/keras_weight_files.py with the reference Python to generate it"
        print("SKIPPED: no Keras weight file \(url.path): \(reason)")
        throw XCTSkip("no Keras weight file \(name): \(reason)")
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

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// The fixture script's nested model: a functional backbone under a Dense head.
final class Backbone: Model {
    let input: InputLayer
    let conv: Conv2D
    let norm: BatchNormalization
    let pool: GlobalAveragePooling2D

    init(scoped: Bool) {
        input = InputLayer(shape: [16, 16, 3], name: "input_layer")
        conv = Conv2D(filters: 8, kernelSize: [3], inputChannels: 3, activation: .relu, name: "stem_conv")
        norm = BatchNormalization(channels: 8, name: "stem_bn")
        pool = GlobalAveragePooling2D(name: "pool")
        super.init(name: "backbone", isScope: scoped)
        for layer in [input, conv, norm, pool] as [Layer] { add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor { try pool(norm(conv(input(x)))) }
}

final class Classifier: Model {
    let backbone = Backbone(scoped: true)
    let head = Dense(units: 3, inputFeatures: 8, activation: .softmax, name: "head")

    init() {
        super.init(name: "classifier")
        add(backbone)
        add(head)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try head(backbone(x)) }
}
