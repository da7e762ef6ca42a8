import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooXception

final class XceptionTests: XCTestCase {
    /// Keras's `count_params()` for Xception (1000 classes, top, 299x299x3).
    func testParameterCountsAndLayersMatchKeras() throws {
        let variant = XceptionFamily.xception
        let model = try variant.build(ArchitectureOptions())
        XCTAssertEqual(model.parameterCounts.total, 22_910_480)
        XCTAssertEqual(model.parameterCounts.trainable, 22_855_952)
        XCTAssertEqual(variant.parameterCount, 22_910_480)
        XCTAssertEqual(variant.trainableParameterCount, 22_855_952)
        XCTAssertEqual(model.layers.count, 134, "Keras counts the input layer")
        let names = Set(model.layers.map(\.name))
        for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
            XCTAssertTrue(names.contains(layer), "no layer \(layer)")
        }
        assertMatchesKeras(model, try kerasApplicationFixture("xception"))
    }

    func testForwardBackwardAtMinimumInput() throws {
        try assertForwardBackward(XceptionFamily.xception)
    }

    /// Keras without the top: 20,861,480 parameters; its pooling there is unnamed
    /// (`global_average_pooling2d`), and 71x71 gives a 3x3 feature map.
    func testWithoutTop() throws {
        let averaged = try XceptionFamily.xception.build(
            ArchitectureOptions(includeTop: false, inputShape: [71, 71, 3], pooling: .average))
        XCTAssertEqual(averaged.parameterCounts.total, 20_861_480)
        XCTAssertEqual(averaged.layers.last?.name, "global_average_pooling2d")
        let featureMap = try XceptionFamily.xception.build(ArchitectureOptions(includeTop: false, inputShape: [71, 71, 3]))
        XCTAssertEqual(featureMap.layers.count, 132)
        XCTAssertEqual(featureMap.layers.last?.name, "block14_sepconv2_act")
        try withoutGrad {
            XCTAssertEqual(try averaged(images([2, 71, 71, 3])).shape, [2, 2048])
            XCTAssertEqual(try featureMap(images([2, 71, 71, 3])).shape, [2, 3, 3, 2048])
        }
    }

    /// A 1-channel CT input under the CT paper's kind of head, in one model: Xception takes
    /// some 10 s to initialize in a debug build, so the two checks share it.
    func testOneChannelInputWithCustomHead() throws {
        let head = HeadSpec([
            .upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5),
            .dense(2, .softmax),
        ])
        let model = try XceptionFamily.xception.build(ArchitectureOptions(inputShape: [71, 71, 1], head: head))
        XCTAssertEqual(model.parameter(at: "block1_conv1/kernel")?.value.shape, [3, 3, 1, 32])
        XCTAssertEqual(model.layers.suffix(6).map(\.kerasClassName), [
            "UpSampling2D", "BatchNormalization", "GlobalAveragePooling2D", "Dense", "Dropout", "Dense",
        ])
        XCTAssertEqual(model.layers.suffix(6).first?.name, "up_sampling2d")
        XCTAssertEqual(model.layers.suffix(5).first?.name, "batch_normalization_4", "after the four shortcut norms")
        let probabilities = try withoutGrad { try model(images([2, 71, 71, 1])) }
        XCTAssertEqual(probabilities.shape, [2, 2])
        XCTAssertEqual(probabilities.scalars.reduce(0, +), 2, accuracy: 1e-4)
    }

    func testInputTooSmallOrWrongRankIsAnError() {
        for shape in [[70, 71, 3], [71, 71, 3, 1]] {
            XCTAssertThrowsError(try XceptionFamily.xception.build(ArchitectureOptions(inputShape: shape))) { error in
                XCTAssertTrue(error is ModelError, "\(error)")
                XCTAssertTrue("\(error)".contains("xception"), "\(error)")
                XCTAssertTrue("\(error)".contains("\(shape)"), "\(error)")
            }
        }
    }
}
