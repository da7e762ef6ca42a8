import Foundation
import XCTest
import ZooCore
import ZooKeras
import ZooTestSupport

@testable import ZooKit

/// `zoo predict MODEL IMAGES` with a Keras file: the same probabilities as Keras's own
/// load_img, img_to_array, rescale and predict (Tests/Fixtures/keras_predict_reference.py).
final class ModelFilePredictionTests: XCTestCase {
    func testAKerasFilePredictsImageFilesAsKerasDoes() throws {
        let expectedURL = try fixtureFile("keras_predict", "expected.json", generator: "Tests/Fixtures/keras_predict_reference.py")
        let expected = try JSONDecoder().decode([String: [String: [Float]]].self, from: Data(contentsOf: expectedURL))
        let model = try fixtureFile("keras_weight_files", "small_cnn.keras", generator: "Tests/Fixtures/keras_weight_files.py")
        let images = expectedURL.deletingLastPathComponent().appendingPathComponent("images")
        for interpolation in ["bilinear", "nearest"] {
            let pipeline = FileModelPipeline(
                channels: 3, interpolation: try XCTUnwrap(.init(rawValue: interpolation)),
                preprocessing: try .init(parsing: "rescale:0.00392156862745098"), classes: ["benign", "malignant"])
            let result = try ModelFilePrediction.predict(model: ImportedModel(contentsOf: model), inputs: [images], pipeline: pipeline)
            let reference = try XCTUnwrap(expected[interpolation])
            XCTAssertEqual(result.ids.count, reference.count)
            // Pillow's pixels exactly (PillowResizeTests); the rest is float rounding in the network.
            let tolerance: Float = 1e-5
            for (id, outputs) in zip(result.ids, result.outputs) {
                let keras = try XCTUnwrap(reference[URL(fileURLWithPath: id).lastPathComponent], id)
                for (ours, theirs) in zip(outputs, keras) {
                    XCTAssertEqual(ours, theirs, accuracy: tolerance, "\(interpolation) \(id)")
                }
            }
            XCTAssertTrue(result.header.contains("Pillow \(interpolation) resize to 32x32") && result.header.contains("rescale"), result.header)
            XCTAssertTrue(result.csv.hasPrefix("id,predicted,p_benign,p_malignant\n"), result.csv)
            XCTAssertTrue(try result.json().contains("\"predicted\""))
        }
    }

    /// Wrong requests name the file and what does not fit.
    func testRequestsTheModelCannotTakeAreErrors() throws {
        let model = try fixtureFile("keras_weight_files", "small_cnn.keras", generator: "Tests/Fixtures/keras_weight_files.py")
        let images = try fixtureFile("keras_predict", "expected.json", generator: "Tests/Fixtures/keras_predict_reference.py")
            .deletingLastPathComponent().appendingPathComponent("images")
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: ImportedModel(contentsOf: model), inputs: [images], pipeline: FileModelPipeline(channels: 1))) { error in
            XCTAssertTrue("\(error)".contains("small_cnn.keras") && "\(error)".contains("3 channels"), "\(error)")
        }
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: ImportedModel(contentsOf: model), inputs: [images], pipeline: FileModelPipeline(size: [40, 40]))) { error in
            XCTAssertTrue("\(error)".contains("takes 32x32") && "\(error)".contains("40x40"), "\(error)")
        }
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: ImportedModel(contentsOf: model), inputs: [images], pipeline: FileModelPipeline(classes: ["a", "b", "c"]))) { error in
            XCTAssertTrue("\(error)".contains("3 classes") && "\(error)".contains("2 values"), "\(error)")
        }
        XCTAssertThrowsError(try FileModelPipeline.Preprocessing(parsing: "rescale:x")) { error in
            XCTAssertTrue("\(error)".contains("rescale:SCALE"), "\(error)")
        }
    }
}
