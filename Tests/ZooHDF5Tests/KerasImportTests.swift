import Foundation
import XCTest
import ZooTestSupport
import ZIPFoundation
import ZooCore
import ZooNN
import ZooSmallCNN
import ZooTensor
@testable import ZooHDF5

/// Real Keras-written files (Tests/Fixtures/keras_weight_files.py) into Zoo models: outputs
/// must equal Keras's.
final class KerasImportTests: XCTestCase {
    static let smallCNNFiles = ["small_cnn.weights.h5", "small_cnn.keras", "small_cnn.full.h5", "small_cnn.legacy.h5", "small_cnn.keras2.h5"]
    static let nestedFiles = ["nested.weights.h5", "nested.keras", "nested.full.h5", "nested.legacy.h5", "nested.keras2.h5"]
    static let expectedFormats: [String: KerasFileFormat] = [
        "weights.h5": .keras3Weights, "keras": .kerasArchive, "full.h5": .kerasFullModel, "legacy.h5": .keras2Weights, "keras2.h5": .keras2Weights,
    ]

    func smallCNN(channels: Int = 3, classes: Int = 2) throws -> SmallCNN {
        try BuildContext.run(seed: 7) { try SmallCNN(inputShape: [32, 32, channels], classes: classes) }
    }

    func testSmallCNNFromEveryFormat() throws {
        let input = try readNumpy(try kerasWeightFile("small_cnn.input.npy"))
        let expected = try readNumpy(try kerasWeightFile("small_cnn.output.npy"))
        for name in Self.smallCNNFiles {
            let model = try smallCNN()
            let report = try KerasWeights.load(into: model, from: try kerasWeightFile(name))
            XCTAssertEqual(report.format, Self.expectedFormats[name.split(separator: ".", maxSplits: 1)[1].description], name)
            XCTAssertEqual(report.loaded.count, model.namedParameters.count, name)
            XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty && report.mismatched.isEmpty, "\(name): \(report)")
            let difference = maxDifference(try model(input), expected)
            XCTAssertLessThan(difference, 1e-4, name)
        }
    }

    func testNestedModelFromEveryFormat() throws {
        let input = try readNumpy(try kerasWeightFile("nested.input.npy"))
        let expected = try readNumpy(try kerasWeightFile("nested.output.npy"))
        for name in Self.nestedFiles {
            let model = Classifier()
            let report = try KerasWeights.load(into: model, from: try kerasWeightFile(name))
            XCTAssertEqual(report.loaded.sorted(), model.namedParameters.map(\.path).sorted(), name)
            XCTAssertLessThan(maxDifference(try model(input), expected), 1e-4, name)
        }
    }

    /// A backbone without its top, from a file with one: the head is reported, not fatal,
    /// when unexpected weights are allowed; fatal by default.
    func testBackboneWithoutTop() throws {
        for name in ["nested.keras2.h5", "nested.keras"] {
            let url = try kerasWeightFile(name)
            let backbone = Backbone(scoped: false)
            let options = WeightLoadOptions(allowUnexpected: true, prefixMap: [.init(from: "backbone/", to: "")])
            let report = try KerasWeights.load(into: backbone, from: url, options: options)
            XCTAssertEqual(report.loaded.count, 6, name)
            XCTAssertEqual(report.unexpected.count, 2, "\(name): \(report)")
            XCTAssertThrowsError(try KerasWeights.load(into: Backbone(scoped: false), from: url, options: .init(prefixMap: options.prefixMap))) {
                XCTAssertTrue("\($0)".contains("unexpected"), "\($0)")
            }
        }
        // Keras 3 class keys: the nested model's key is `functional`.
        let report = try KerasWeights.load(
            into: Backbone(scoped: false), from: try kerasWeightFile("nested.weights.h5"),
            options: .init(allowUnexpected: true, prefixMap: [.init(from: "functional/", to: "")]))
        XCTAssertEqual(report.loaded.count, 6)
        XCTAssertEqual(report.unexpected, ["layers/dense/vars/0", "layers/dense/vars/1"])
    }

    /// A 1-channel model takes an RGB first convolution summed over its input channels.
    func testFirstConvolutionSummedForOneChannel() throws {
        let url = try kerasWeightFile("small_cnn.keras2.h5")
        let rgb = try smallCNN()
        try KerasWeights.load(into: rgb, from: url)
        let gray = try smallCNN(channels: 1)
        XCTAssertThrowsError(try KerasWeights.load(into: gray, from: url))
        let report = try KerasWeights.load(into: gray, from: url, options: .init(firstConvolution: "conv2d"))
        XCTAssertEqual(report.adapted.count, 1)
        let kernel = rgb.parameter(at: "conv2d/kernel")!.value.scalars
        let summed = gray.parameter(at: "conv2d/kernel")!.value.scalars
        for tap in 0..<9 {
            for output in 0..<32 {
                let expected = (0..<3).reduce(Float(0)) { $0 + kernel[(tap * 3 + $1) * 32 + output] }
                XCTAssertEqual(summed[tap * 32 + output], expected, accuracy: 1e-6)
            }
        }
        // A gray image gives the RGB model's output.
        let image = Tensor(repeating: 0.3, shape: [1, 32, 32, 1])
        let image3 = Tensor(repeating: 0.3, shape: [1, 32, 32, 3])
        XCTAssertLessThan(maxDifference(try gray(image), try rgb(image3)), 1e-4)
    }

    func testShapeMismatchIsAnErrorUnlessSkipped() throws {
        let url = try kerasWeightFile("small_cnn.weights.h5")
        let model = try smallCNN(classes: 3)
        let before = model.parameter(at: "conv2d/kernel")!.value.scalars
        XCTAssertThrowsError(try KerasWeights.load(into: model, from: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(url.path), text)
            XCTAssertTrue(text.contains("layers/dense_1/vars/0") && text.contains("layers/dense_1/vars/1"), text)
        }
        // Nothing was half-loaded.
        XCTAssertEqual(model.parameter(at: "conv2d/kernel")!.value.scalars, before)
        let report = try KerasWeights.load(into: model, from: url, options: .init(skipMismatch: true))
        XCTAssertEqual(report.mismatched.map(\.path), ["dense_1/kernel", "dense_1/bias"])
        XCTAssertNotEqual(model.parameter(at: "conv2d/kernel")!.value.scalars, before)
    }

    func testLayerNamesMatchingNothing() throws {
        let url = try kerasWeightFile("small_cnn.keras2.h5")
        let other = Sequential(name: "other", [Dense(units: 2, inputFeatures: 3, name: "logits")])
        XCTAssertThrowsError(try KerasWeights.load(into: other, from: url, options: .init(strict: false))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no weight of the file matches the model") && text.contains(url.path), text)
            XCTAssertTrue(text.contains("conv2d_1"), text)
        }
    }

    func testKerasArchiveWithoutWeights() throws {
        let folder = try temporaryFolder(self)
        let source = try Archive(url: try kerasWeightFile("small_cnn.keras"), accessMode: .read)
        let broken = folder.appendingPathComponent("broken.keras")
        let archive = try Archive(url: broken, accessMode: .create)
        for entry in source where entry.path != "model.weights.h5" {
            var data = Data()
            _ = try source.extract(entry) { data.append($0) }
            try archive.addEntry(with: entry.path, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        XCTAssertThrowsError(try KerasWeights.load(into: try smallCNN(), from: broken)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(broken.path) && text.contains("model.weights.h5: missing"), text)
        }
    }

    func testTruncatedFile() throws {
        let folder = try temporaryFolder(self)
        let data = try Data(contentsOf: try kerasWeightFile("small_cnn.keras2.h5"))
        let truncated = folder.appendingPathComponent("truncated.h5")
        try data.prefix(data.count / 2).write(to: truncated)
        XCTAssertThrowsError(try KerasWeights.load(into: try smallCNN(), from: truncated)) { error in
            XCTAssertTrue("\(error)".contains(truncated.path), "\(error)")
        }
    }

    func testInspect() throws {
        let text = try inspectWeightFile(try kerasWeightFile("nested.keras"))
        XCTAssertTrue(text.contains("Keras 3 archive"), text)
        XCTAssertTrue(text.contains("backbone/stem_conv"), text)
        XCTAssertTrue(text.contains("[3, 3, 3, 8] float32"), text)
        let legacy = try inspectWeightFile(try kerasWeightFile("small_cnn.keras2.h5"))
        XCTAssertTrue(legacy.contains("Keras 2 weights file") && legacy.contains("max_pooling2d (no weights)"), legacy)
        print(legacy)
    }

    /// Export -> the exact Keras 2 layout (as the hand-written tf-keras layout fixture has it)
    /// -> import gives the same outputs.
    func testExportRoundTrip() throws {
        let folder = try temporaryFolder(self)
        for (kind, build) in [("small_cnn", { try self.smallCNN() as Model }), ("nested", { Classifier() as Model })] {
            let input = try readNumpy(try kerasWeightFile("\(kind).input.npy"))
            let expected = try readNumpy(try kerasWeightFile("\(kind).output.npy"))
            let model = try build()
            try KerasWeights.load(into: model, from: try kerasWeightFile("\(kind).weights.h5"))
            let exported = folder.appendingPathComponent("\(kind).exported.h5")
            try KerasWeights.exportKeras2(model, to: exported)
            // For the Keras-side check (`keras_weight_files.py check-export`): the export, and
            // a checkpoint, whose `zoo_training` group Keras must ignore.
            if let keep = ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"] {
                let keepFolder = URL(fileURLWithPath: keep)
                try FileManager.default.createDirectory(at: keepFolder, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(at: keepFolder.appendingPathComponent("\(kind).zoo-export.h5"))
                try FileManager.default.copyItem(at: exported, to: keepFolder.appendingPathComponent("\(kind).zoo-export.h5"))
                try Checkpoint.save(
                    model: model, optimizer: try Adam(), training: TrainingState(epoch: 3, config: "{}"),
                    to: keepFolder.appendingPathComponent("\(kind).zoo-checkpoint.h5"))
            }

            let reference = try HDF5File.open(try kerasWeightFile("\(kind).keras2.h5")).root
            let ours = try HDF5File.open(exported).root
            XCTAssertEqual(try ours.stringsAttribute("layer_names"), try reference.stringsAttribute("layer_names"))
            XCTAssertEqual(try ours.attributeInfo("layer_names").type, .string(variableLength: false))
            XCTAssertEqual(try ours.memberNames(), try reference.memberNames())
            for layer in try reference.stringsAttribute("layer_names") {
                let names = try ours.group(layer).stringsAttribute("weight_names")
                XCTAssertEqual(names, try reference.group(layer).stringsAttribute("weight_names"), layer)
                for name in names {
                    XCTAssertEqual(try ours.group(layer).dataset(name).readFloats(), try reference.group(layer).dataset(name).readFloats())
                }
            }
            XCTAssertEqual(try ours.stringAttribute("backend"), "tensorflow")

            let back = try build()
            let report = try KerasWeights.load(into: back, from: exported)
            XCTAssertEqual(report.format, .keras2Weights)
            XCTAssertLessThan(maxDifference(try back(input), expected), 1e-4, kind)
        }
    }

    /// Keras automatic names from another session (`conv2d_5`) pair with Zoo's by class order.
    func testAutomaticNamesPairByClassOrder() throws {
        let folder = try temporaryFolder(self)
        let written = BuildContext.run(seed: 1) {
            Sequential(name: "a", [Conv2D(filters: 2, kernelSize: [1], inputChannels: 1, name: "conv2d_5"), Dense(units: 2, inputFeatures: 2, name: "dense_9")])
        }
        let url = folder.appendingPathComponent("auto.h5")
        try KerasWeights.exportKeras2(written, to: url)
        let target = BuildContext.run(seed: 2) {
            Sequential(name: "b", [Conv2D(filters: 2, kernelSize: [1], inputChannels: 1, name: "conv2d"), Dense(units: 2, inputFeatures: 2, name: "dense")])
        }
        let report = try KerasWeights.load(into: target, from: url)
        XCTAssertEqual(report.renamedLayers.map(\.file), ["conv2d_5", "dense_9"])
        XCTAssertEqual(target.parameter(at: "dense/kernel")!.value.scalars, written.parameter(at: "dense_9/kernel")!.value.scalars)
    }
}
