import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooResNet

final class ResNetTests: XCTestCase {
    let kerasVariants = [ResNetFamily.resnet50, ResNetFamily.resnet101, ResNetFamily.resnet152]
    let torchvisionVariants = [ResNetFamily.resnet18, ResNetFamily.resnet34]

    func build(_ variant: ArchitectureVariant, _ options: ArchitectureOptions = ArchitectureOptions()) throws -> Model {
        try BuildContext.run(seed: 7) { try variant.build(options) }
    }

    /// Layer names, classes, order, weight names and shapes, and parameter counts equal what
    /// keras.applications builds (1000 classes, top, 224x224x3), and so do the metadata.
    func testKerasVariantsMatchKerasApplications() throws {
        for variant in kerasVariants {
            let model = try build(variant)
            assertMatchesKeras(model, try kerasApplicationFixture(variant.name))
            XCTAssertEqual(model.parameterCounts.total, variant.parameterCount, variant.name)
            XCTAssertEqual(model.parameterCounts.trainable, variant.trainableParameterCount, variant.name)
            XCTAssertEqual(variant.source, "keras.applications")
            XCTAssertEqual(variant.preprocessing, .caffe)
        }
        XCTAssertEqual(ResNetFamily.resnet50.parameterCount, 25_636_712)
        XCTAssertEqual(ResNetFamily.resnet50.trainableParameterCount, 25_583_592)
        XCTAssertEqual(ResNetFamily.resnet101.parameterCount, 44_707_176)
        XCTAssertEqual(ResNetFamily.resnet152.parameterCount, 60_419_944)
    }

    /// torchvision's counts (its trainable parameters, plus the moving statistics that Keras
    /// counts in the total), the Keras naming scheme, and torchvision's conventions.
    func testTorchvisionVariantsFollowTorchvision() throws {
        let expected = [("resnet18", 11_699_112, 11_689_512), ("resnet34", 21_814_696, 21_797_672)]
        var models = [Model]()
        for (variant, (name, total, trainable)) in zip(torchvisionVariants, expected) {
            XCTAssertEqual(variant.name, name)
            XCTAssertEqual(variant.parameterCount, total)
            XCTAssertEqual(variant.trainableParameterCount, trainable)
            XCTAssertEqual(variant.source, "torchvision")
            XCTAssertEqual(variant.preprocessing, .torch)
            let model = try build(variant)
            models.append(model)
            XCTAssertEqual(model.parameterCounts.total, total, name)
            XCTAssertEqual(model.parameterCounts.trainable, trainable, name)
            for case let conv as Conv2D in model.layers {
                XCTAssertFalse(conv.useBias, "\(conv.name) has a bias")
                if conv.kernelSize == [3, 3] {
                    XCTAssertEqual(conv.padding, .explicit(before: [1, 1], after: [1, 1]), conv.name)
                }
            }
            for case let norm as BatchNormalization in model.layers {
                XCTAssertEqual(norm.epsilon, 1e-5)
                XCTAssertEqual(norm.momentum, 0.9)
            }
        }
        // Keras's order of a projection block (the order keras.applications would list it in).
        let names = models[0].layers.map(\.name)
        let start = try XCTUnwrap(names.firstIndex(of: "conv3_block1_1_conv"))
        XCTAssertEqual(Array(names[start..<start + 9]), [
            "conv3_block1_1_conv", "conv3_block1_1_bn", "conv3_block1_1_relu", "conv3_block1_0_conv",
            "conv3_block1_2_conv", "conv3_block1_0_bn", "conv3_block1_2_bn", "conv3_block1_add",
            "conv3_block1_out",
        ])
        XCTAssertEqual(Array(names.prefix(9)), [
            "input_layer", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool",
            "conv2_block1_1_conv", "conv2_block1_1_bn",
        ])
        XCTAssertFalse(names.contains("conv2_block1_0_conv"), "64 -> 64 at stride 1 keeps the identity")
        XCTAssertEqual(Array(names.suffix(4)), ["conv5_block2_add", "conv5_block2_out", "avg_pool", "predictions"])
    }

    /// Forward and backward at the minimum input, batch 2, 3 classes: output shape, and a
    /// gradient for every trainable parameter. The same models show that the metadata name
    /// layers that exist and that layer names are unique.
    func testForwardAndBackwardAtMinimumInput() throws {
        XCTAssertEqual(ResNetFamily.variants.map(\.name), ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
        XCTAssertEqual(ResNetFamily.resnet18.lastConvolution, "conv5_block2_out")
        XCTAssertEqual(ResNetFamily.resnet50.lastConvolution, "conv5_block3_out")
        for variant in ResNetFamily.variants {
            let started = Date()
            let model = try build(variant, ArchitectureOptions(classes: 3, inputShape: [32, 32, 3], classifierActivation: .linear))
            let names = Set(model.layers.map(\.name))
            XCTAssertEqual(names.count, model.layers.count, "\(variant.name): duplicate layer names")
            for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
                XCTAssertTrue(names.contains(layer), "\(variant.name) has no layer \(layer)")
            }
            XCTAssertEqual(variant.minimumInput, [32, 32])
            XCTAssertEqual(variant.defaultInput, [224, 224, 3])
            model.setTraining(true)
            var random = RandomGenerator(seed: 3)
            let x = Tensor.randomUniform([2, 32, 32, 3], low: -1, high: 1, using: &random)
            let logits = try model(x)
            XCTAssertEqual(logits.shape, [2, 3], variant.name)
            let loss = try SoftmaxCrossEntropy()(logits, Tensor(shape: [2], scalars: [0, 2]))
            try loss.backward()
            let missing = model.trainableParameters.filter { $0.parameter.value.grad == nil }.map(\.path)
            XCTAssertEqual(missing, [], "\(variant.name): parameters without a gradient")
            XCTAssertNotNil(model.parameter(at: "conv1_conv/kernel")?.value.grad)
            print("\(variant.name): forward and backward at 32x32 in \(Date().timeIntervalSince(started)) s")
        }
    }

    func testWithoutTopPoolsOrKeepsTheFeatureMap() throws {
        let pooled = try build(ResNetFamily.resnet18, ArchitectureOptions(includeTop: false, inputShape: [64, 64, 3], pooling: .average))
        XCTAssertEqual(try pooled(Tensor(zeros: [2, 64, 64, 3])).shape, [2, 512])
        XCTAssertEqual(pooled.layers.last?.name, "avg_pool")
        let maxPooled = try build(ResNetFamily.resnet50, ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3], pooling: .max))
        XCTAssertEqual(try maxPooled(Tensor(zeros: [2, 32, 32, 3])).shape, [2, 2048])
        XCTAssertEqual(maxPooled.layers.last?.name, "max_pool")
        XCTAssertEqual(maxPooled.parameterCounts.total, 23_587_712, "Keras's ResNet50(include_top=False)")
        let map = try build(ResNetFamily.resnet50, ArchitectureOptions(includeTop: false, inputShape: [64, 96, 3]))
        XCTAssertEqual(try map(Tensor(zeros: [1, 64, 96, 3])).shape, [1, 2, 3, 2048])
        XCTAssertEqual(map.layers.last?.name, "conv5_block3_out")
        // Odd extents: torchvision's and Keras's strided convolutions both give ceil(n / 2).
        let odd = try build(ResNetFamily.resnet34, ArchitectureOptions(includeTop: false, inputShape: [33, 45, 3]))
        XCTAssertEqual(try odd(Tensor(zeros: [1, 33, 45, 3])).shape, [1, 2, 2, 512])
    }

    func testOneChannelInput() throws {
        let model = try build(ResNetFamily.resnet18, ArchitectureOptions(classes: 2, inputShape: [48, 48, 1]))
        XCTAssertEqual(model.parameter(at: "conv1_conv/kernel")?.value.shape, [7, 7, 1, 64])
        XCTAssertEqual(try model(Tensor(zeros: [2, 48, 48, 1])).shape, [2, 2])
    }

    /// The CT paper's setting: a custom head on a 1-channel input.
    func testCustomHead() throws {
        let head = HeadSpec([.upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5), .dense(2, .softmax)])
        let model = try build(ResNetFamily.resnet50, ArchitectureOptions(inputShape: [32, 32, 1], head: head))
        XCTAssertEqual(model.parameter(at: "conv1_conv/kernel")?.value.shape, [7, 7, 1, 64])
        let names = model.layers.map(\.name)
        XCTAssertEqual(Array(names.suffix(7)), [
            "conv5_block3_out", "up_sampling2d", "batch_normalization", "global_average_pooling2d", "dense",
            "dropout", "dense_1",
        ])
        XCTAssertNil(model.layers.first { $0.name == "predictions" })
        let y = try model(Tensor(zeros: [2, 32, 32, 1]))
        XCTAssertEqual(y.shape, [2, 2])
    }

    func testTooSmallOrWrongRankInputIsAnError() {
        XCTAssertThrowsError(try ResNetFamily.resnet50.build(ArchitectureOptions(inputShape: [31, 64, 3]))) { error in
            let text = "\(error)"
            XCTAssertTrue(error is ModelError, text)
            for fragment in ["resnet50", "[31, 64, 3]", "[32, 32]"] {
                XCTAssertTrue(text.contains(fragment), "\(text) lacks \(fragment)")
            }
        }
        XCTAssertThrowsError(try ResNetFamily.resnet18.build(ArchitectureOptions(inputShape: [64, 64]))) { error in
            XCTAssertTrue("\(error)".contains("resnet18"), "\(error)")
            XCTAssertTrue("\(error)".contains("[64, 64]"), "\(error)")
        }
    }
}
