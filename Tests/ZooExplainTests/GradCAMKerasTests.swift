import Foundation
import ModelZoo
import XCTest
import ZooTestSupport
import ZooCore
import ZooExplain
import ZooPlots
import ZooHDF5
import ZooNN
import ZooSmallCNN
import ZooTensor

/// Grad-CAM against TensorFlow's GradientTape on the same Keras models and weights
/// (Tests/Fixtures/gradcam_reference.py): channel weights, coarse maps and up-sampled
/// heat-maps must correlate at 0.99 or better.
final class GradCAMKerasTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let model: String
        let layer: String
        let requested: [Int]?
        let classes: [Int]
        let scores: [Float]
    }

    func model(_ kind: String) throws -> Model {
        switch kind {
        case "small_cnn": return try BuildContext.run(seed: 1) { try SmallCNN(inputShape: [32, 32, 3], classes: 2) }
        case "resnet50": return try ModelZoo.make("resnet50", ArchitectureOptions(classes: 3, inputShape: [96, 96, 3]))
        case "cnn3d": return BuildContext.run(seed: 1) { SmallCNN3D() }
        default: throw ModelError("unknown fixture model \(kind)")
        }
    }

    func testAgainstTensorFlow() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: try gradCAMFixture("cases.json")))
        var loaded = [String: (Model, Tensor)]()
        var compared = [String: Int]()
        for reference in cases {
            if loaded[reference.model] == nil {
                let model = try model(reference.model)
                let report = try KerasWeights.load(into: model, from: try gradCAMFixture("\(reference.model).weights.h5"))
                XCTAssertEqual(report.loaded.count, model.namedParameters.count, reference.model)
                loaded[reference.model] = (model, try readNumpy(try gradCAMFixture("\(reference.model).input.npy")))
            }
            let (model, input) = loaded[reference.model]!
            let maps = try GradCAM(model: model).explain(input, layer: reference.layer, classIndices: reference.requested)
            let coarse = try readNumpy(try gradCAMFixture("\(reference.name).coarse.npy"))
            let heatmaps = try readNumpy(try gradCAMFixture("\(reference.name).heatmap.npy"))
            let weights = try readNumpy(try gradCAMFixture("\(reference.name).weights.npy"))
            let (coarseCells, heatCells, channels) = (coarse.count / maps.count, heatmaps.count / maps.count, weights.count / maps.count)
            for (n, map) in maps.enumerated() {
                let label = "\(reference.name)[\(n)]"
                XCTAssertEqual(map.classIndex, reference.classes[n], label)
                XCTAssertEqual(map.scoreSource, .logit, label)
                XCTAssertEqual(map.score, reference.scores[n], accuracy: 1e-3 * max(1, abs(reference.scores[n])), label)
                let alpha = Array(weights.scalars[(n * channels)..<((n + 1) * channels)])
                XCTAssertGreaterThanOrEqual(correlation(map.channelWeights, alpha), 0.999, "\(label) channel weights")
                let theirCoarse = Array(coarse.scalars[(n * coarseCells)..<((n + 1) * coarseCells)])
                let theirHeat = Array(heatmaps.scalars[(n * heatCells)..<((n + 1) * heatCells)])
                XCTAssertEqual(map.coarse.values.count, theirCoarse.count, label)
                XCTAssertEqual(map.heatmap.values.count, theirHeat.count, label)
                let peak = theirCoarse.max() ?? 0
                let scale = map.channelWeights.map(abs).max() ?? 1
                if peak > 1e-4 * scale, Set(theirCoarse).count > 1 {
                    let rCoarse = correlation(map.coarse.values, theirCoarse)
                    let rHeat = correlation(map.heatmap.values, theirHeat)
                    XCTAssertGreaterThanOrEqual(rCoarse, 0.99, "\(label) coarse map")
                    XCTAssertGreaterThanOrEqual(rHeat, 0.99, "\(label) heat-map")
                    print("Grad-CAM parity \(label) layer \(reference.layer) class \(map.classIndex): r(coarse) \(rCoarse), r(heat-map) \(rHeat)")
                    compared[reference.model, default: 0] += 1
                } else {
                    // No positive evidence in TensorFlow's map: ours must be (numerically) empty too.
                    XCTAssertLessThanOrEqual(map.coarse.values.max() ?? 0, 1e-4 * max(peak, 1e-3), "\(label) should be empty")
                }
            }
        }
        for kind in ["small_cnn", "resnet50", "cnn3d"] {
            XCTAssertGreaterThan(compared[kind, default: 0], 0, "\(kind): no non-empty map compared")
        }
    }
}
