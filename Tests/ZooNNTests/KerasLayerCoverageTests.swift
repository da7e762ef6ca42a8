import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

/// The layers real medical Keras files use beyond the applications' (#16, item 5): each one's
/// values by its Keras definition, its gradients against central differences, and its shape
/// errors. Keras's own outputs for all of them together: ZooKitTests.ModelFileCommandsTests.
final class KerasLayerCoverageTests: XCTestCase {
    /// A weighted sum of the layer's output, so every output element reaches the gradient.
    func projected(_ y: Tensor, seed: UInt64 = 7) throws -> Tensor {
        try (y * uniform(y.shape, seed: seed)).sum()
    }

    func testActivationLayersFollowTheirKerasDefinitions() throws {
        let x = try Tensor(shape: [1, 5], scalars: [-2, -0.5, 0.25, 1, 3])
        assertClose(try LeakyReLU(negativeSlope: 0.2)(x).scalars, [-0.4, -0.1, 0.25, 1, 3])
        assertClose(try ELU(alpha: 0.7)(x).scalars, [0.7 * (expf(-2) - 1), 0.7 * (expf(-0.5) - 1), 0.25, 1, 3])
        let softmax = try Softmax()(x).scalars
        let total = [-2, -0.5, 0.25, 1, 3].map { expf(Float($0)) }.reduce(0, +)
        assertClose(softmax, [-2, -0.5, 0.25, 1, 3].map { expf(Float($0)) / total })
        let prelu = PReLU(alphaShape: [1, 1, 2], sharedAxes: [1, 2])
        try prelu.alpha.value.assign(Tensor(shape: [1, 1, 2], scalars: [0.25, 0.5]))
        let image = try Tensor(shape: [1, 1, 2, 2], scalars: [-4, -4, 2, -2])
        assertClose(try prelu(image).scalars, [-1, -2, 2, -1])
    }

    func testActivationGradients() throws {
        // Inputs away from the kink at 0 by more than the step.
        let x = try Tensor(shape: [2, 3, 2], scalars: [-1.3, 0.4, 2.1, -0.6, 0.9, -2.2, 1.4, -0.3, 0.7, -1.7, 0.2, 1.1])
        try assertScalarGradient(x) { try self.projected(try ELU(alpha: 0.7)($0)) }
        try assertScalarGradient(x) { try self.projected(try LeakyReLU(negativeSlope: 0.2)($0)) }
        try assertScalarGradient(x) { try self.projected(try Softmax()($0)) }
        let prelu = PReLU(alphaShape: [1, 2], sharedAxes: [1])
        try prelu.alpha.value.assign(Tensor(shape: [1, 2], scalars: [0.25, -0.5]))
        try assertScalarGradient(x) { try self.projected(try prelu($0)) }
        let fixed = x.detached()
        try assertScalarGradient(prelu.alpha.value) { _ in try self.projected(try prelu(fixed)) }
    }

    func testNormalizationLayersAndTheirGradients() throws {
        let x = uniform([2, 3, 4], -2, 2, seed: 3)
        let layerNorm = LayerNormalization(features: 4, epsilon: 1e-3)
        try layerNorm.gamma!.value.assign(uniform([4], 0.5, 1.5, seed: 4))
        try layerNorm.beta!.value.assign(uniform([4], -0.5, 0.5, seed: 5))
        // One row by hand: (x - mean) / sqrt(var + eps) * gamma + beta.
        let row = Array(x.scalars[0..<4])
        let mean = row.reduce(0, +) / 4
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4
        let expected = (0..<4).map { (row[$0] - mean) / (variance + 1e-3).squareRoot() * layerNorm.gamma!.value.scalars[$0] + layerNorm.beta!.value.scalars[$0] }
        assertClose(Array(try layerNorm(x).scalars[0..<4]), expected)
        try assertScalarGradient(x) { try self.projected(try layerNorm($0)) }
        let fixed = x.detached()
        try assertScalarGradient(layerNorm.gamma!.value) { _ in try self.projected(try layerNorm(fixed)) }
        try assertScalarGradient(layerNorm.beta!.value) { _ in try self.projected(try layerNorm(fixed)) }

        let norm = Normalization(features: 4)
        try norm.mean!.value.assign(Tensor(shape: [4], scalars: [1, -1, 0, 2]))
        try norm.variance!.value.assign(Tensor(shape: [4], scalars: [4, 0.25, 0, 1]))
        let values = try Tensor(shape: [1, 4], scalars: [3, 0, 1e-7, 2])
        // A variance of 0 takes Keras's floor of 1e-7 on the deviation.
        assertClose(try norm(values).scalars, [1, 2, 1, 0])
        assertClose(try Normalization(features: 4, invert: true, name: "inverse").copyingStatistics(of: norm)(try norm(values)).scalars, values.scalars)
        try assertScalarGradient(uniform([3, 4], seed: 8)) { try self.projected(try norm($0)) }
        let constants = Normalization(features: 4, mean: [1], variance: [4])
        assertClose(try constants(values).scalars, [1, -0.5, (1e-7 - 1) / 2, 0.5])
        XCTAssertTrue(constants.parameters.isEmpty, "statistics given as values are not weights")
        assertThrows(["Normalization", "3 statistics", "4 features"]) {
            _ = try Normalization(features: 4, mean: [1, 2, 3], variance: [1]).computeOutputShape([nil, 4])
        }
    }

    func testReshapingLayers() throws {
        let x = try Tensor(shape: [1, 3, 4, 2], scalars: (0..<24).map(Float.init))
        let cropped = try Cropping([(1, 0), (1, 2)])(x)
        XCTAssertEqual(cropped.shape, [1, 2, 1, 2])
        XCTAssertEqual(cropped.scalars, [10, 11, 18, 19])
        XCTAssertEqual(try Cropping([(1, 0), (1, 2)]).computeOutputShape([3, 4, 2]), [2, 1, 2])
        assertThrows(["cropping", "leaves nothing"]) { _ = try Cropping([(2, 1), (0, 0)]).computeOutputShape([3, 4, 2]) }
        let reshaped = try Reshape(targetShape: [-1, 2])(x)
        XCTAssertEqual(reshaped.shape, [1, 12, 2])
        XCTAssertEqual(try Reshape(targetShape: [-1, 2]).computeOutputShape([3, 4, 2]), [12, 2])
        assertThrows(["cannot reshape", "[5]"]) { _ = try Reshape(targetShape: [5]).computeOutputShape([3, 4, 2]) }
        let permuted = try Permute(dims: [3, 1, 2])(x)
        XCTAssertEqual(permuted.shape, [1, 2, 3, 4])
        XCTAssertEqual(Array(permuted.scalars[0..<4]), [0, 2, 4, 6])
        assertThrows(["Permute", "not a permutation"]) { _ = try Permute(dims: [1, 1, 2]).computeOutputShape([3, 4, 2]) }
        let rescaling = Rescaling(scales: [2, 0.5], offsets: [1, -1])
        assertClose(try rescaling(try Tensor(shape: [1, 2], scalars: [3, 4])).scalars, [7, 1])
        assertThrows(["Rescaling", "2 per-channel"]) { _ = try rescaling.computeOutputShape([3, 3]) }
        let input = uniform([1, 3, 4, 2], seed: 9)
        try assertScalarGradient(input) { try self.projected(try Cropping([(1, 0), (1, 2)])($0)) }
        try assertScalarGradient(input) { try self.projected(try Permute(dims: [3, 1, 2])($0)) }
        try assertScalarGradient(input) { try self.projected(try Reshape(targetShape: [-1, 2])($0)) }
    }

    func testMergingAttentionGates() throws {
        let a = uniform([2, 3], seed: 10), b = uniform([2, 3], seed: 11)
        assertClose(try Multiply()([a, b]).scalars, zip(a.scalars, b.scalars).map { $0 * $1 })
        assertClose(try Subtract()([a, b]).scalars, zip(a.scalars, b.scalars).map { $0 - $1 })
        let fixed = b.detached()
        try assertScalarGradient(a) { try self.projected(try Multiply()([$0, fixed])) }
        try assertScalarGradient(a) { try self.projected(try Subtract()([fixed, $0])) }
        assertThrows(["Subtract", "exactly two"]) { _ = try Subtract().computeOutputShape(inputs: [[3], [3], [3]]) }
    }

    /// Conv1D equals a one-row Conv2D with the same kernel, and its gradients are right.
    func testConv1DIsAOneRowConvolution() throws {
        let conv = Conv1D(filters: 3, kernelSize: 3, inputChannels: 2, stride: 2, padding: .same)
        try conv.bias!.value.assign(uniform([3], seed: 12))
        let x = uniform([2, 7, 2], seed: 13)
        let y = try conv(x)
        XCTAssertEqual(y.shape, [2, 4, 3])
        XCTAssertEqual(try conv.computeOutputShape([7, 2]), [4, 3])
        let conv2D = Conv2D(filters: 3, kernelSize: [1, 3], inputChannels: 2, strides: [1, 2], padding: .same)
        try conv2D.kernel.value.assign(try conv.kernel.value.reshaped([1, 3, 2, 3]))
        try conv2D.bias!.value.assign(conv.bias!.value)
        assertClose(y.scalars, try conv2D(try x.reshaped([2, 1, 7, 2])).scalars)
        try assertScalarGradient(x) { try self.projected(try conv($0)) }
        let fixed = x.detached()
        try assertScalarGradient(conv.kernel.value) { _ in try self.projected(try conv(fixed)) }
    }

    /// The noise layers are the identity at inference; in training, spatial dropout drops whole
    /// channels of a sample and keeps the mean, and the Gaussian layers keep the mean.
    func testNoiseLayersActInTrainingOnly() throws {
        let x = try Tensor(shape: [64, 2, 2, 16], scalars: Array(repeating: 1, count: 64 * 2 * 2 * 16))
        for layer in [SpatialDropout(rate: 0.5, spatialDims: 2), GaussianNoise(stddev: 0.3), GaussianDropout(rate: 0.2)] as [Layer] {
            layer.setTraining(false)
            XCTAssertEqual(try layer(x).scalars, x.scalars, "\(layer.name) at inference")
            layer.setTraining(true)
            let y = try layer(x).scalars
            XCTAssertNotEqual(y, x.scalars, "\(layer.name) in training")
            // 1024 channels dropped at 0.5: the mean's deviation is 1/32.
            XCTAssertEqual(Double(y.reduce(0, +)) / Double(y.count), 1, accuracy: 0.15, "\(layer.name) keeps the mean")
        }
        let dropout = SpatialDropout(rate: 0.5, spatialDims: 2)
        dropout.setTraining(true)
        let y = try dropout(x).scalars
        for sample in 0..<64 {
            for channel in 0..<16 {
                let values = (0..<4).map { y[((sample * 4) + $0) * 16 + channel] }
                XCTAssertTrue(values.allSatisfy { $0 == values[0] } && [0, 2].contains(values[0]), "a channel is dropped whole or kept, scaled")
            }
        }
    }
}

extension Normalization {
    /// This layer with `other`'s adapted statistics.
    func copyingStatistics(of other: Normalization) throws -> Normalization {
        try mean!.value.assign(other.mean!.value)
        try variance!.value.assign(other.variance!.value)
        return self
    }
}
