import Foundation
import XCTest
import ZooCore
import ZooNN

/// What keras.applications builds for one application, as Tests/Fixtures/keras_applications.py
/// wrote it: parameter counts and, in `model.layers` order, each layer's name, class and
/// weights.
public struct KerasApplicationFixture: Decodable {
    public struct Layer: Decodable {
        public let name: String
        public let `class`: String
        public let weights: [[WeightField]]
    }

    /// A weight entry is [name, shape]: a string then an array of integers.
    public enum WeightField: Decodable {
        case name(String)
        case shape([Int])

        public init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .name(text)
            } else {
                self = .shape(try container.decode([Int].self))
            }
        }
    }

    public let total: Int
    public let trainable: Int
    public let layers: [Layer]
}

/// Where the reference fixtures live: `ZOO_FIXTURES`, else ~/.cache/zoo/fixtures.
public var fixturesDirectory: URL {
    if let path = ProcessInfo.processInfo.environment["ZOO_FIXTURES"] { return URL(fileURLWithPath: path) }
    return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/zoo/fixtures")
}

/// Loads the Keras fixture of an application, or skips the test with the reason the test
/// command recorded when it could not build the reference environment.
public func kerasApplicationFixture(_ name: String) throws -> KerasApplicationFixture {
    let url = fixturesDirectory.appendingPathComponent("keras_applications/\(name).json")
    guard let data = try? Data(contentsOf: url) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason = (try? String(contentsOf: reasonFile, encoding: .utf8)) ?? "run scripts/test.sh to generate it"
        print("SKIPPED: no Keras fixture \(url.path): \(reason)")
        throw XCTSkip("no Keras fixture for \(name): \(reason)")
    }
    return try JSONDecoder().decode(KerasApplicationFixture.self, from: data)
}

/// Keras 3 names a DepthwiseConv2D's kernel `kernel` (SeparableConv2D keeps
/// `depthwise_kernel`); Zoo keeps the Keras 2 name of the HDF5 files for both.
func kerasWeightName(_ zooName: String, layerClass: String) -> String {
    zooName == "depthwise_kernel" && layerClass == "DepthwiseConv2D" ? "kernel" : zooName
}

/// Asserts that `model` has Keras's layers in Keras's order, with Keras's classes, weight
/// names and shapes, and Keras's parameter counts.
public func assertMatchesKeras(
    _ model: Module, _ fixture: KerasApplicationFixture, file: StaticString = #filePath, line: UInt = #line
) {
    let ours = model.layers
    let counts = model.parameterCounts
    XCTAssertEqual(counts.total, fixture.total, "total parameters", file: file, line: line)
    XCTAssertEqual(counts.trainable, fixture.trainable, "trainable parameters", file: file, line: line)
    XCTAssertEqual(ours.count, fixture.layers.count, "layer count", file: file, line: line)
    for (index, (layer, reference)) in zip(ours, fixture.layers).enumerated() {
        guard layer.name == reference.name, layer.kerasClassName == reference.class else {
            XCTFail(
                "layer \(index): Zoo has \(layer.name) (\(layer.kerasClassName)), Keras \(reference.name) (\(reference.class))",
                file: file, line: line)
            return
        }
        let ourWeights = layer.parameters.map { "\(kerasWeightName($0.name, layerClass: layer.kerasClassName)) \($0.value.shape)" }
        let theirWeights = reference.weights.map { fields -> String in
            var name = ""
            var shape = [Int]()
            for field in fields {
                switch field {
                case .name(let text): name = text
                case .shape(let extents): shape = extents
                }
            }
            return "\(name) \(shape)"
        }
        XCTAssertEqual(ourWeights, theirWeights, "weights of layer \(layer.name)", file: file, line: line)
    }
}
