import XCTest
import ZooCore
import ZooNN
import ZooTensor

@testable import ZooSmallCNN

final class SmallCNNTests: XCTestCase {
    /// The same network in Keras (Sequential, 124x124x1: Conv2D(32/64/64, 3, relu) +
    /// BatchNormalization + MaxPooling2D each, Flatten, Dense(128, relu), Dropout(0.3),
    /// Dense(2, softmax)) reports Total 1,441,218, Trainable 1,440,898, Non-trainable 320.
    func testParameterCountMatchesKeras() throws {
        let model = try SmallCNN()
        let counts = model.parameterCounts
        XCTAssertEqual(counts.total, 1_441_218)
        XCTAssertEqual(counts.trainable, 1_440_898)
        XCTAssertEqual(counts.nonTrainable, 320)
        XCTAssertEqual(model.layers.map(\.name), [
            "conv2d", "batch_normalization", "max_pooling2d", "conv2d_1", "batch_normalization_1",
            "max_pooling2d_1", "conv2d_2", "batch_normalization_2", "max_pooling2d_2", "flatten", "dense",
            "dropout", "dense_1",
        ].map { $0 }, "automatic names as a fresh Keras program gives them")
        let summary = try ModelSummary(model, inputShape: [124, 124, 1])
        XCTAssertEqual(summary.rows.last?.outputShape, [2])
        XCTAssertEqual(summary.rows[9].outputShape, [13 * 13 * 64])
    }

    func testInputTooSmallIsRefused() {
        XCTAssertThrowsError(try SmallCNN(inputShape: [20, 20, 1])) { error in
            XCTAssertTrue("\(error)".contains("minimum is 22x22"), "\(error)")
        }
    }

    /// Discs (class 0) and rings (class 1), 32x32 with noise, 2:1 imbalanced.
    func makeImages(count: Int, random: inout RandomGenerator) throws -> (Tensor, [Int]) {
        let size = 32
        var pixels = [Float](repeating: 0, count: count * size * size)
        var labels = [Int]()
        for i in 0..<count {
            let ring = i % 3 == 2
            let radius = random.nextUniform(6, 11)
            let (cy, cx) = (random.nextUniform(12, 20), random.nextUniform(12, 20))
            for y in 0..<size {
                for x in 0..<size {
                    let r = ((Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)).squareRoot()
                    let inside = ring ? (r < radius && r > radius - 3) : r < radius
                    pixels[(i * size + y) * size + x] = (inside ? 1 : 0) + 0.35 * random.nextNormal()
                }
            }
            labels.append(ring ? 1 : 0)
        }
        return (try Tensor(shape: [count, size, size, 1], scalars: pixels), labels)
    }

    func testTrainsToNinetyFivePercentOnHeldOutShapes() throws {
        var random = RandomGenerator(seed: 2026)
        let (trainImages, trainLabels) = try makeImages(count: 300, random: &random)
        let (testImages, testLabels) = try makeImages(count: 150, random: &random)
        let model = try BuildContext.run(seed: 1) { try SmallCNN(inputShape: [32, 32, 1], softmax: false) }
        // Keras's momentum 0.99 needs some 450 steps before the moving statistics that
        // inference uses forget their initial (0, 1); this test trains 90, so it uses 0.9.
        for case let bn as BatchNormalization in model.layers { bn.momentum = 0.9 }
        // Keras's 'balanced' weights: n / (classes * count).
        let counts = [trainLabels.filter { $0 == 0 }.count, trainLabels.filter { $0 == 1 }.count]
        let weights = counts.map { Float(trainLabels.count) / Float(2 * $0) }
        let loss = try SoftmaxCrossEntropy(classWeights: weights)
        let optimizer = try Adam(learningRate: 1e-3)
        let batch = 20
        model.setTraining(true)
        for _ in 0..<6 {
            var order = Array(0..<trainLabels.count)
            order.shuffle(using: &random)
            for start in stride(from: 0, to: order.count, by: batch) {
                let indices = Array(order[start..<Swift.min(start + batch, order.count)])
                let images = try trainImages.gathered(indices, axis: 0)
                let labels = try Tensor(shape: [indices.count], scalars: indices.map { Float(trainLabels[$0]) })
                model.zeroGradients()
                try loss(model(images), labels).backward()
                try optimizer.step(model.trainableParameters)
            }
        }
        model.setTraining(false)
        let predicted = try withoutGrad { try model(testImages).argmax(axis: 1) }
        let accuracy = Double(zip(predicted, testLabels).filter { $0 == $1 }.count) / Double(testLabels.count)
        XCTAssertGreaterThanOrEqual(accuracy, 0.95, "held-out accuracy \(accuracy)")
    }
}
