import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ModelZoo

/// The inference rewrites (a convolution's output pass taking the batch normalization, the
/// residual sum and the activation after it) give the layers' own outputs, for every family.
final class InferenceFusionTests: XCTestCase {
    /// Moving statistics and scales away from 0 and 1, so that a wrong fold shows.
    func perturbNormalizations(_ model: Model) {
        var random = RandomGenerator(seed: 5)
        for norm in model.layers.compactMap({ $0 as? BatchNormalization }) {
            for parameter in norm.parameters {
                parameter.value.withUnsafeMutableBufferPointer { values in
                    for index in values.indices {
                        let u = random.nextUniform(-1, 1)
                        switch parameter.name {
                        case "moving_mean": values[index] = 0.1 * u
                        case "moving_variance": values[index] = 0.6 + 0.8 * u * u
                        case "gamma": values[index] = 1 + 0.2 * u
                        default: values[index] = 0.1 * u
                        }
                    }
                }
            }
        }
    }

    func testFusedInferenceEqualsTheLayersOneByOneInEveryFamily() throws {
        for variant in ModelZoo.variants {
            let input = variant.minimumInput + [variant.defaultInput.last ?? 3]
            let model = try BuildContext.run(seed: 1) {
                try variant.make(ArchitectureOptions(classes: 3, inputShape: input, classifierActivation: .linear))
            }
            perturbNormalizations(model)
            model.setTraining(false)
            let x = images([2] + input)
            let fused = try withoutGrad { try model(x) }
            let fusedChains = try XCTUnwrap(model.graph).fusedChainsInLastRun
            let deferredJoins = try XCTUnwrap(model.graph).deferredJoinsInLastRun
            let paddingsTaken = try XCTUnwrap(model.graph).paddingsTakenInLastRun
            // A hook sees every layer, so the graph runs them one by one.
            let plain = try withoutGrad { try LayerHooks.with({ _, _, output in output }) { try model(x) } }
            XCTAssertEqual(try XCTUnwrap(model.graph).fusedChainsInLastRun, 0, variant.name)
            let scale = max(1, plain.scalars.map(abs).max() ?? 0)
            let difference = zip(fused.scalars, plain.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(variant.name): fused against one by one")
            // Every family but the small CNN (convolution, ReLU inside, batch norm after) has
            // a convolution followed by batch normalization.
            if variant.name != "small_cnn" { XCTAssertGreaterThan(fusedChains, 0, "\(variant.name): nothing fused") }
            // DenseNet's concatenations are read by normalizations and by the next one only, and
            // none is made. InceptionV3's mixed9 and mixed10 each join two inner joins (of the
            // 1x3 and 3x1 branches), which are not made either: the outer join copies their
            // parts. Every other family's joins are read by convolutions or pooling.
            let joins = model.layers.filter { $0 is Concatenate }.count
            let expected = variant.family == "DenseNet" ? joins : variant.name == "inceptionv3" ? 4 : 0
            XCTAssertEqual(deferredJoins, expected, variant.name)
            // Every zero padding a convolution reads is taken into the convolution's padding:
            // MobileNetV2's four before its strided depthwise convolutions, the stem's in ResNet,
            // DenseNet and DeepLabv3. The one before the stem's max pooling stays: zeros padded
            // into a max pool's windows are values, not a pooling's padding.
            let paddings = model.layers.filter { $0 is ZeroPadding }.count
            XCTAssertEqual(paddingsTaken, variant.name == "mobilenetv2" ? 4 : paddings == 2 ? 1 : 0, variant.name)
        }
    }

    /// In training the batch normalization normalizes by the batch, which no fold can
    /// reproduce: the graph runs the layers as written, and the weights are never touched.
    func testTrainingModeRunsTheLayersAsWritten() throws {
        let model = try BuildContext.run(seed: 1) { try ModelZoo.variant("resnet18").make(ArchitectureOptions(classes: 3, inputShape: [32, 32, 3])) }
        let before = model.namedParameters.map { $0.parameter.value.scalars }
        model.setTraining(true)
        _ = try withoutGrad { try model(images([2, 32, 32, 3])) }
        XCTAssertEqual(try XCTUnwrap(model.graph).fusedChainsInLastRun, 0)
        model.setTraining(false)
        let moved = model.namedParameters.map { $0.parameter.value.scalars }
        _ = try withoutGrad { try model(images([2, 32, 32, 3])) }
        XCTAssertGreaterThan(try XCTUnwrap(model.graph).fusedChainsInLastRun, 0)
        XCTAssertEqual(model.namedParameters.map { $0.parameter.value.scalars }, moved, "inference changed a weight")
        XCTAssertNotEqual(before, moved, "training-mode batch norm updates its moving statistics")
    }
}
