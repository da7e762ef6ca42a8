import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooDeepLab

/// Parameter counts and the head's layer order below are Keras's for the same network, built
/// by Tests/Fixtures/deeplab_reference.py with Keras 3.15: `model.count_params()`, the
/// trainable weights' sizes and `[layer.name for layer in model.layers]`. The script also
/// checks that its backbone has keras.applications.ResNet50's layer names and weight shapes.
final class DeepLabTests: XCTestCase {
    func counts(_ model: Model) -> [Int] {
        [model.parameterCounts.total, model.parameterCounts.trainable]
    }

    /// The head as Keras lists it after `conv5_block3_out` (deeplab_reference.py --layers).
    static let kerasHeadOrder = [
        "aspp_pooling", "aspp_pooling_conv", "aspp_conv1x1", "aspp_atrous6", "aspp_atrous12",
        "aspp_atrous18",
        "aspp_pooling_bn", "aspp_conv1x1_bn", "aspp_atrous6_bn", "aspp_atrous12_bn",
        "aspp_atrous18_bn",
        "aspp_pooling_relu", "aspp_conv1x1_relu", "aspp_atrous6_relu", "aspp_atrous12_relu",
        "aspp_atrous18_relu",
        "aspp_pooling_upsample", "aspp_concat", "aspp_project", "aspp_project_bn",
        "aspp_project_relu", "aspp_dropout",
        "classifier", "output_upsample",
    ]

    func testVariantMatchesKerasAndLoadsResNet50WeightsByName() throws {
        XCTAssertEqual(DeepLabFamily.variants.map(\.name), ["deeplabv3"])
        let variant = DeepLabFamily.deeplabv3
        let model = try variant.build(ArchitectureOptions())
        // deeplab_reference.py: deeplabv3 total 39382888, trainable 39326696.
        XCTAssertEqual(counts(model), [39_382_888, 39_326_696])
        XCTAssertEqual(
            [variant.parameterCount, variant.trainableParameterCount], [39_382_888, 39_326_696])
        let names = model.layers.map(\.name)
        XCTAssertEqual(Set(names).count, names.count, "unique layer names")
        for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
            XCTAssertTrue(names.contains(layer), "no layer \(layer)")
        }
        let backboneEnd = try XCTUnwrap(names.firstIndex(of: "conv5_block3_out"))
        XCTAssertEqual(Array(names[backboneEnd...].dropFirst()), DeepLabTests.kerasHeadOrder)
        XCTAssertEqual(model.parameter(at: "aspp_atrous6/kernel")?.value.shape, [3, 3, 2048, 256])
        XCTAssertNil(model.parameter(at: "aspp_atrous6/bias"))
        XCTAssertEqual(model.parameter(at: "aspp_project/kernel")?.value.shape, [1, 1, 1280, 256])

        // The backbone is Keras's ResNet50 without its top: same names, order, classes, weights.
        let fixture = try kerasApplicationFixture("resnet50")
        let keras = fixture.layers.filter { $0.name != "avg_pool" && $0.name != "predictions" }
        XCTAssertEqual(backboneEnd + 1, keras.count)
        for (layer, reference) in zip(model.layers, keras) {
            XCTAssertEqual(layer.name, reference.name)
            XCTAssertEqual(layer.kerasClassName, reference.class, layer.name)
            let shapes = reference.weights.compactMap { fields in
                fields.lazy.compactMap { field -> [Int]? in
                    if case .shape(let shape) = field { return shape }
                    return nil
                }.first
            }
            XCTAssertEqual(layer.parameters.map(\.value.shape), shapes, layer.name)
        }
    }

    /// A training-mode forward and backward pass on a batch of 2, 1 channel, 3 classes, after
    /// a check of the feature-map sizes. Building a 39M-parameter model dominates a debug run,
    /// so each model serves every check of its configuration.
    func checkForwardBackward(size: Int, outputStride: Int) throws {
        let model: Model
        if outputStride == 16 {
            model = try DeepLabFamily.deeplabv3.build(
                ArchitectureOptions(classes: 3, inputShape: [size, size, 1]))
        } else {
            model = try DeepLabV3(
                inputShape: [size, size, 1], classes: 3, outputStride: outputStride)
        }
        // deeplab_reference.py: deeplabv3_32_1channel_classes3_os8 39120387 / 39064195; the
        // script prints the same at 64x64 and at output stride 16 (dilation and the input's
        // extent add no weight).
        XCTAssertEqual(counts(model), [39_120_387, 39_064_195])
        XCTAssertEqual(model.parameter(at: "conv1_conv/kernel")?.value.shape, [7, 7, 1, 64])

        let extent = size / outputStride
        let summary = try ModelSummary(model, inputShape: [size, size, 1])
        let shapes = Dictionary(
            uniqueKeysWithValues: summary.rows.compactMap { row in
                row.outputShape.map { (row.name, $0) }
            })
        XCTAssertEqual(shapes["conv4_block6_out"], [extent, extent, 1024])
        XCTAssertEqual(shapes["conv5_block3_out"], [extent, extent, 2048])
        XCTAssertEqual(shapes["aspp_pooling"], [1, 1, 2048])
        XCTAssertEqual(shapes["aspp_pooling_upsample"], [extent, extent, 256])
        XCTAssertEqual(shapes["aspp_concat"], [extent, extent, 1280])
        XCTAssertEqual(shapes["output_upsample"], [size, size, 3])

        var random = RandomGenerator(seed: 5)
        let x = Tensor.randomNormal([2, size, size, 1], using: &random)
        model.setTraining(true)
        let y = try model(x)
        XCTAssertEqual(y.shape, [2, size, size, 3], "size \(size), output stride \(outputStride)")
        let projection = Tensor.randomNormal(y.shape, using: &random)
        try (y * projection).sum().backward()
        for (path, parameter) in model.trainableParameters {
            guard let grad = parameter.value.grad else {
                XCTFail("no gradient for \(path)")
                continue
            }
            XCTAssertTrue(grad.scalars.allSatisfy(\.isFinite), "gradient of \(path)")
        }
        XCTAssertTrue(
            try XCTUnwrap(model.parameter(at: "aspp_pooling_conv/kernel")?.value.grad).scalars
                .contains { $0 != 0 })
        XCTAssertTrue(
            try XCTUnwrap(model.parameter(at: "conv1_conv/kernel")?.value.grad).scalars.contains {
                $0 != 0
            })
    }

    func testForwardBackward32OutputStride16() throws {
        try checkForwardBackward(size: 32, outputStride: 16)
    }
    func testForwardBackward32OutputStride8() throws {
        try checkForwardBackward(size: 32, outputStride: 8)
    }
    func testForwardBackward64OutputStride16() throws {
        try checkForwardBackward(size: 64, outputStride: 16)
    }
    func testForwardBackward64OutputStride8() throws {
        try checkForwardBackward(size: 64, outputStride: 8)
    }

    func testInputsTooSmallOrIndivisibleAreRefused() throws {
        XCTAssertThrowsError(
            try DeepLabFamily.deeplabv3.build(ArchitectureOptions(inputShape: [16, 16, 3]))
        ) {
            XCTAssertTrue("\($0)".contains("deeplabv3") && "\($0)".contains("[16, 16, 3]"), "\($0)")
        }
        XCTAssertThrowsError(
            try DeepLabFamily.deeplabv3.build(ArchitectureOptions(inputShape: [40, 40, 3]))
        ) {
            XCTAssertTrue(
                "\($0)".contains("[40, 40, 3]") && "\($0)".contains("output stride 16"), "\($0)")
        }
        XCTAssertThrowsError(try DeepLabV3(inputShape: [36, 36, 3], outputStride: 8)) {
            XCTAssertTrue("\($0)".contains("[36, 36, 3]"), "\($0)")
        }
        XCTAssertThrowsError(try DeepLabV3(inputShape: [64, 64, 3], outputStride: 32))
        XCTAssertThrowsError(
            try DeepLabFamily.deeplabv3.build(ArchitectureOptions(inputShape: [64, 64, 64, 1])))
        XCTAssertThrowsError(
            try DeepLabFamily.deeplabv3.build(ArchitectureOptions(includeTop: false)))
    }
}
