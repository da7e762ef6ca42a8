import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooDenseNet

final class DenseNetTests: XCTestCase {
    /// Keras's `count_params()` for DenseNet121 and DenseNet201 (1000 classes, top, 224x224x3).
    func testParameterCountsAndLayersMatchKeras() throws {
        let expected = [
            (DenseNetFamily.densenet121, 8_062_504, 7_978_856, 429),
            (DenseNetFamily.densenet201, 20_242_984, 20_013_928, 709),
        ]
        for (variant, total, trainable, layerCount) in expected {
            let model = try variant.build(ArchitectureOptions())
            let counts = model.parameterCounts
            XCTAssertEqual(counts.total, total, variant.name)
            XCTAssertEqual(counts.trainable, trainable, variant.name)
            XCTAssertEqual(variant.parameterCount, total, variant.name)
            XCTAssertEqual(variant.trainableParameterCount, trainable, variant.name)
            XCTAssertEqual(model.layers.count, layerCount, "\(variant.name): Keras counts the input layer")
            let names = Set(model.layers.map(\.name))
            for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
                XCTAssertTrue(names.contains(layer), "\(variant.name) has no layer \(layer)")
            }
            assertMatchesKeras(model, try kerasApplicationFixture(variant.name))
        }
    }

    func testCatalogDeclaration() {
        XCTAssertEqual(DenseNetFamily.variants.map(\.name), ["densenet121", "densenet201"])
        XCTAssertEqual(DenseNet.Configuration.densenet201.blocks, [6, 12, 48, 32])
        for variant in DenseNetFamily.variants {
            XCTAssertEqual(variant.minimumInput, [32, 32])
            XCTAssertEqual(variant.preprocessing, .torch)
        }
    }

    func testForwardBackwardAtMinimumInput() throws {
        try assertForwardBackward(DenseNetFamily.densenet121)
        try assertForwardBackward(DenseNetFamily.densenet201)
    }

    /// Keras without the top: 7,037,504 parameters; `avg_pool` gives vectors, no pooling the
    /// last feature map (1x1 at the minimum input, as Keras reports for 32x32).
    func testWithoutTop() throws {
        let averaged = try DenseNetFamily.densenet121.build(
            ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3], pooling: .average))
        XCTAssertEqual(averaged.parameterCounts.total, 7_037_504)
        XCTAssertEqual(averaged.layers.last?.name, "avg_pool")
        let featureMap = try DenseNetFamily.densenet121.build(ArchitectureOptions(includeTop: false, inputShape: [40, 40, 3]))
        XCTAssertEqual(featureMap.layers.count, 427)
        XCTAssertEqual(featureMap.layers.last?.name, "relu")
        try withoutGrad {
            XCTAssertEqual(try averaged(images([2, 32, 32, 3])).shape, [2, 1024])
            XCTAssertEqual(try featureMap(images([2, 40, 40, 3])).shape, [2, 1, 1, 1024])
        }
    }

    func testOneChannelInput() throws {
        let model = try DenseNetFamily.densenet121.build(ArchitectureOptions(classes: 2, inputShape: [32, 32, 1]))
        XCTAssertEqual(model.parameter(at: "conv1_conv/kernel")?.value.shape, [7, 7, 1, 64])
        XCTAssertEqual(try withoutGrad { try model(images([2, 32, 32, 1])) }.shape, [2, 2])
    }

    func testCustomHead() throws {
        let head = HeadSpec([
            .upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5),
            .dense(2, .softmax),
        ])
        let model = try DenseNetFamily.densenet121.build(ArchitectureOptions(inputShape: [32, 32, 3], head: head))
        XCTAssertEqual(model.layers.suffix(6).map(\.kerasClassName), [
            "UpSampling2D", "BatchNormalization", "GlobalAveragePooling2D", "Dense", "Dropout", "Dense",
        ])
        XCTAssertFalse(model.layers.contains { $0.name == "predictions" })
        let probabilities = try withoutGrad { try model(images([2, 32, 32, 3])) }
        XCTAssertEqual(probabilities.shape, [2, 2])
        XCTAssertEqual(probabilities.scalars.reduce(0, +), 2, accuracy: 1e-4)
    }

    func testInputTooSmallOrWrongRankIsAnError() {
        for shape in [[31, 64, 3], [64, 64]] {
            XCTAssertThrowsError(try DenseNetFamily.densenet201.build(ArchitectureOptions(inputShape: shape))) { error in
                XCTAssertTrue(error is ModelError, "\(error)")
                XCTAssertTrue("\(error)".contains("densenet201"), "\(error)")
                XCTAssertTrue("\(error)".contains("\(shape)"), "\(error)")
            }
        }
    }
}
