import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooInception

final class InceptionTests: XCTestCase {
    func images(_ shape: [Int], seed: UInt64 = 7) -> Tensor {
        var random = RandomGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: -1, high: 1, using: &random)
    }

    // MARK: Catalog and metadata

    func testVariantsAndManifestAgree() throws {
        XCTAssertEqual(InceptionFamily.variants.map(\.name), ["inceptionv3", "inceptionresnetv2"])
        let manifest = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/ZooInception/Architectures.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any]
        XCTAssertEqual(json?["family"] as? String, "InceptionFamily")
        XCTAssertEqual(json?["variants"] as? [String], InceptionFamily.variants.map(\.name))
        for variant in InceptionFamily.variants {
            XCTAssertEqual(variant.defaultInput, [299, 299, 3])
            XCTAssertEqual(variant.minimumInput, [75, 75])
            XCTAssertEqual(variant.preprocessing, .tf)
            XCTAssertEqual(variant.source, "keras.applications")
        }
    }

    /// Counts from the metadata, then every layer's name, class, order and weight shapes
    /// against what keras.applications builds (include_top, 1000 classes, 299x299x3).
    func assertVariantMatchesKeras(_ variant: ArchitectureVariant, fixture: String, layers: Int) throws {
        let model = try variant.build(ArchitectureOptions())
        let counts = model.parameterCounts
        XCTAssertEqual(counts.total, variant.parameterCount, variant.name)
        XCTAssertEqual(counts.trainable, variant.trainableParameterCount, variant.name)
        XCTAssertEqual(model.layers.count, layers, "layers counting the input layer")
        let names = Set(model.layers.map(\.name))
        XCTAssertEqual(names.count, layers, "layer names are unique")
        for name in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
            XCTAssertTrue(names.contains(name), "\(variant.name) has no layer \(name)")
        }
        assertMatchesKeras(model, try kerasApplicationFixture(fixture))
    }

    func testInceptionV3MatchesKeras() throws {
        XCTAssertEqual(InceptionFamily.inceptionv3.parameterCount, 23_851_784)
        try assertVariantMatchesKeras(InceptionFamily.inceptionv3, fixture: "inceptionv3", layers: 313)
    }

    func testInceptionResNetV2MatchesKeras() throws {
        XCTAssertEqual(InceptionFamily.inceptionresnetv2.parameterCount, 55_873_736)
        try assertVariantMatchesKeras(InceptionFamily.inceptionresnetv2, fixture: "inceptionresnetv2", layers: 782)
    }

    // MARK: Running

    /// A hashed value in [-1, 1) for element `index` of stream `seed` (an integer hash, so
    /// Python computes the same numbers exactly).
    static func hashed(_ index: Int, seed: Int) -> Double {
        var x = UInt32(truncatingIfNeeded: index + seed * 1_000_003)
        for _ in 0..<2 { x = (x ^ (x >> 16)) &* 0x45d_9f3b }
        x ^= x >> 16
        return Double(x) / 4_294_967_296 * 2 - 1
    }

    /// Sets every weight, in `model.layers` order, to a hashed pattern: kernels He-uniform
    /// (`s * sqrt(6 / fan_in)`), betas and biases `0.01 s`, moving means `0.05 s`, moving
    /// variances `0.85 + 0.45 s^2`, `s` from `hashed(_, seed: weight number)`.
    static func fillDeterministically(_ model: Module) {
        for (number, parameter) in model.layers.flatMap(\.parameters).enumerated() {
            let fanIn = Double(parameter.value.shape.dropLast().reduce(1, *))
            parameter.value.withUnsafeMutableBufferPointer { buffer in
                for j in 0..<buffer.count {
                    let s = hashed(j, seed: number)
                    switch parameter.name {
                    case "kernel": buffer[j] = Float(s * (6 / fanIn).squareRoot())
                    case "moving_mean": buffer[j] = Float(0.05 * s)
                    case "moving_variance": buffer[j] = Float(0.85 + 0.45 * s * s)
                    default: buffer[j] = Float(0.01 * s)
                    }
                }
            }
        }
    }

    /// What Keras 3.15 computes with those weights on `hashed(_, seed: 999999)` as a
    /// (2, 75, 75, 3) input, `keras.applications.X(weights=None, input_shape=(75, 75, 3),
    /// classes=3, classifier_activation=None)` in inference: the logits, and the sum and sum of
    /// squares of the `avg_pool` features.
    static let kerasReference: [String: (logits: [Float], featureSum: Double, featureSquares: Double)] = [
        "inceptionv3": ([0.2407707, 0.4999218, 0.5357017, 0.2219053, 0.5046503, 0.5325198], 636.4852, 427.3492),
        "inceptionresnetv2": ([2.480571, -12.80302, 5.855142, 1.793313, -12.45523, 5.522106], 8376.938, 70977.85),
    ]

    /// At Keras's minimum input, batch 2: with Keras's weights the inference output equals
    /// Keras's; in training mode the output has one logit per class and the backward pass
    /// gives every trainable parameter a gradient. (Building the model, not running it, is
    /// what takes time in a debug build: 24M and 56M weights drawn.)
    func assertRunsAtMinimumInput(_ variant: ArchitectureVariant, featureShape: [Int]) throws {
        let options = ArchitectureOptions(classes: 3, inputShape: [75, 75, 3], classifierActivation: .linear)
        let model = try XCTUnwrap(BuildContext.run(seed: 3) { try variant.build(options) } as? ApplicationModel)
        let pixels = (0..<(2 * 75 * 75 * 3)).map { Float(Self.hashed($0, seed: 999_999)) }
        let x = try Tensor(shape: [2, 75, 75, 3], scalars: pixels)

        Self.fillDeterministically(model)
        let reference = try XCTUnwrap(Self.kerasReference[variant.name])
        let features = try withoutGrad { try model.features(model.inputLayer(x)) }
        XCTAssertEqual(features.shape, [2] + featureShape, "the last feature map at 75x75")
        let sum = features.scalars.reduce(0) { $0 + Double($1) }
        let squares = features.scalars.reduce(0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(sum, reference.featureSum, accuracy: 1e-4 * reference.featureSum, "\(variant.name) features")
        XCTAssertEqual(squares, reference.featureSquares, accuracy: 1e-4 * reference.featureSquares)
        let inferred = try withoutGrad { try model(x) }.scalars
        for (ours, keras) in zip(inferred, reference.logits) {
            XCTAssertEqual(ours, keras, accuracy: 1e-4 * max(1, abs(keras)), "\(variant.name) logits \(inferred)")
        }

        model.setTraining(true)
        let logits = try model(x)
        XCTAssertEqual(logits.shape, [2, 3])
        try SoftmaxCrossEntropy()(logits, Tensor(shape: [2], scalars: [0, 2])).backward()
        XCTAssertGreaterThan(model.trainableParameters.count, 0)
        let missing = model.trainableParameters.filter { $0.parameter.value.grad == nil }.map(\.path)
        XCTAssertEqual(missing, [], "\(variant.name): parameters without a gradient")
        let kernel = try XCTUnwrap(model.parameter(at: "conv2d/kernel")?.value.grad)
        XCTAssertGreaterThan(kernel.scalars.map(abs).max() ?? 0, 0, "the first convolution learns")
    }

    func testInceptionV3MatchesKerasNumbersAndTrainsAtMinimumInput() throws {
        try assertRunsAtMinimumInput(InceptionFamily.inceptionv3, featureShape: [1, 1, 2048])
    }

    func testInceptionResNetV2MatchesKerasNumbersAndTrainsAtMinimumInput() throws {
        try assertRunsAtMinimumInput(InceptionFamily.inceptionresnetv2, featureShape: [1, 1, 1536])
    }

    func testWithoutTopPoolingAndFeatureMap() throws {
        // keras.applications.InceptionV3(weights=None, include_top=False, pooling="avg"):
        // 21,802,784 parameters, the pooling named automatically.
        let pooledOptions = ArchitectureOptions(includeTop: false, inputShape: [75, 75, 3], pooling: .average)
        let pooled = try InceptionFamily.inceptionv3.make(pooledOptions)
        XCTAssertEqual(pooled.parameterCounts.total, 21_802_784)
        XCTAssertEqual(pooled.layers.last?.name, "global_average_pooling2d", "Keras's automatic name")
        XCTAssertEqual(try withoutGrad { try pooled(images([2, 75, 75, 3])) }.shape, [2, 2048])

        // No pooling: the feature map. 107 -> 2x2 (the stem and the two 'valid' reductions).
        let featureMap = try InceptionFamily.inceptionv3.make(ArchitectureOptions(includeTop: false, inputShape: [107, 107, 3]))
        XCTAssertEqual(featureMap.layers.last?.name, "mixed10")
        XCTAssertEqual(try withoutGrad { try featureMap(images([1, 107, 107, 3])) }.shape, [1, 2, 2, 2048])
    }

    func testOneChannelInput() throws {
        let model = try InceptionFamily.inceptionv3.make(ArchitectureOptions(classes: 2, inputShape: [75, 75, 1]))
        XCTAssertEqual(model.parameter(at: "conv2d/kernel")?.value.shape, [3, 3, 1, 32])
        XCTAssertEqual(try withoutGrad { try model(images([1, 75, 75, 1])) }.shape, [1, 2])
    }

    func testCustomHead() throws {
        let head = HeadSpec([
            .upSampling(2), .batchNormalization, .globalAveragePooling, .dense(16, .relu), .dropout(0.5),
            .dense(2, .softmax),
        ])
        let model = try InceptionFamily.inceptionv3.make(ArchitectureOptions(inputShape: [75, 75, 3], head: head))
        // The head's unnamed layers continue the backbone's counters, as in one Keras program.
        XCTAssertEqual(Array(model.layers.suffix(7).map(\.name)), [
            "mixed10", "up_sampling2d", "batch_normalization_94", "global_average_pooling2d", "dense", "dropout",
            "dense_1",
        ])
        model.setTraining(true)
        let output = try model(images([2, 75, 75, 3]))
        XCTAssertEqual(output.shape, [2, 2])
    }

    func testTooSmallInputOrWrongRankIsAnError() {
        for variant in InceptionFamily.variants {
            XCTAssertThrowsError(try variant.build(ArchitectureOptions(inputShape: [74, 75, 3]))) { error in
                let text = "\(error)"
                XCTAssertTrue(error is ModelError, text)
                for fragment in [variant.name, "[74, 75, 3]", "[75, 75]"] {
                    XCTAssertTrue(text.contains(fragment), "\(text) lacks \(fragment)")
                }
            }
            XCTAssertThrowsError(try variant.build(ArchitectureOptions(inputShape: [75, 75]))) { error in
                XCTAssertTrue("\(error)".contains(variant.name), "\(error)")
            }
        }
    }

    // MARK: Parts

    func testCustomScaleLayerAddsTheScaledResidual() throws {
        let layer = CustomScaleLayer(scale: 0.17, name: "scale")
        XCTAssertEqual(layer.kerasClassName, "CustomScaleLayer")
        XCTAssertTrue(layer.parameters.isEmpty)
        let shortcut = try Tensor(shape: [1, 1, 1, 2], scalars: [1, -2])
        let residual = try Tensor(shape: [1, 1, 1, 2], scalars: [10, 100])
        XCTAssertEqual(try layer([shortcut, residual]).scalars, [1 + 1.7, -2 + 17], accuracy: 1e-5)
        XCTAssertThrowsError(try layer([shortcut]))
    }

    /// Keras lists `input -> a -> (b1, b2 -> b2')` joined by a concatenation as
    /// input, conv2d, conv2d_2, conv2d_1, conv2d_3, concatenate (checked with Keras 3.15).
    func testGraphOrderIsKerasDepthSort() throws {
        let names = try BuildContext.freshNames { () -> [String] in
            let input = try Input(shape: [8, 8, 3])
            let a = try conv2d(input, 4, 1, 1, useBias: true)
            let b1 = try conv2d(a, 4, 1, 1, useBias: true)
            let b2 = try conv2d(conv2d(a, 4, 1, 1, useBias: true), 4, 1, 1, useBias: true)
            let model = try Model(inputs: [input], outputs: [concatenate([b1, b2])], name: "m", listsInputLayers: false)
            return model.layers.map(\.name)
        }
        XCTAssertEqual(names, ["conv2d", "conv2d_2", "conv2d_1", "conv2d_3", "concatenate"])
    }
}

private func XCTAssertEqual(
    _ actual: [Float], _ expected: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: accuracy, file: file, line: line) }
}
