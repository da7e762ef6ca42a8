import Foundation
import XCTest
import ZooCore
import ZooSmallCNN
import ZooTestSupport
@testable import ZooHDF5

/// `inspectWeightFile` on every format: what each file says about itself.
final class InspectTests: XCTestCase {
    func testEveryKerasFormat() throws {
        let expected: [String: [String]] = [
            "small_cnn.weights.h5": ["Keras 3 weights file", "conv2d_1"],
            "small_cnn.keras": ["Keras 3 archive", "keras_version: 3.", "model: Sequential", "conv2d_1"],
            "small_cnn.full.h5": ["Keras full-model file", "keras_version: 3.", "model: Sequential", "model_config"],
            "small_cnn.legacy.h5": ["Keras 2 weights file", "keras_version"],
            "small_cnn.keras2.h5": ["Keras 2 weights file", "keras_version: 2.15.0", "backend: tensorflow"],
        ]
        for (name, needles) in expected {
            let text = try inspectWeightFile(try kerasWeightFile(name))
            for needle in needles { XCTAssertTrue(text.contains(needle), "\(name) lacks '\(needle)':\n\(text)") }
        }
    }

    func testCheckpointTrainingState() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("checkpoint.h5")
        let model = try BuildContext.run(seed: 3) { try SmallCNN(inputShape: [32, 32, 1]) }
        try Checkpoint.save(model: model, to: url)
        let text = try inspectWeightFile(url)
        XCTAssertTrue(text.contains("Zoo checkpoint") && text.contains("training state: format_version 1"), text)
    }

    func testOtherHDF5FileIsListed() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("data.h5")
        let file = try HDF5File.create(url)
        try file.root.createDataset("images/x", floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try file.close()
        let text = try inspectWeightFile(url)
        XCTAssertTrue(text.contains("not a Keras weight file") && text.contains("images/x: [2, 3] float32"), text)
        XCTAssertThrowsError(try KerasWeights.load(into: try SmallCNN(inputShape: [32, 32, 1]), from: url))
    }

    func testPyTorchFileIsNamed() throws {
        let url = try parityFile("resnet18_torch.pth")
        let text = try inspectWeightFile(url)
        XCTAssertTrue(text.contains("PyTorch file") && text.contains("tools/torch_to_zoo.py"), text)
        XCTAssertThrowsError(try KerasWeights.load(into: try SmallCNN(inputShape: [32, 32, 3]), from: url)) {
            XCTAssertTrue("\($0)".contains("tools/torch_to_zoo.py"), "\($0)")
        }
    }
}
