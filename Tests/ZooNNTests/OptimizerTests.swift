import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

/// Update rules step by step. PyTorch trajectories come from torch.optim itself and Keras
/// trajectories from keras.optimizers (Tests/Fixtures/optimizer_reference.py prints them):
/// start [0.5, -1, 2], then the three gradients below.
final class OptimizerTests: XCTestCase {
    let gradients: [[Float]] = [[0.1, -0.2, 0.3], [-0.5, 0.4, 0.05], [0.2, 0.2, -0.7]]

    func trajectory(_ optimizer: Optimizer, steps: Int = 3) throws -> [[Float]] {
        let layer = BuildContext.run(seed: 0) { Dense(units: 3, inputFeatures: 1, useBias: false) }
        try layer.kernel.value.assign(Tensor(shape: [1, 3], scalars: [0.5, -1, 2]))
        var result = [[Float]]()
        for gradient in gradients.prefix(steps) {
            layer.kernel.value.grad = try Tensor(shape: [1, 3], scalars: gradient)
            try optimizer.step(layer.namedParameters)
            result.append(layer.kernel.value.scalars)
        }
        return result
    }

    func assertTrajectory(_ actual: [[Float]], _ expected: [[Float]], file: StaticString = #filePath, line: UInt = #line) {
        for (step, (a, e)) in zip(actual, expected).enumerated() {
            assertClose(a, e, tolerance: 2e-6, "step \(step + 1)", file: file, line: line)
        }
    }

    // torch.optim, printed by Tests/Fixtures/optimizer_reference.py.
    let torchSGDMomentumDampeningDecay: [[Float]] = [[0.4895, -0.979, 1.9680001], [0.5246094, -0.9952189, 1.9329288], [0.5377358, -1.0269202, 1.962625]]
    let torchSGDNesterov: [[Float]] = [[0.481, -0.962, 1.943], [0.5679, -1.0218, 1.9092], [0.56311, -1.07762, 2.0162799]]
    let torchAdamL2: [[Float]] = [[0.49, -0.99, 1.99], [0.4949477, -0.9905429, 1.980684], [0.4953633, -0.9924287, 1.9796017]]
    let torchAdamW: [[Float]] = [[0.4895, -0.989, 1.988], [0.494994, -0.9916721, 1.9781789], [0.496471, -0.9958729, 1.9796497]]

    // keras.optimizers (Keras 3.15), printed by the same script.
    let kerasAdam: [[Float]] = [[0.4900004, -0.9900002, 1.9900001], [0.4959838, -0.9936612, 1.982167], [0.4979558, -0.9988536, 1.985616]]
    let kerasAdamDecay: [[Float]] = [[0.4895004, -0.9890003, 1.9880002], [0.4949943, -0.9916722, 1.978179], [0.4964713, -0.9958729, 1.9796498]]
    let kerasSGDNesterov: [[Float]] = [[0.481, -0.962, 1.943], [0.5679, -1.0218, 1.9092], [0.56311, -1.07762, 2.0162799]]

    func testKerasConventionMatchesKerasOptimizers() throws {
        assertTrajectory(try trajectory(Adam(learningRate: 0.01)), kerasAdam)
        assertTrajectory(try trajectory(Adam(learningRate: 0.01, weightDecay: 0.1)), kerasAdamDecay)
        assertTrajectory(try trajectory(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, convention: .keras)), kerasSGDNesterov)
    }

    func testPyTorchConventionMatchesTorchOptim() throws {
        assertTrajectory(try trajectory(SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01)), torchSGDMomentumDampeningDecay)
        assertTrajectory(try trajectory(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true)), torchSGDNesterov)
        assertTrajectory(try trajectory(Adam(learningRate: 0.01, weightDecay: 0.1, convention: .pytorch)), torchAdamL2)
        assertTrajectory(try trajectory(AdamW(learningRate: 0.01, weightDecay: 0.1)), torchAdamW)
    }

    func testKerasAdamByHand() throws {
        // Keras: alpha = lr sqrt(1 - b2^t) / (1 - b1^t); p -= alpha m / (sqrt(v) + 1e-7).
        // Step 1, g = 0.1: m = 0.01, v = 1e-5, alpha = 0.01 * sqrt(0.001) / 0.1 = 0.0031623;
        // p = 0.5 - 0.0031623 * 0.01 / (0.0031623 + 1e-7) = 0.5 - 0.0099997.
        let steps = try trajectory(Adam(learningRate: 0.01), steps: 1)
        XCTAssertEqual(Double(steps[0][0]), 0.5 - 0.01 * 0.0031622777 / (0.0031622777 + 1e-7), accuracy: 1e-7)
        // PyTorch's epsilon sits after the bias correction: 0.5 - 0.01 * 0.1 / (0.1 + 1e-8).
        let torchSteps = try trajectory(Adam(learningRate: 0.01, convention: .pytorch), steps: 1)
        XCTAssertEqual(Double(torchSteps[0][0]), 0.5 - 0.01 * 0.1 / (0.1 + 1e-8), accuracy: 1e-7)
        XCTAssertEqual(try Adam().epsilon, 1e-7)
        XCTAssertEqual(try Adam(convention: .pytorch).epsilon, 1e-8)
    }

    func testKerasSGDKeepsTheRateInsideTheVelocity() throws {
        // m1 = -0.01, p1 = 0.5 + 0.9 * -0.01 - 0.01 = 0.481; m2 = 0.9 * -0.01 + 0.05 = 0.041,
        // p2 = 0.481 + 0.9 * 0.041 + 0.05 = 0.5679 (equal to PyTorch's at a constant rate).
        let steps = try trajectory(SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, convention: .keras))
        assertTrajectory(steps, torchSGDNesterov)
        // Decoupled decay first: p *= 1 - lr * wd, then the plain step.
        let decayed = try trajectory(SGD(learningRate: 0.1, weightDecay: 0.5, convention: .keras), steps: 1)
        assertClose(decayed[0], [0.5 * 0.95 - 0.01, -1 * 0.95 + 0.02, 2 * 0.95 - 0.03])
    }

    func testClipping() throws {
        // Global norm of the first gradient: sqrt(0.14) = 0.37417; clipped to 0.1.
        let clipped = try trajectory(SGD(learningRate: 1, clipping: .globalNorm(0.1)), steps: 1)
        let scale = 0.1 / (Float(0.14).squareRoot() + 1e-6)
        assertClose(clipped[0], [0.5 - 0.1 * scale, -1 + 0.2 * scale, 2 - 0.3 * scale])
        let byValue = try trajectory(SGD(learningRate: 1, clipping: .value(0.15)), steps: 1)
        assertClose(byValue[0], [0.4, -0.85, 1.85])
    }

    func testStateRoundTripsAndResumesIdentically() throws {
        let reference = try trajectory(Adam(learningRate: 0.01))
        let layer = BuildContext.run(seed: 0) { Dense(units: 3, inputFeatures: 1, useBias: false) }
        try layer.kernel.value.assign(Tensor(shape: [1, 3], scalars: [0.5, -1, 2]))
        let first = try Adam(learningRate: 0.01)
        layer.kernel.value.grad = try Tensor(shape: [1, 3], scalars: gradients[0])
        try first.step(layer.namedParameters)
        let state = first.stateDictionary()
        XCTAssertEqual(Set(state.keys), ["iterations", "kernel/m", "kernel/v"] as Set)
        let resumed = try Adam(learningRate: 0.01)
        try resumed.loadStateDictionary(state)
        XCTAssertEqual(resumed.iterations, 1)
        for gradient in gradients.dropFirst() {
            layer.kernel.value.grad = try Tensor(shape: [1, 3], scalars: gradient)
            try resumed.step(layer.namedParameters)
        }
        XCTAssertEqual(layer.kernel.value.scalars, reference[2])
        assertThrows(["unexpected state entry", "kernel/velocity"]) {
            try resumed.loadStateDictionary(["iterations": Tensor(1), "kernel/velocity": Tensor(zeros: [3])])
        }
    }

    func testFrozenAndGradientlessParametersAreSkippedAndNaNIsRefused() throws {
        let layer = Dense(units: 2, inputFeatures: 2)
        let before = layer.kernel.value.scalars
        layer.isFrozen = true
        layer.kernel.value.grad = Tensor(repeating: 1, shape: [2, 2])
        try SGD(learningRate: 1).step(layer.namedParameters)
        XCTAssertEqual(layer.kernel.value.scalars, before)
        layer.isFrozen = false
        layer.kernel.value.grad = try Tensor(shape: [2, 2], scalars: [1, .nan, 0, 0])
        assertThrows(["SGD", "kernel", "not finite"]) { try SGD(learningRate: 1).step(layer.namedParameters) }
        assertThrows(["Nesterov"]) { _ = try SGD(nesterov: true) }
    }
}

/// Inference keeps a convolution's kernel in oneDNN's layout between calls (ZooTensor's
/// `ConvKernel`); an optimizer step between two inferences must reach the second one.
final class KeptKernelLayoutAcrossStepsTests: XCTestCase {
    func testInferenceAfterAnOptimizerStepReadsTheUpdatedKernel() throws {
        XCTAssertTrue(ConvolutionAlgorithm.onednnAvailable, "oneDNN has no CPU engine")
        let layer = BuildContext.run(seed: 3) { Conv2D(filters: 64, kernelSize: [3, 3], inputChannels: 64, padding: .same) }
        let x = uniform([2, 12, 12, 64], seed: 4)
        func infer(_ algorithm: ConvolutionAlgorithm) throws -> [Float] {
            try ConvolutionAlgorithm.using(algorithm) { try withoutGrad { try layer.forward(x).scalars } }
        }
        // The gradient first, then an inference (which keeps the kernel's layout), then the
        // step: nothing but the step's write stands between the two inferences.
        try ConvolutionAlgorithm.using(.onednn) {
            let y = try layer.forward(x)
            let loss = try (y * y).mean()
            try loss.backward()
        }
        let before = try infer(.onednn)
        try SGD(learningRate: 0.5).step(layer.namedParameters)
        let after = try infer(.onednn)
        let reference = try infer(.zoo)
        assertClose(after, reference, tolerance: 1e-4, "inference after the step, oneDNN against im2col")
        XCTAssertGreaterThan(zip(before, after).map { Swift.abs($0 - $1) }.max() ?? 0, 1e-3, "the step changed the output")
    }
}
