import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooVGG

final class VGGTests: XCTestCase {
    func build(_ variant: ArchitectureVariant, _ options: ArchitectureOptions = ArchitectureOptions()) throws -> Model {
        try BuildContext.run(seed: 7) { try variant.build(options) }
    }

    /// Layer names, classes, order, weight names and shapes, and parameter counts equal what
    /// keras.applications builds (1000 classes, top, 224x224x3), and so do the metadata.
    func testVariantsMatchKerasApplications() throws {
        XCTAssertEqual(VGGFamily.variants.map(\.name), ["vgg16", "vgg19"])
        for (variant, total) in zip(VGGFamily.variants, [138_357_544, 143_667_240]) {
            let model = try build(variant)
            assertMatchesKeras(model, try kerasApplicationFixture(variant.name))
            XCTAssertEqual(variant.parameterCount, total)
            XCTAssertEqual(variant.trainableParameterCount, total)
            XCTAssertEqual(model.parameterCounts.total, total, variant.name)
            let names = Set(model.layers.map(\.name))
            for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
                XCTAssertTrue(names.contains(layer), "\(variant.name) has no layer \(layer)")
            }
            XCTAssertEqual(variant.lastConvolution, "block5_pool")
            XCTAssertEqual(variant.preprocessing, .caffe)
            XCTAssertEqual(variant.minimumInput, [32, 32])
        }
    }

    /// Forward and backward at the minimum input, batch 2, 3 classes: output shapes, and a
    /// gradient for every trainable parameter. VGG16 keeps the standard top, whose `fc1` then
    /// takes the 1x1x512 that a 32x32 input gives (the flatten size follows the input, as in
    /// Keras with `weights=None`; ImageNet weights need 224x224); VGG19 ends in a small head.
    func testForwardAndBackwardAtMinimumInput() throws {
        let head = HeadSpec([.globalMaxPooling, .dense(3, .linear)])
        let options = [
            ArchitectureOptions(classes: 3, inputShape: [32, 32, 3], classifierActivation: .linear),
            ArchitectureOptions(inputShape: [32, 32, 3], head: head),
        ]
        for (variant, options) in zip(VGGFamily.variants, options) {
            let model = try build(variant, options)
            if options.head == nil {
                XCTAssertEqual(model.parameter(at: "fc1/kernel")?.value.shape, [512, 4096])
            }
            model.setTraining(true)
            var random = RandomGenerator(seed: 3)
            let x = Tensor.randomUniform([2, 32, 32, 3], low: -1, high: 1, using: &random)
            let logits = try model(x)
            XCTAssertEqual(logits.shape, [2, 3], variant.name)
            try SoftmaxCrossEntropy()(logits, Tensor(shape: [2], scalars: [0, 2])).backward()
            let missing = model.trainableParameters.filter { $0.parameter.value.grad == nil }.map(\.path)
            XCTAssertEqual(missing, [], "\(variant.name): parameters without a gradient")
        }
    }

    func testWithoutTopPoolsOrKeepsTheFeatureMap() throws {
        // A 1-channel input: the first convolution takes one channel.
        let pooled = try build(VGGFamily.vgg16, ArchitectureOptions(includeTop: false, inputShape: [64, 64, 1], pooling: .average))
        XCTAssertEqual(pooled.parameter(at: "block1_conv1/kernel")?.value.shape, [3, 3, 1, 64])
        XCTAssertEqual(try pooled(Tensor(zeros: [2, 64, 64, 1])).shape, [2, 512])
        XCTAssertEqual(pooled.layers.last?.name, "global_average_pooling2d", "Keras leaves it unnamed")
        let maxPooled = try build(VGGFamily.vgg19, ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3], pooling: .max))
        XCTAssertEqual(try maxPooled(Tensor(zeros: [2, 32, 32, 3])).shape, [2, 512])
        XCTAssertEqual(maxPooled.layers.last?.name, "global_max_pooling2d")
        let map = try build(VGGFamily.vgg16, ArchitectureOptions(includeTop: false, inputShape: [64, 96, 3]))
        XCTAssertEqual(try map(Tensor(zeros: [1, 64, 96, 3])).shape, [1, 2, 3, 512])
        XCTAssertEqual(map.layers.last?.name, "block5_pool")
        XCTAssertEqual(map.parameterCounts.total, 14_714_688, "Keras's VGG16(include_top=False)")
    }

    func testCustomHead() throws {
        let head = HeadSpec([.upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5), .dense(2, .softmax)])
        let model = try build(VGGFamily.vgg19, ArchitectureOptions(inputShape: [32, 32, 3], head: head))
        XCTAssertEqual(Array(model.layers.map(\.name).suffix(7)), [
            "block5_pool", "up_sampling2d", "batch_normalization", "global_average_pooling2d", "dense", "dropout",
            "dense_1",
        ])
        XCTAssertEqual(try model(Tensor(zeros: [2, 32, 32, 3])).shape, [2, 2])
    }

    func testTooSmallOrWrongRankInputIsAnError() {
        XCTAssertThrowsError(try VGGFamily.vgg16.build(ArchitectureOptions(includeTop: false, inputShape: [16, 40, 3]))) { error in
            let text = "\(error)"
            XCTAssertTrue(error is ModelError, text)
            for fragment in ["vgg16", "[16, 40, 3]", "[32, 32]"] {
                XCTAssertTrue(text.contains(fragment), "\(text) lacks \(fragment)")
            }
        }
        XCTAssertThrowsError(try VGGFamily.vgg19.build(ArchitectureOptions(inputShape: [1, 224, 224, 3]))) { error in
            XCTAssertTrue("\(error)".contains("vgg19"), "\(error)")
        }
    }
}
