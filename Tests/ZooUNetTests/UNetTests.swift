import XCTest
import ZooCore
import ZooNN
import ZooTensor

@testable import ZooUNet

/// Parameter counts and layer orders below are Keras's for the same networks, built layer by
/// layer by Tests/Fixtures/unet_reference.py with Keras 3.15: `model.count_params()` and
/// the trainable weights' sizes, `[layer.name for layer in model.layers]`.
final class UNetTests: XCTestCase {
    func counts(_ model: Model) -> [Int] {
        [model.parameterCounts.total, model.parameterCounts.trainable]
    }

    func testVariantParameterCountsMatchKeras() throws {
        // unet_reference.py: unet2d 1963624 / 1960808, unet3d 1420360 / 1418952,
        // unetplusplus 9089160 / 9081864 (default input, 1000 classes).
        let expected = [
            "unet2d": [1_963_624, 1_960_808], "unet3d": [1_420_360, 1_418_952],
            "unetplusplus": [9_089_160, 9_081_864],
        ]
        XCTAssertEqual(UNetFamily.variants.map(\.name), ["unet2d", "unet3d", "unetplusplus"])
        for variant in UNetFamily.variants {
            let model = try variant.build(ArchitectureOptions())
            XCTAssertEqual(counts(model), expected[variant.name], variant.name)
            XCTAssertEqual(
                [variant.parameterCount, variant.trainableParameterCount], expected[variant.name])
            let names = Set(model.layers.map(\.name))
            XCTAssertEqual(names.count, model.layers.count, "unique layer names in \(variant.name)")
            for layer in [variant.firstConvolution, variant.lastConvolution, variant.classifier] {
                XCTAssertTrue(names.contains(layer), "\(variant.name) has no layer \(layer)")
            }
        }
    }

    func testOtherConfigurationsMatchKeras() throws {
        // unet_reference.py: unet2d_classes2 1930690 / 1927874;
        // unet2d_instance_upsampling (3 channels, 2 classes) 1928450 / 1928450;
        // unet3d_classes2_instance 1401986 / 1401986; unetplusplus_classes2_average 9056424 / 9049128.
        let unet2d = try UNetFamily.unet2d.build(ArchitectureOptions(classes: 2))
        XCTAssertEqual(counts(unet2d), [1_930_690, 1_927_874])
        let instance = try UNet(
            spatialDims: 2, features: [32, 64, 128, 256], inputChannels: 3, classes: 2,
            normalization: .instance,
            decoder: .upSampling)
        XCTAssertEqual(counts(instance), [1_928_450, 1_928_450])
        let unet3d = try UNet(
            spatialDims: 3, features: [16, 32, 64, 128], classes: 2, normalization: .instance)
        XCTAssertEqual(counts(unet3d), [1_401_986, 1_401_986])
        let nested = try UNet(
            spatialDims: 2, features: [32, 64, 128, 256, 512], classes: 2, nested: true,
            deepSupervision: .average)
        XCTAssertEqual(counts(nested), [9_056_424, 9_049_128])
    }

    func testLayerOrderAndWeightsMatchKeras() throws {
        // unet_reference.py --layers: small2d ([4, 8, 16], 1 channel, 3 classes) 7727 / 7567.
        let unet = try UNet(spatialDims: 2, features: [4, 8, 16], classes: 3)
        XCTAssertEqual(counts(unet), [7727, 7567])
        let block = { (name: String) in
            (1...2).flatMap { ["\(name)_conv\($0)", "\(name)_bn\($0)", "\(name)_relu\($0)"] }
        }
        let expected =
            ["input_layer"] + block("down1") + ["down1_pool"] + block("down2") + ["down2_pool"]
            + block("bottleneck") + ["up2_transpose", "up2_concat"] + block("up2") + [
                "up1_transpose", "up1_concat",
            ]
            + block("up1") + ["final_conv"]
        XCTAssertEqual(unet.layers.map(\.name), expected)
        XCTAssertEqual(unet.parameter(at: "up2_transpose/kernel")?.value.shape, [2, 2, 8, 16])
        XCTAssertEqual(unet.parameter(at: "up1_conv1/kernel")?.value.shape, [3, 3, 8, 4])
        XCTAssertEqual(unet.parameter(at: "final_conv/kernel")?.value.shape, [1, 1, 4, 3])
        // small3d (2 channels) 21795 / 21635: the same names.
        let volume = try UNet(spatialDims: 3, features: [4, 8, 16], inputChannels: 2, classes: 3)
        XCTAssertEqual(counts(volume), [21795, 21635])
        XCTAssertEqual(volume.layers.map(\.name), expected)
        XCTAssertEqual(volume.parameter(at: "down1_conv1/kernel")?.value.shape, [3, 3, 3, 2, 4])
    }

    func testNestedLayerOrderMatchesKeras() throws {
        // Keras lists a functional model's layers by depth, so U-Net++'s parallel nodes
        // interleave. small_plusplus 8475 / 8299, small_plusplus_all 8490 / 8314.
        let interleaved = ["conv1", "bn1", "relu1", "conv2", "bn2", "relu2"].flatMap {
            ["x1_1_\($0)", "x0_1_\($0)"]
        }
        let block = { (name: String) in
            (1...2).flatMap { ["\(name)_conv\($0)", "\(name)_bn\($0)", "\(name)_relu\($0)"] }
        }
        let body =
            ["input_layer"] + block("x0_0") + ["x1_0_pool"] + block("x1_0") + ["x2_0_pool"]
            + block("x2_0")
            + ["x1_1_transpose", "x0_1_transpose", "x1_1_concat", "x0_1_concat"] + interleaved
            + ["x0_2_transpose", "x0_2_concat"] + block("x0_2")
        let plain = try UNet(spatialDims: 2, features: [4, 8, 16], classes: 3, nested: true)
        XCTAssertEqual(counts(plain), [8475, 8299])
        XCTAssertEqual(plain.layers.map(\.name), body + ["final_conv"])
        XCTAssertEqual(plain.parameter(at: "x0_2_conv1/kernel")?.value.shape, [3, 3, 12, 4])
        let all = try UNet(
            spatialDims: 2, features: [4, 8, 16], classes: 3, nested: true, deepSupervision: .all)
        XCTAssertEqual(counts(all), [8490, 8314])
        XCTAssertEqual(
            all.layers.map(\.name), body + ["final_conv1", "final_conv2", "final_concat"])
    }

    /// Runs a training-mode forward and backward pass; checks the output shape and that every
    /// trainable parameter received a finite gradient.
    func checkForwardBackward(
        _ model: Model, input: [Int], output: [Int], file: StaticString = #filePath,
        line: UInt = #line
    ) throws {
        var random = RandomGenerator(seed: 7)
        let x = Tensor.randomNormal(input, using: &random)
        model.setTraining(true)
        model.zeroGradients()
        let y = try model(x)
        XCTAssertEqual(y.shape, output, file: file, line: line)
        let projection = Tensor.randomNormal(y.shape, using: &random)
        try (y * projection).sum().backward()
        for (path, parameter) in model.trainableParameters {
            guard let grad = parameter.value.grad else {
                XCTFail("no gradient for \(path)", file: file, line: line)
                continue
            }
            XCTAssertTrue(
                grad.scalars.allSatisfy(\.isFinite), "gradient of \(path)", file: file, line: line)
        }
        XCTAssertTrue(
            model.parameter(at: "final_conv/kernel").map {
                $0.value.grad!.scalars.contains { $0 != 0 }
            } ?? true)
    }

    func testForwardBackward2D() throws {
        let batch = try UNet(spatialDims: 2, features: [8, 16, 32], classes: 3)
        try checkForwardBackward(batch, input: [2, 32, 32, 1], output: [2, 32, 32, 3])
        let instance = try UNet(
            spatialDims: 2, features: [8, 16, 32], inputChannels: 3, classes: 3,
            normalization: .instance,
            decoder: .upSampling)
        try checkForwardBackward(instance, input: [2, 16, 24, 3], output: [2, 16, 24, 3])
    }

    func testForwardBackward3D() throws {
        let batch = try UNet(
            spatialDims: 3, features: [4, 8, 16], classes: 2, inputShape: [16, 16, 16, 1])
        try checkForwardBackward(batch, input: [2, 16, 16, 16, 1], output: [2, 16, 16, 16, 2])
        let instance = try UNet(
            spatialDims: 3, features: [4, 8, 16, 32], classes: 2, normalization: .instance)
        try checkForwardBackward(instance, input: [2, 16, 16, 16, 1], output: [2, 16, 16, 16, 2])
    }

    func testUNetPlusPlusWithAndWithoutDeepSupervision() throws {
        let features = [4, 8, 16, 32]
        let plain = try UNet(spatialDims: 2, features: features, classes: 3, nested: true)
        try checkForwardBackward(plain, input: [2, 16, 16, 1], output: [2, 16, 16, 3])
        let average = try UNet(
            spatialDims: 2, features: features, classes: 3, nested: true, deepSupervision: .average)
        try checkForwardBackward(average, input: [2, 16, 16, 1], output: [2, 16, 16, 3])
        let all = try UNet(
            spatialDims: 2, features: features, classes: 3, nested: true, deepSupervision: .all)
        try checkForwardBackward(all, input: [2, 16, 16, 1], output: [2, 16, 16, 9])

        // The average is the mean of the three heads, and `.all` lists the same heads.
        all.setTraining(false)
        average.setTraining(false)
        let x = Tensor.randomNormal([1, 16, 16, 1], using: &RandomGenerator.testSeed)
        let heads = try all.headOutputs(x)
        XCTAssertEqual(heads.map(\.shape), [[1, 16, 16, 3], [1, 16, 16, 3], [1, 16, 16, 3]])
        let mean = try (heads[0] + heads[1] + heads[2]) * (1 / Float(3))
        let averaged = try Average(name: "check")(heads)
        XCTAssertEqual(averaged.scalars, mean.scalars)
        let joined = try all(x)
        XCTAssertEqual(try joined.sliced([0..<1, 0..<16, 0..<16, 3..<6]).scalars, heads[1].scalars)
        XCTAssertThrowsError(
            try UNet(spatialDims: 2, features: features, deepSupervision: .average)
        ) {
            XCTAssertTrue("\($0)".contains("deep supervision needs the nested"), "\($0)")
        }
    }

    func testInstanceNormalizationNormalizesEachSampleAndChannel() throws {
        var random = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([2, 5, 4, 3], mean: 2, stddev: 3, using: &random)
        let layer = InstanceNormalization(channels: 3, name: "in")
        let y = try layer(x)
        let mean = try y.mean(axes: [1, 2])
        let variance = try (y * y).mean(axes: [1, 2])
        for value in mean.scalars { XCTAssertEqual(value, 0, accuracy: 1e-5) }
        for value in variance.scalars { XCTAssertEqual(value, 1, accuracy: 1e-3) }
        XCTAssertEqual(layer.kerasClassName, "GroupNormalization")
        XCTAssertEqual(layer.parameters.map(\.name), ["gamma", "beta"])

        // Finite differences of a projection of the output, with respect to the input and gamma.
        try layer.gamma.value.assign(Tensor(shape: [3], scalars: [0.5, 1.5, -1]))
        let projection = Tensor.randomNormal(x.shape, using: &random)
        let input = x.copy()
        input.requiresGrad = true
        try (layer(input) * projection).sum().backward()
        func objective() throws -> Double {
            try withoutGrad { Double(try (layer(input) * projection).sum().item()) }
        }
        for (tensor, index) in [(input, 0), (input, 17), (input, 40), (layer.gamma.value, 1)] {
            let analytic = tensor.grad!.scalars[index]
            let h: Float = 1e-2
            let original = tensor.scalars[index]
            tensor.withUnsafeMutableBufferPointer { $0[index] = original + h }
            let plus = try objective()
            tensor.withUnsafeMutableBufferPointer { $0[index] = original - h }
            let minus = try objective()
            tensor.withUnsafeMutableBufferPointer { $0[index] = original }
            XCTAssertEqual(
                Double(analytic), (plus - minus) / Double(2 * h), accuracy: 2e-2, "element \(index)"
            )
        }
    }

    func testInputsTooSmallOrIndivisibleAreRefused() throws {
        XCTAssertThrowsError(
            try UNetFamily.unet2d.build(ArchitectureOptions(inputShape: [4, 4, 1]))
        ) {
            XCTAssertTrue("\($0)".contains("unet2d") && "\($0)".contains("[4, 4, 1]"), "\($0)")
        }
        XCTAssertThrowsError(
            try UNetFamily.unet2d.build(ArchitectureOptions(inputShape: [100, 100, 1]))
        ) {
            XCTAssertTrue(
                "\($0)".contains("[100, 100]") && "\($0)".contains("multiples of 8"), "\($0)")
        }
        XCTAssertThrowsError(
            try UNetFamily.unetplusplus.build(ArchitectureOptions(inputShape: [8, 8, 1]))
        ) {
            XCTAssertTrue("\($0)".contains("minimum [16, 16]"), "\($0)")
        }
        XCTAssertThrowsError(
            try UNetFamily.unet3d.build(ArchitectureOptions(inputShape: [64, 64, 1]))
        ) {
            XCTAssertTrue("\($0)".contains("unet3d") && "\($0)".contains("[64, 64, 1]"), "\($0)")
        }
        XCTAssertThrowsError(
            try UNetFamily.unet2d.build(ArchitectureOptions(includeTop: false, pooling: .average)))
        // Without a fixed input shape the check happens on the first forward pass.
        let model = try UNet(spatialDims: 2, features: [4, 8, 16], classes: 2)
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 18, 16, 1]))) {
            XCTAssertTrue(
                "\($0)".contains("[18, 16]") && "\($0)".contains("multiples of 4"), "\($0)")
        }
        XCTAssertThrowsError(try model(Tensor(zeros: [1, 16, 16, 16, 1]))) {
            XCTAssertTrue("\($0)".contains("input_layer"), "\($0)")
        }
        XCTAssertThrowsError(try UNet(spatialDims: 4, features: [4, 8]))
        XCTAssertThrowsError(try UNet(spatialDims: 2, features: [4]))
    }

    func testVariantBuildsAtMinimumInputWithOneChannelAndClasses() throws {
        let model = try UNetFamily.unet2d.build(
            ArchitectureOptions(classes: 3, inputShape: [8, 8, 1]))
        model.setTraining(false)
        let y = try withoutGrad { try model(Tensor(zeros: [2, 8, 8, 1])) }
        XCTAssertEqual(y.shape, [2, 8, 8, 3])
    }
}

extension RandomGenerator {
    static var testSeed = RandomGenerator(seed: 11)
}
