import Foundation
import ModelZoo
import XCTest
import ZooCore
import ZooData
import ZooExplain
import ZooPlots
import ZooNN
import ZooSmallCNN
import ZooTensor

/// Two conv-BN-ReLU units, global pooling and a softmax (or linear) classifier, with names in
/// Keras's unit style (`unit2_conv`, `unit2_bn`, `unit2_relu`).
final class TinyNet: Model {
    let units: [(Conv2D, BatchNormalization, Activation)]
    let pool = GlobalAveragePooling2D(name: "pool")
    let classifier: Dense

    init(classes: Int = 3, activation: ActivationFunction = .softmax) {
        units = (1...2).map { i in
            (Conv2D(filters: 4, kernelSize: [3], inputChannels: i == 1 ? 1 : 4, padding: .same, name: "unit\(i)_conv"),
             BatchNormalization(channels: 4, name: "unit\(i)_bn"), Activation(.relu, name: "unit\(i)_relu"))
        }
        classifier = Dense(units: classes, inputFeatures: 4, activation: activation, name: "predictions")
        super.init(name: "tiny")
        for (conv, norm, relu) in units { add(conv); add(norm); add(relu) }
        add(pool)
        add(classifier)
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        for (conv, norm, relu) in units { y = try relu(norm(conv(y))) }
        return try classifier(pool(y))
    }
}

/// Conv2D then global average pooling then a linear Dense: Grad-CAM has a closed form here,
/// alpha_k = W[k, c] / cells.
final class ConvPoolDense: Model {
    let conv = Conv2D(filters: 3, kernelSize: [3], inputChannels: 1, padding: .same, activation: .relu, name: "features")
    let pool = GlobalAveragePooling2D(name: "pool")
    let dense = Dense(units: 2, inputFeatures: 3, name: "logits")

    init() {
        super.init(name: "closed_form")
        add(conv)
        add(pool)
        add(dense)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try dense(pool(conv(x))) }
}

func randomImage(_ shape: [Int], seed: UInt64) -> ImageArray {
    var random = RandomGenerator(seed: seed)
    return ImageArray(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in random.nextNormal() })
}

final class GradCAMTests: XCTestCase {
    func tiny(_ activation: ActivationFunction = .softmax) -> TinyNet {
        BuildContext.run(seed: 3) { TinyNet(activation: activation) }
    }

    func testClosedForm() throws {
        let model = BuildContext.run(seed: 5) { ConvPoolDense() }
        let image = randomImage([6, 5, 1], seed: 1)
        let map = try GradCAM(model: model).explain(image, layer: "features", classIndex: 1)
        let kernel = model.dense.kernel.value.scalars  // (3, 2)
        for k in 0..<3 { XCTAssertEqual(map.channelWeights[k], kernel[k * 2 + 1] / 30, accuracy: 1e-6) }
        XCTAssertEqual(map.scoreSource, .output)
        // The coarse map is ReLU(sum_k alpha_k A_k) of the captured activation.
        let activation = try withoutGrad { try model.conv(image.tensor().reshaped([1, 6, 5, 1])) }.scalars
        for cell in 0..<30 {
            let sum = (0..<3).reduce(Float(0)) { $0 + map.channelWeights[$1] * activation[cell * 3 + $1] }
            XCTAssertEqual(map.coarse.values[cell], max(sum, 0), accuracy: 1e-5)
        }
        XCTAssertEqual(map.heatmap.shape, [6, 5, 1])
        XCTAssertEqual(map.heatmap.values.max() ?? 0, map.coarse.values.max()! > 0 ? 1 : 0, accuracy: 1e-6)
    }

    /// Grad-CAM++ in the same closed form: the gradient is g_k = W_k1 / 30 at every position,
    /// so alpha_k = g^2 / (2 g^2 + S_k g^3) (S_k the channel's activation sum) at every position
    /// and the weight is 30 alpha_k max(g_k, 0) (pytorch-grad-cam's GradCAMPlusPlus).
    func testGradCAMPlusPlusClosedForm() throws {
        let model = BuildContext.run(seed: 5) { ConvPoolDense() }
        let image = randomImage([6, 5, 1], seed: 1)
        let map = try GradCAM(model: model).explain(image, layer: "features", classIndex: 1, method: .gradcamPlusPlus)
        XCTAssertEqual(map.method, .gradcamPlusPlus)
        let kernel = model.dense.kernel.value.scalars
        let activation = try withoutGrad { try model.conv(image.tensor().reshaped([1, 6, 5, 1])) }.scalars
        for k in 0..<3 {
            let g = Double(kernel[k * 2 + 1]) / 30
            let sum = (0..<30).reduce(0.0) { $0 + Double(activation[$1 * 3 + k]) }
            let alpha = g * g / (2 * g * g + sum * g * g * g + 1e-7)
            XCTAssertEqual(Double(map.channelWeights[k]), 30 * alpha * max(g, 0), accuracy: 1e-6, "channel \(k)")
        }
        for cell in 0..<30 {
            let sum = (0..<3).reduce(Float(0)) { $0 + map.channelWeights[$1] * activation[cell * 3 + $1] }
            XCTAssertEqual(map.coarse.values[cell], max(sum, 0), accuracy: 1e-5)
        }
    }

    /// The score of a softmax network is its logit: the maps equal those of the same network
    /// built with a linear classifier, and the score equals that network's output.
    func testLogitOfSoftmaxNetwork() throws {
        let (softmax, linear) = (tiny(.softmax), tiny(.linear))
        let image = randomImage([8, 8, 1], seed: 2)
        let a = try GradCAM(model: softmax).explain(image, layer: "unit2_relu", classIndex: 2)
        let b = try GradCAM(model: linear).explain(image, layer: "unit2_relu", classIndex: 2)
        XCTAssertEqual(a.scoreSource, .logit)
        XCTAssertEqual(b.scoreSource, .output)
        XCTAssertEqual(a.score, b.score, accuracy: 1e-5)
        XCTAssertEqual(a.score, b.outputs[2], accuracy: 1e-5)
        for (x, y) in zip(a.channelWeights, b.channelWeights) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        for (x, y) in zip(a.heatmap.values, b.heatmap.values) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        // Differentiating the probability instead gives other weights.
        let p = try GradCAM(model: softmax).explain(image, layer: "unit2_relu", classIndex: 2, score: .output)
        XCTAssertEqual(p.scoreSource, .output)
        XCTAssertEqual(p.score, a.outputs[2], accuracy: 1e-6)
    }

    func testPredictedClassByDefaultAndBatchMatchesSingles() throws {
        let model = tiny()
        let images = [randomImage([8, 8, 1], seed: 10), randomImage([8, 8, 1], seed: 11)]
        let batch = try Tensor(shape: [2, 8, 8, 1], scalars: images.flatMap(\.values))
        let maps = try GradCAM(model: model).explain(batch, layer: "unit1_relu")
        for (image, map) in zip(images, maps) {
            let single = try GradCAM(model: model).explain(image, layer: "unit1_relu")
            XCTAssertEqual(map.classIndex, single.outputs.indices.max { single.outputs[$0] < single.outputs[$1] })
            XCTAssertEqual(map.classIndex, single.classIndex)
            for (x, y) in zip(map.heatmap.values, single.heatmap.values) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        }
    }

    func testMapsAreNormalizedAndModelStateRestored() throws {
        let model = tiny()
        model.setTraining(true)
        let map = try GradCAM(model: model).explain(randomImage([9, 7, 1], seed: 4), layer: "unit2", classIndex: 0)
        XCTAssertTrue(model.isTraining, "the training flag is restored")
        XCTAssertEqual(map.layer, "unit2_relu")
        XCTAssertEqual(map.heatmap.shape, [9, 7, 1])
        XCTAssertTrue(map.heatmap.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        let peak = map.heatmap.values.max() ?? 0
        XCTAssertTrue(peak == 0 || abs(peak - 1) < 1e-6)
    }

    /// Frozen layers take no gradient of their own; the captured activation still does.
    func testFrozenModel() throws {
        let model = tiny()
        _ = try model.freeze(fraction: 1)
        let map = try GradCAM(model: model).explain(randomImage([8, 8, 1], seed: 6), layer: "unit1_conv", classIndex: 1)
        XCTAssertTrue(map.channelWeights.contains { $0 != 0 })
    }

    func testVolume() throws {
        let model = BuildContext.run(seed: 8) { SmallCNN3D() }
        let volume = randomImage([12, 12, 12, 1], seed: 9)
        let map = try GradCAM(model: model).explain(volume, layer: "conv3d_1")
        XCTAssertEqual(map.coarse.shape, [3, 3, 3, 1])
        XCTAssertEqual(map.heatmap.shape, [12, 12, 12, 1])
        XCTAssertEqual(map.scoreSource, .logit)
        XCTAssertTrue(map.heatmap.values.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    func testDefaultLayers() throws {
        // No name: the last layer with a feature-map output.
        let model = tiny()
        XCTAssertEqual(try GradCAM(model: model).explain(randomImage([8, 8, 1], seed: 1)).layer, "unit2_relu")
        // The last map of at least 7x7 at the input's size (#21): the small CNN's third
        // convolution is 4x4 at 32 pixels, so its second block's last layer (13x13) is chosen.
        let variant = try ModelZoo.variant("small_cnn")
        let cnn = try BuildContext.run(seed: 2) { try variant.make(ArchitectureOptions(classes: 2, inputShape: [32, 32, 1])) }
        let map = try GradCAM(model: cnn).explain(randomImage([32, 32, 1], seed: 3))
        XCTAssertEqual(map.layer, "batch_normalization_1")
        XCTAssertEqual(map.coarse.shape, [13, 13, 1])
        // ResNet18: at 64 pixels its last block is 2x2, so the third stage's output (8x8); at 224,
        // the last block (7x7), Keras's usual Grad-CAM layer.
        let resnet = try ModelZoo.make("resnet18", ArchitectureOptions(classes: 2, inputShape: [64, 64, 3]))
        XCTAssertEqual(try GradCAM(model: resnet).explain(randomImage([64, 64, 3], seed: 4)).layer, "conv3_block2_out")
        let full = try ModelZoo.make("resnet18", ArchitectureOptions(classes: 2, inputShape: [224, 224, 3]))
        XCTAssertEqual(try GradCAM(model: full).explain(randomImage([224, 224, 3], seed: 5)).layer, "conv5_block2_out")
    }

    // MARK: Names

    func testKerasUnitNamesOfResNet50() throws {
        let model = try ModelZoo.make("resnet50", ArchitectureOptions(classes: 2, inputShape: [64, 64, 3]))
        XCTAssertEqual(try LayerLookup.layer("conv5_block3_2", in: model).name, "conv5_block3_2_relu")
        XCTAssertEqual(try LayerLookup.layer("conv5_block3_2_conv", in: model).name, "conv5_block3_2_conv")
        XCTAssertEqual(try LayerLookup.layer("conv5_block3", in: model).name, "conv5_block3_out")
        XCTAssertEqual(try LayerLookup.layer("conv1", in: model).name, "conv1_relu")
        XCTAssertThrowsError(try LayerLookup.layer("conv5_block4_2", in: model)) { error in
            guard case ExplainError.unknownLayer(_, _, let nearest) = error else { return XCTFail("\(error)") }
            XCTAssertFalse(nearest.isEmpty, "\(error)")
            XCTAssertTrue("\(error)".contains("nearest names"), "\(error)")
        }
        let map = try GradCAM(model: model).explain(randomImage([64, 64, 3], seed: 12), layer: "conv5_block3_2", classIndex: 1)
        XCTAssertEqual(map.layer, "conv5_block3_2_relu")
        XCTAssertEqual(map.coarse.shape, [2, 2, 1])
    }

    func testUnknownLayerListsNearestNames() throws {
        XCTAssertThrowsError(try GradCAM(model: tiny()).explain(randomImage([8, 8, 1], seed: 1), layer: "unit2_cnv")) { error in
            XCTAssertEqual(error as? ExplainError, .unknownLayer(name: "unit2_cnv", model: "tiny", nearest: ["unit2_conv", "unit1_conv", "unit2_bn", "unit1_bn"]))
            XCTAssertEqual("\(error)", "Grad-CAM: model 'tiny' has no layer 'unit2_cnv'; nearest names: unit2_conv, unit1_conv, unit2_bn, unit1_bn")
        }
    }

    func testAmbiguousPrefix() throws {
        let model = Model(name: "m")
        model.add(Dense(units: 2, inputFeatures: 2, name: "head_a"))
        model.add(Dense(units: 2, inputFeatures: 2, name: "head_b"))
        XCTAssertThrowsError(try LayerLookup.layer("head", in: model)) {
            XCTAssertEqual($0 as? ExplainError, .ambiguousLayer(name: "head", candidates: ["head_a", "head_b"]))
        }
    }

    // MARK: Bad input

    func testBadRequests() throws {
        let model = tiny()
        let image = randomImage([8, 8, 1], seed: 1)
        XCTAssertThrowsError(try GradCAM(model: model).explain(image, layer: "unit2_relu", classIndex: 3)) {
            XCTAssertEqual($0 as? ExplainError, .classOutOfRange(index: 3, classes: 3))
            XCTAssertTrue("\($0)".contains("0..<3"), "\($0)")
        }
        XCTAssertThrowsError(try GradCAM(model: model).explain(image, layer: "unit2_relu", classIndex: -1)) {
            XCTAssertEqual($0 as? ExplainError, .classOutOfRange(index: -1, classes: 3))
        }
        XCTAssertThrowsError(try GradCAM(model: model).explain(image, layer: "pool")) {
            XCTAssertEqual($0 as? ExplainError, .notAFeatureMap(layer: "pool", shape: [1, 4], expectedRank: 4))
        }
        let batch = try Tensor(shape: [2, 8, 8, 1], scalars: [Float](repeating: 0.5, count: 128))
        XCTAssertThrowsError(try GradCAM(model: model).explain(batch, layer: "unit1_relu", classIndices: [0, 1, 2])) {
            XCTAssertEqual($0 as? ExplainError, .lengthMismatch(what: "Grad-CAM class indices and batch", expected: 2, actual: 3))
        }
        XCTAssertThrowsError(try GradCAM(model: model).explain(try Tensor(shape: [8, 8], scalars: [Float](repeating: 0, count: 64)), layer: "unit1_relu")) {
            XCTAssertTrue("\($0)".contains("(N, H, W, C)"), "\($0)")
        }
        XCTAssertThrowsError(try withoutGrad { try GradCAM(model: model).explain(image, layer: "unit1_relu") }) {
            XCTAssertTrue("\($0)".contains("withoutGrad"), "\($0)")
        }
    }

    // MARK: Resizing

    func testBilinearMatchesTensorFlowRule() throws {
        // tf.image.resize([[0, 1], [2, 3]], (4, 4), "bilinear"): half-pixel centres, clamped.
        let resized = try Resample.linear([0, 1, 2, 3], shape: [2, 2], to: [4, 4])
        let expected: [Float] = [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]
        for (a, b) in zip(resized, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // Trilinear of a map linear in depth stays linear in depth (between the centres).
        let volume = try Resample.linear([0, 0, 0, 0, 4, 4, 4, 4], shape: [2, 2, 2], to: [4, 1, 1])
        XCTAssertEqual(volume, [0, 1, 3, 4])
        XCTAssertThrowsError(try Resample.linear([0, 1], shape: [2, 2], to: [4, 4]))
    }
}

final class LayerHookTests: XCTestCase {
    /// Hooks see every layer call, nest (innermost first), and can substitute an output.
    func testHooksNestAndSubstitute() throws {
        let model = BuildContext.run(seed: 3) { TinyNet() }
        let x = randomImage([8, 8, 1], seed: 1).tensor()
        let batch = try x.reshaped([1, 8, 8, 1])
        var outer = [String](), inner = [String]()
        let output = try LayerHooks.with({ layer, _, output in
            outer.append(layer.name)
            return output
        }) {
            try LayerHooks.with({ layer, _, output in
                inner.append(layer.name)
                // Zero the pooled features: the classifier then sees only its bias.
                return layer.name == "pool" ? Tensor(zeros: output.shape) : output
            }) { try model(batch) }
        }
        XCTAssertEqual(inner, model.layers.map(\.name))
        XCTAssertEqual(outer, inner)
        let logits = try withoutGrad { try model.classifier(Tensor(zeros: [1, 4])) }
        XCTAssertEqual(output.scalars, logits.scalars)
        // Outside the scopes nothing is observed or changed.
        XCTAssertNotEqual(try model(batch).scalars, logits.scalars)
    }

    func testAverageOfLayers() throws {
        let model = BuildContext.run(seed: 3) { TinyNet() }
        let image = randomImage([8, 8, 1], seed: 5)
        let maps = try ["unit1_relu", "unit2_relu"].map { try GradCAM(model: model).explain(image, layer: $0, classIndex: 0) }
        let average = try GradCAM.average(maps)
        let sum = zip(maps[0].heatmap.values, maps[1].heatmap.values).map { $0 + $1 }
        let peak = sum.max()!
        for (a, s) in zip(average.values, sum) { XCTAssertEqual(a, s / peak, accuracy: 1e-6) }
        XCTAssertThrowsError(try GradCAM.average([]))
    }
}
