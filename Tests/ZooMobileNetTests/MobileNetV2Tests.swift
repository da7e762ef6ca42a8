import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooMobileNet

final class MobileNetV2Tests: XCTestCase {
    /// Keras's `count_params()` for MobileNetV2 (alpha 1.0, 1000 classes, top, 224x224x3).
    func testParameterCountsAndLayersMatchKeras() throws {
        let variant = MobileNetV2Family.mobilenetv2
        let model = try variant.build(ArchitectureOptions())
        XCTAssertEqual(model.name, "mobilenetv2_1.00_224")
        XCTAssertEqual(model.parameterCounts.total, 3_538_984)
        XCTAssertEqual(model.parameterCounts.trainable, 3_504_872)
        XCTAssertEqual(variant.parameterCount, 3_538_984)
        XCTAssertEqual(variant.trainableParameterCount, 3_504_872)
        XCTAssertEqual(model.layers.count, 156, "Keras counts the input layer")
        let names = Set(model.layers.map(\.name))
        for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
            XCTAssertTrue(names.contains(layer), "no layer \(layer)")
        }
        assertMatchesKeras(model, try kerasApplicationFixture("mobilenetv2"))
    }

    /// The numbers Keras 3.15 reports for `keras.applications.MobileNetV2(weights=None,
    /// alpha=a)` (1000 classes, top, 224x224x3), computed once with the reference Python:
    /// total and trainable parameters.
    func testWidthMultipliersMatchKeras() throws {
        let keras: [(alpha: Double, total: Int, trainable: Int)] = [
            (0.5, 1_987_224, 1_968_680),
            (1.4, 6_156_712, 6_108_776),
        ]
        for (alpha, total, trainable) in keras {
            let model = try MobileNetV2Family.build(alpha: alpha)
            XCTAssertEqual(model.parameterCounts.total, total, "alpha \(alpha)")
            XCTAssertEqual(model.parameterCounts.trainable, trainable, "alpha \(alpha)")
            XCTAssertEqual(model.layers.count, 156, "alpha \(alpha)")
        }
        XCTAssertEqual(try MobileNetV2Family.build(alpha: 0.5).name, "mobilenetv2_0.50_224")
        XCTAssertThrowsError(try MobileNetV2Family.build(alpha: 0))
    }

    /// Keras's `_make_divisible` on the widths the alphas produce.
    func testMakeDivisible() {
        XCTAssertEqual(MobileNetV2.makeDivisible(32 * 0.35), 16)
        XCTAssertEqual(MobileNetV2.makeDivisible(32 * 1.4), 48)
        XCTAssertEqual(MobileNetV2.makeDivisible(1280 * 1.3), 1664)
        XCTAssertEqual(MobileNetV2.makeDivisible(Double(Int(16 * 0.35))), 8)
        XCTAssertEqual(MobileNetV2.makeDivisible(Double(Int(24 * 0.35))), 8)
        XCTAssertEqual(MobileNetV2.makeDivisible(Double(Int(96 * 0.75))), 72)
    }

    func testForwardBackwardAtMinimumInput() throws {
        try assertForwardBackward(MobileNetV2Family.mobilenetv2)
    }

    /// Keras without the top: 2,257,984 parameters and 154 layers. Keras's `correct_pad`
    /// pads an odd axis on both sides: for 35x47 it reports block_3_pad ((1, 1), (0, 1)) and a
    /// 2x2 feature map.
    func testWithoutTopAndOddInputs() throws {
        let averaged = try MobileNetV2Family.mobilenetv2.build(
            ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3], pooling: .average))
        XCTAssertEqual(averaged.parameterCounts.total, 2_257_984)
        XCTAssertEqual(averaged.layers.last?.name, "global_average_pooling2d")
        let featureMap = try MobileNetV2Family.mobilenetv2.build(ArchitectureOptions(includeTop: false, inputShape: [35, 47, 3]))
        XCTAssertEqual(featureMap.layers.count, 154)
        XCTAssertEqual(featureMap.layers.last?.name, "out_relu")
        let pads = featureMap.layers.compactMap { $0 as? ZeroPadding }
        XCTAssertEqual(pads.map(\.name), ["block_1_pad", "block_3_pad", "block_6_pad", "block_13_pad"])
        XCTAssertEqual(pads.map { $0.padding.map { [$0.before, $0.after] } }, [
            [[0, 1], [0, 1]], [[1, 1], [0, 1]], [[1, 1], [0, 1]], [[1, 1], [1, 1]],
        ])
        try withoutGrad {
            XCTAssertEqual(try averaged(images([2, 32, 32, 3])).shape, [2, 1280])
            XCTAssertEqual(try featureMap(images([2, 35, 47, 3])).shape, [2, 2, 2, 1280])
        }
    }

    func testOneChannelInput() throws {
        let model = try MobileNetV2Family.mobilenetv2.build(ArchitectureOptions(classes: 2, inputShape: [32, 32, 1]))
        XCTAssertEqual(model.parameter(at: "Conv1/kernel")?.value.shape, [3, 3, 1, 32])
        XCTAssertEqual(try withoutGrad { try model(images([2, 32, 32, 1])) }.shape, [2, 2])
    }

    func testCustomHead() throws {
        let head = HeadSpec([
            .upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5),
            .dense(2, .softmax),
        ])
        let model = try MobileNetV2Family.mobilenetv2.build(ArchitectureOptions(inputShape: [32, 32, 3], head: head))
        XCTAssertEqual(model.layers.suffix(6).map(\.kerasClassName), [
            "UpSampling2D", "BatchNormalization", "GlobalAveragePooling2D", "Dense", "Dropout", "Dense",
        ])
        let probabilities = try withoutGrad { try model(images([2, 32, 32, 3])) }
        XCTAssertEqual(probabilities.shape, [2, 2])
        XCTAssertEqual(probabilities.scalars.reduce(0, +), 2, accuracy: 1e-4)
    }

    func testInputTooSmallOrWrongRankIsAnError() {
        for shape in [[32, 31, 3], [32, 32]] {
            XCTAssertThrowsError(try MobileNetV2Family.mobilenetv2.build(ArchitectureOptions(inputShape: shape))) { error in
                XCTAssertTrue(error is ModelError, "\(error)")
                XCTAssertTrue("\(error)".contains("mobilenetv2"), "\(error)")
                XCTAssertTrue("\(error)".contains("\(shape)"), "\(error)")
            }
        }
    }
}
