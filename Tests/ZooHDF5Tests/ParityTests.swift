import Foundation
import ModelZoo
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport
@testable import ZooHDF5
import ZooKeras

/// A file written by Tests/Fixtures/parity_fixtures.py, or a skip with the reason.
func parityFile(_ name: String) throws -> URL {
    let url = fixturesDirectory.appendingPathComponent("parity/\(name)")
    guard FileManager.default.fileExists(atPath: url.path) else {
        let reasonFile = fixturesDirectory.appendingPathComponent("UNAVAILABLE")
        let reason = (try? String(contentsOf: reasonFile, encoding: .utf8))
            ?? "run scripts/reference-env.sh (Tests/Fixtures/parity_fixtures.py) to generate it"
        print("SKIPPED: no parity fixture \(url.path): \(reason)")
        throw XCTSkip("no parity fixture \(name): \(reason)")
    }
    return url
}

/// max |a - b| / max |b|: a difference relative to the reference's largest magnitude.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    let scale = b.scalars.map(abs).max() ?? 0
    return maxDifference(a, b) / Swift.max(scale, 1e-30)
}

/// Parity with the real frameworks: every Keras classification variant of the catalog and
/// torchvision's ResNet18/34, built with seeded random weights and random batch norm
/// statistics by Tests/Fixtures/parity_fixtures.py, loaded into `ModelZoo.make(name)`:
/// softmax within 1e-4 absolute, logits (or pooled features) within 1e-3 of their largest
/// magnitude. Run alone: `swift test -c release --filter ZooHDF5Tests.ParityTests`.
final class ParityTests: XCTestCase {
    /// name: (input extent, whether the top is built). VGG's 224x224-only top is left out
    /// (include_top=False, pooling="avg"), see parity_fixtures.py.
    static let keras: [String: (extent: Int, top: Bool)] = [
        "resnet50": (32, true), "resnet101": (32, true), "resnet152": (32, true),
        "vgg16": (32, false), "vgg19": (32, false), "densenet121": (32, true), "densenet201": (32, true),
        "mobilenetv2": (32, true), "inceptionv3": (75, true), "inceptionresnetv2": (75, true), "xception": (71, true),
    ]
    static let classes = 10

    func options(_ name: String) -> ArchitectureOptions {
        let (extent, top) = Self.keras[name] ?? (64, true)
        return top
            ? ArchitectureOptions(classes: Self.classes, inputShape: [extent, extent, 3], classifierActivation: .linear)
            : ArchitectureOptions(includeTop: false, inputShape: [extent, extent, 3], pooling: .average)
    }

    /// Loads `file` into a fresh `variant` and compares its output on the fixture's input.
    func check(variant: String, file: String, fixture: String, options: ArchitectureOptions, top: Bool) throws {
        let url = try parityFile(file)
        let input = try readNumpy(try parityFile("\(fixture).input.npy"))
        let model = try ModelZoo.make(variant, options)
        let report = try KerasWeights.load(into: model, from: url)
        XCTAssertEqual(report.loaded.count, model.namedParameters.count, "\(file): \(report)")
        model.setTraining(false)
        let output = try model(input)
        if top {
            let logits = try readNumpy(try parityFile("\(fixture).logits.npy"))
            let softmax = try readNumpy(try parityFile("\(fixture).softmax.npy"))
            XCTAssertEqual(output.shape, logits.shape, file)
            let relative = relativeDifference(output, logits)
            let absolute = maxDifference(try output.softmax(), softmax)
            print("parity \(file): logits \(relative) relative, softmax \(absolute) absolute")
            XCTAssertLessThanOrEqual(relative, 1e-3, "\(file): logits")
            XCTAssertLessThanOrEqual(absolute, 1e-4, "\(file): softmax")
        } else {
            let features = try readNumpy(try parityFile("\(fixture).features.npy"))
            XCTAssertEqual(output.shape, features.shape, file)
            let relative = relativeDifference(output, features)
            print("parity \(file): features \(relative) relative")
            XCTAssertLessThanOrEqual(relative, 1e-3, "\(file): features")
        }
    }

    /// Both Keras files of a variant: Keras 3 `.weights.h5` and the Keras 2 layout.
    func checkKeras(_ name: String) throws {
        let top = Self.keras[name]!.top
        for suffix in ["weights.h5", "keras2.h5"] {
            try check(variant: name, file: "\(name).\(suffix)", fixture: name, options: options(name), top: top)
        }
    }

    func testResNet50() throws { try checkKeras("resnet50") }
    func testResNet101() throws { try checkKeras("resnet101") }
    func testResNet152() throws { try checkKeras("resnet152") }
    func testVGG16() throws { try checkKeras("vgg16") }
    func testVGG19() throws { try checkKeras("vgg19") }
    func testDenseNet121() throws { try checkKeras("densenet121") }
    func testDenseNet201() throws { try checkKeras("densenet201") }
    func testMobileNetV2() throws { try checkKeras("mobilenetv2") }
    func testInceptionV3() throws { try checkKeras("inceptionv3") }
    func testInceptionResNetV2() throws { try checkKeras("inceptionresnetv2") }
    func testXception() throws { try checkKeras("xception") }

    /// torchvision's ResNet18/34 state_dict through tools/torch_to_zoo.py, against PyTorch.
    func checkTorch(_ name: String) throws {
        let options = ArchitectureOptions(classes: Self.classes, inputShape: [64, 64, 3], classifierActivation: .linear)
        try check(variant: name, file: "\(name)_torch.h5", fixture: "\(name)_torch", options: options, top: true)
    }

    func testTorchvisionResNet18() throws { try checkTorch("resnet18") }
    func testTorchvisionResNet34() throws { try checkTorch("resnet34") }
}

/// Whole-model import (`KerasModelImport`) against Keras.
final class ModelImportTests: XCTestCase {
    /// A keras.applications MobileNetV2 backbone called as one layer under a custom head
    /// (GlobalAveragePooling2D, Dense, Dropout, Dense softmax), from `.keras` and full `.h5`.
    func testBackboneUnderCustomHead() throws {
        let input = try readNumpy(try parityFile("head_model.input.npy"))
        let expected = try readNumpy(try parityFile("head_model.output.npy"))
        for name in ["head_model.keras", "head_model.full.h5"] {
            let (model, report) = try KerasModelImport.load(try parityFile(name))
            XCTAssertEqual(report.loaded.count, model.namedParameters.count, name)
            XCTAssertTrue(report.missing.isEmpty && report.unexpected.isEmpty, "\(name): \(report)")
            XCTAssertEqual(model.name, "head_model")
            XCTAssertEqual(model.children.map(\.name), ["image", "mobilenetv2_1.00_32", "pool", "hidden", "dropout", "classes"])
            XCTAssertTrue(model.parameter(at: "mobilenetv2_1.00_32/Conv1/kernel") != nil, name)
            let output = try model(input)
            XCTAssertEqual(output.shape, expected.shape, name)
            let difference = maxDifference(output, expected)
            print("model import \(name): \(difference) absolute")
            XCTAssertLessThanOrEqual(difference, 1e-4, name)
        }
    }

    /// The small Keras models of keras_weight_files.py: Sequential with automatic names and
    /// a nested functional model, from `.keras` and full `.h5`.
    func testSequentialAndNestedModels() throws {
        for fixture in ["small_cnn", "nested"] {
            let input = try readNumpy(try kerasWeightFile("\(fixture).input.npy"))
            let expected = try readNumpy(try kerasWeightFile("\(fixture).output.npy"))
            for name in ["\(fixture).keras", "\(fixture).full.h5"] {
                let (model, _) = try KerasModelImport.load(try kerasWeightFile(name))
                XCTAssertLessThanOrEqual(maxDifference(try model(input), expected), 1e-4, name)
            }
        }
    }

    func testUnsupportedLayerIsNamed() throws {
        let config = """
            {"class_name": "Sequential", "config": {"name": "s", "layers": [
              {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [null, 8, 8, 3]}},
              {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "activation": "relu"}},
              {"class_name": "LSTM", "config": {"name": "recurrent", "units": 4}}]}}
            """
        XCTAssertThrowsError(try KerasModelImport.build(config: Data(config.utf8))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("LSTM") && text.contains("recurrent"), text)
        }
    }

    func testTFKeras2FunctionalConfig() throws {
        // tf-keras 2's inbound_nodes form: [[[name, node, tensor, kwargs], ...]].
        let config = """
            {"class_name": "Functional", "config": {"name": "m", "layers": [
              {"class_name": "InputLayer", "name": "x", "config": {"name": "x", "batch_input_shape": [null, 6, 6, 2]}, "inbound_nodes": []},
              {"class_name": "Conv2D", "name": "a", "config": {"name": "a", "filters": 3, "kernel_size": [3, 3], "padding": "same", "activation": "linear"},
               "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Conv2D", "name": "b", "config": {"name": "b", "filters": 3, "kernel_size": [1, 1], "activation": "linear"},
               "inbound_nodes": [[["x", 0, 0, {}]]]},
              {"class_name": "Add", "name": "sum", "config": {"name": "sum"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]},
              {"class_name": "GlobalMaxPooling2D", "name": "pool", "config": {"name": "pool"}, "inbound_nodes": [[["sum", 0, 0, {}]]]},
              {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2, "activation": "softmax"}, "inbound_nodes": [[["pool", 0, 0, {}]]]}],
              "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]]}}
            """
        let model = try KerasModelImport.build(config: Data(config.utf8))
        XCTAssertEqual(model.children.map(\.name), ["x", "a", "b", "sum", "pool", "out"])
        let output = try model(Tensor(shape: [2, 6, 6, 2], scalars: (0..<144).map { Float($0) / 144 }))
        XCTAssertEqual(output.shape, [2, 2])
    }

    func testWeightsOnlyFileIsNotAModel() throws {
        XCTAssertThrowsError(try KerasModelImport.load(try kerasWeightFile("small_cnn.keras2.h5"))) { error in
            XCTAssertTrue("\(error)".contains("model_config"), "\(error)")
        }
    }
}
