import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

/// A residual block written in the functional style: the layers are created in Keras's order,
/// the forward pass reads like the diagram.
final class ResidualBlock: Model {
    let conv1, conv2: Conv2D
    let norm1, norm2: BatchNormalization
    let relu1, relu2: Activation
    let add: Add

    init(channels: Int) {
        conv1 = Conv2D(filters: channels, kernelSize: [3], inputChannels: channels, padding: .same, name: "block_1_conv")
        norm1 = BatchNormalization(channels: channels, name: "block_1_bn")
        relu1 = Activation(.relu, name: "block_1_relu")
        conv2 = Conv2D(filters: channels, kernelSize: [3], inputChannels: channels, padding: .same, name: "block_2_conv")
        norm2 = BatchNormalization(channels: channels, name: "block_2_bn")
        add = Add(name: "block_add")
        relu2 = Activation(.relu, name: "block_out")
        super.init(name: "residual")
        for layer in [conv1, norm1, relu1, conv2, norm2, add, relu2] as [Layer] { self.add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let branch = try norm2(conv2(relu1(norm1(conv1(x)))))
        return try relu2(add([x, branch]))
    }
}

final class LayerTests: XCTestCase {
    func testParameterPathsAreKerasNamesInCreationOrder() {
        let block = BuildContext.run(seed: 1) { ResidualBlock(channels: 4) }
        XCTAssertEqual(block.namedParameters.map(\.path), [
            "block_1_conv/kernel", "block_1_conv/bias",
            "block_1_bn/gamma", "block_1_bn/beta", "block_1_bn/moving_mean", "block_1_bn/moving_variance",
            "block_2_conv/kernel", "block_2_conv/bias",
            "block_2_bn/gamma", "block_2_bn/beta", "block_2_bn/moving_mean", "block_2_bn/moving_variance",
        ])
        XCTAssertEqual(block.layers.map(\.name), [
            "block_1_conv", "block_1_bn", "block_1_relu", "block_2_conv", "block_2_bn", "block_add", "block_out",
        ])
        let counts = block.parameterCounts
        XCTAssertEqual(counts.total, 2 * (3 * 3 * 4 * 4 + 4) + 2 * 16)
        XCTAssertEqual(counts.nonTrainable, 16)
        XCTAssertEqual(block.parameter(at: "block_1_bn/moving_variance")?.kind, .buffer)
    }

    func testNestedModelsPrefixTheirPathsAndBlocksDoNot() {
        let outer = Model(name: "classifier")
        let backbone = outer.add(Model(name: "backbone", isScope: true))
        let block = backbone.add(Module(name: "block1", isScope: false))
        block.add(Dense(units: 2, inputFeatures: 3, name: "fc"))
        XCTAssertEqual(outer.namedParameters.map(\.path), ["backbone/fc/kernel", "backbone/fc/bias"])
    }

    func testAutomaticNamesCountLikeAFreshKerasProgram() {
        let names = BuildContext.run(seed: 0) {
            [
                Conv2D(filters: 1, kernelSize: [1], inputChannels: 1).name, BatchNormalization(channels: 1).name,
                Conv2D(filters: 1, kernelSize: [1], inputChannels: 1).name, Conv2DTranspose(filters: 1, kernelSize: [2], inputChannels: 1).name,
                GlobalAveragePooling2D().name, ZeroPadding(symmetric: 1).name, DepthwiseConv2D(kernelSize: [3], inputChannels: 1).name,
            ]
        }
        XCTAssertEqual(names, [
            "conv2d", "batch_normalization", "conv2d_1", "conv2d_transpose", "global_average_pooling2d",
            "zero_padding2d", "depthwise_conv2d",
        ])
        XCTAssertEqual(snakeCase("ReLU"), "re_lu")
    }

    func testSameSeedSameWeights() {
        let a = BuildContext.run(seed: 7) { Dense(units: 3, inputFeatures: 5) }
        let b = BuildContext.run(seed: 7) { Dense(units: 3, inputFeatures: 5) }
        let c = BuildContext.run(seed: 8) { Dense(units: 3, inputFeatures: 5) }
        XCTAssertEqual(a.kernel.value.scalars, b.kernel.value.scalars)
        XCTAssertNotEqual(a.kernel.value.scalars, c.kernel.value.scalars)
        let limit = (6.0 / 8.0 as Float).squareRoot()
        XCTAssertTrue(a.kernel.value.scalars.allSatisfy { Swift.abs($0) <= limit })
        XCTAssertEqual(a.bias?.value.scalars, [0, 0, 0])
    }

    func testLayersComputeWhatTheirOpsCompute() throws {
        let x = uniform([2, 6, 6, 3])
        let conv = Conv2D(filters: 4, kernelSize: [3], inputChannels: 3, strides: [2], padding: .same, activation: .relu)
        let expected = try conv2d(x, kernel: conv.kernel.value, bias: conv.bias!.value, strides: [2], padding: .same).relu()
        XCTAssertEqual(try conv(x).scalars, expected.scalars)

        let separable = SeparableConv2D(filters: 5, kernelSize: [3], inputChannels: 3, padding: .same)
        XCTAssertEqual(separable.parameters.map(\.name), ["depthwise_kernel", "pointwise_kernel", "bias"])
        XCTAssertEqual(try separable(x).shape, [2, 6, 6, 5])
        XCTAssertEqual(try Conv2DTranspose(filters: 2, kernelSize: [2], inputChannels: 3, strides: [2])(x).shape, [2, 12, 12, 2])
        XCTAssertEqual(try Conv3D(filters: 2, kernelSize: [3], inputChannels: 1, padding: .same)(uniform([1, 4, 4, 4, 1])).shape, [1, 4, 4, 4, 2])
        XCTAssertEqual(try Conv3DTranspose(filters: 2, kernelSize: [2], inputChannels: 1, strides: [2])(uniform([1, 2, 2, 2, 1])).shape, [1, 4, 4, 4, 2])
        XCTAssertEqual(try DepthwiseConv2D(kernelSize: [3], inputChannels: 3, depthMultiplier: 2)(x).shape, [2, 4, 4, 6])
        XCTAssertEqual(try MaxPooling2D()(x).shape, [2, 3, 3, 3])
        XCTAssertEqual(try AveragePooling3D()(uniform([1, 4, 4, 4, 2])).shape, [1, 2, 2, 2, 2])
        XCTAssertEqual(try MaxPooling3D(poolSize: [2], padding: .same)(uniform([1, 3, 3, 3, 2])).shape, [1, 2, 2, 2, 2])
        XCTAssertEqual(try AveragePooling2D(poolSize: [3], strides: [1], padding: .same)(x).shape, x.shape)
        XCTAssertEqual(try GlobalMaxPooling2D()(x).shape, [2, 3])
        XCTAssertEqual(try GlobalAveragePooling3D()(uniform([1, 2, 2, 2, 4])).shape, [1, 4])
        XCTAssertEqual(try GlobalMaxPooling3D()(uniform([1, 2, 2, 2, 4])).shape, [1, 4])
        XCTAssertEqual(try ZeroPadding([(1, 0), (0, 2)])(x).shape, [2, 7, 8, 3])
        XCTAssertEqual(try ZeroPadding(symmetric: 1, spatialDims: 3)(uniform([1, 2, 2, 2, 1])).shape, [1, 4, 4, 4, 1])
        XCTAssertEqual(try UpSampling(size: [2, 2], interpolation: .linear)(x).shape, [2, 12, 12, 3])
        XCTAssertEqual(try UpSampling(size: [2, 2, 2])(uniform([1, 2, 2, 2, 1])).shape, [1, 4, 4, 4, 1])
        XCTAssertEqual(try Flatten()(x).shape, [2, 108])
        XCTAssertEqual(try Rescaling(scale: 2, offset: -1)(x).scalars, x.scalars.map { $0 * 2 - 1 })
        XCTAssertEqual(try Concatenate()([x, x]).shape, [2, 6, 6, 6])
        XCTAssertEqual(try Add()([x, x]).scalars, x.scalars.map { $0 * 2 })
        XCTAssertEqual(try Dense(units: 3, inputFeatures: 3, activation: .softmax)(x).shape, [2, 6, 6, 3])
        for function in ActivationFunction.allCases {
            XCTAssertEqual(try Activation(function)(x).shape, x.shape)
        }
        XCTAssertEqual(try ReLU(maxValue: 6)(x * 10).scalars.max(), 6)
    }

    func testDropoutOnlyInTrainingAndReproducible() throws {
        let x = Tensor(repeating: 1, shape: [1000])
        let layer = BuildContext.run(seed: 3) { Dropout(rate: 0.5) }
        XCTAssertEqual(try layer(x).scalars, x.scalars)
        layer.setTraining(true)
        let dropped = try layer(x).scalars
        XCTAssertEqual(Double(dropped.filter { $0 == 0 }.count) / 1000, 0.5, accuracy: 0.06)
        let again = BuildContext.run(seed: 3) { Dropout(rate: 0.5) }
        again.setTraining(true)
        XCTAssertEqual(try again(x).scalars, dropped)
    }

    func testWrongInputsNameTheLayerAndTheShapes() {
        let conv = Conv2D(filters: 4, kernelSize: [3], inputChannels: 3, name: "stem_conv")
        assertThrows(["stem_conv", "(batch, height, width, 3)", "[1, 8, 8, 1]"]) { _ = try conv(Tensor(zeros: [1, 8, 8, 1])) }
        assertThrows(["stem_conv", "[8, 8, 3]"]) { _ = try conv(Tensor(zeros: [8, 8, 3])) }
        let dense = Dense(units: 2, inputFeatures: 10, name: "predictions")
        assertThrows(["predictions", "10", "[4, 9]"]) { _ = try dense(Tensor(zeros: [4, 9])) }
        assertThrows(["bn", "(..., 8)", "[2, 4]"]) { _ = try BatchNormalization(channels: 8, name: "bn")(Tensor(zeros: [2, 4])) }
        assertThrows(["merge", "[2, 3]", "[2, 4]"]) { _ = try Add(name: "merge")([Tensor(zeros: [2, 3]), Tensor(zeros: [2, 4])]) }
        assertThrows(["input", "(batch, 124, 124, 1)", "[1, 64, 64, 1]"]) {
            _ = try InputLayer(shape: [124, 124, 1], name: "input")(Tensor(zeros: [1, 64, 64, 1]))
        }
        assertThrows(["small", "too small"]) {
            _ = try Conv2D(filters: 1, kernelSize: [5], inputChannels: 1, name: "small")(Tensor(zeros: [1, 3, 3, 1]))
        }
    }

    func testSequentialAndResidualBlocksTrainEndToEnd() throws {
        let model = BuildContext.run(seed: 2) {
            Sequential(name: "tiny", [
                Conv2D(filters: 4, kernelSize: [3], inputChannels: 1, padding: .same, activation: .relu),
                GlobalAveragePooling2D(), Dense(units: 2, inputFeatures: 4),
            ])
        }
        let x = uniform([3, 5, 5, 1])
        let loss = try model(x).pow(2).mean()
        try loss.backward()
        XCTAssertTrue(model.namedParameters.allSatisfy { $0.parameter.value.grad != nil })

        let block = BuildContext.run(seed: 4) { ResidualBlock(channels: 2) }
        block.setTraining(true)
        let input = uniform([2, 4, 4, 2], seed: 9)
        try block(input).sum().backward()
        XCTAssertNotNil(block.conv1.kernel.value.grad)
        XCTAssertNil(block.norm1.movingMean.value.grad, "buffers take no gradient")
    }
}
