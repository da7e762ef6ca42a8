import XCTest

@testable import ZooTensor

final class AutogradTests: XCTestCase {
    func testGradientsAccumulateAcrossBackwardCalls() throws {
        let w = Tensor(repeating: 2, shape: [3], requiresGrad: true)
        try (w * w).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [4, 4, 4])
        try (w * 3).sum().backward()
        XCTAssertEqual(w.grad?.scalars, [7, 7, 7])
    }

    /// The hook data-parallel training overlaps its sums with: each leaf is reported once, with
    /// its complete gradient (a leaf used twice only after both uses), while the other leaf's
    /// gradient is still to come.
    func testEachLeafIsReportedOnceItsGradientIsComplete() throws {
        let x = try Tensor(shape: [2], scalars: [1, 2])
        let w1 = try Tensor(shape: [2], scalars: [3, 4], requiresGrad: true)
        let w2 = try Tensor(shape: [2], scalars: [5, 6], requiresGrad: true)
        let hidden = try x * w1
        let y = try (hidden * w2 + w2 * w2).sum()
        var reports = [String: [Float]]()
        var otherReadyAtFirstReport: Bool?
        try y.backward(nil, retainGraph: false) { leaf in
            let name = leaf === w1 ? "w1" : "w2"
            XCTAssertNil(reports[name], "\(name) reported twice")
            reports[name] = leaf.grad!.scalars
            if otherReadyAtFirstReport == nil { otherReadyAtFirstReport = (leaf === w1 ? w2 : w1).grad != nil }
        }
        XCTAssertEqual(reports["w2"], [3 + 10, 8 + 12], "w2's gradient from both of its uses")
        XCTAssertEqual(reports["w1"], [5, 12])
        XCTAssertEqual(otherReadyAtFirstReport, false, "the first leaf was reported before the other's gradient existed")
    }

    func testReusedTensorSumsItsGradients() throws {
        let x = try Tensor(shape: [2], scalars: [1, 2], requiresGrad: true)
        let y = try x * x + x.exp() * x
        try y.sum().backward()
        let expected = [1, 2].map { (v: Float) in 2 * v + expf(v) * (1 + v) }
        assertClose(x.grad!.scalars, expected)
    }

    func testIntermediateGradientsForGradCAM() throws {
        let x = try Tensor(shape: [1, 3], scalars: [1, -2, 3], requiresGrad: true)
        let hidden = x * 2
        hidden.retainGrad()
        let out = try (hidden.relu() * hidden).sum()
        try out.backward()
        // d/dh of relu(h) * h = 2h for h > 0, 0 otherwise.
        XCTAssertEqual(hidden.grad?.scalars, [4, 0, 12])
        let viaQuery = try out.gradients(withRespectTo: [hidden, x])
        XCTAssertEqual(viaQuery[0].scalars, [4, 0, 12])
        XCTAssertEqual(viaQuery[1].scalars, [8, 0, 24])
    }

    func testNoGradScopeRecordsNothing() throws {
        let w = Tensor(repeating: 1, shape: [2], requiresGrad: true)
        let y = try withoutGrad { try (w * w).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.node)
        XCTAssertTrue(GradMode.isEnabled)
        assertTensorError(["backward"]) { try Tensor(zeros: [2]).backward() }
    }

    func testDetachedStopsGradient() throws {
        let x = Tensor(repeating: 3, shape: [1], requiresGrad: true)
        let y = try x * x.detached()
        try y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [3])
    }

    func testResultsDoNotLeakThroughTheirBackwardRules() throws {
        weak var weakResult: Tensor?
        do {
            let x = uniform([4], seed: 2)
            x.requiresGrad = true
            let y = try x.sigmoid().tanh().exp().softmax() / x.sqrt().abs()
            weakResult = y
            XCTAssertNotNil(weakResult)
        }
        XCTAssertNil(weakResult, "a result kept itself alive through its node")
    }
}

final class RandomTests: XCTestCase {
    func testSameSeedSameStreamAndRestorableState() throws {
        var a = RandomGenerator(seed: 42)
        var b = RandomGenerator(seed: 42)
        XCTAssertEqual((0..<5).map { _ in a.next() }, (0..<5).map { _ in b.next() })
        var resumed = try RandomGenerator(state: a.state)
        XCTAssertEqual((0..<5).map { _ in a.nextNormal() }, (0..<5).map { _ in resumed.nextNormal() })
        XCTAssertNotEqual(RandomGenerator(seed: 1).state, RandomGenerator(seed: 2).state)
        assertTensorError(["state"]) { _ = try RandomGenerator(state: [0, 0, 0, 0]) }
    }

    func testDistributionsHaveTheirMoments() {
        var random = RandomGenerator(seed: 3)
        let normal = Tensor.randomNormal([50_000], mean: 1, stddev: 2, using: &random).scalars
        let mean = normal.reduce(0, +) / Float(normal.count)
        let variance = normal.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(normal.count)
        XCTAssertEqual(mean, 1, accuracy: 0.05)
        XCTAssertEqual(variance.squareRoot(), 2, accuracy: 0.05)
        let bernoulli = Tensor.randomBernoulli([50_000], probability: 0.25, using: &random).scalars
        XCTAssertEqual(bernoulli.reduce(0, +) / 50_000, 0.25, accuracy: 0.01)
        let unit = Tensor.randomUniform([50_000], low: -3, high: -1, using: &random).scalars
        XCTAssertTrue(unit.allSatisfy { $0 >= -3 && $0 < -1 })
    }

    func testKerasInitializersUseKerasFans() {
        var random = RandomGenerator(seed: 4)
        // A 3x3 convolution from 16 to 32 channels: fan in 144, fan out 288.
        XCTAssertEqual(Initializer.fans([3, 3, 16, 32]).fanIn, 144)
        XCTAssertEqual(Initializer.fans([3, 3, 16, 32]).fanOut, 288)
        let glorot = Initializer.glorotUniform.make([3, 3, 16, 32], using: &random).scalars
        let limit = (6.0 / 432.0 as Float).squareRoot()
        XCTAssertTrue(glorot.allSatisfy { Swift.abs($0) <= limit })
        XCTAssertGreaterThan(glorot.map { Swift.abs($0) }.max()!, 0.95 * limit)
        let he = Initializer.heNormal.make([3, 3, 16, 32], using: &random).scalars
        let heStd = (he.map { $0 * $0 }.reduce(0, +) / Float(he.count)).squareRoot()
        XCTAssertEqual(heStd, (2.0 / 144.0 as Float).squareRoot(), accuracy: 0.01)
        let bound = 2 * (2.0 / 144.0 as Float).squareRoot() / Initializer.truncationCorrection
        XCTAssertTrue(he.allSatisfy { Swift.abs($0) <= bound + 1e-6 })
    }
}

final class BLASTests: XCTestCase {
    func testTheLoadedKernelIsNamedAndComputesCorrectProducts() throws {
        XCTAssertFalse(BLAS.coreName.isEmpty)
        XCTAssertNotEqual(BLAS.coreName, "unknown")
        XCTAssertFalse(BLAS.kernelSelection.isEmpty)
        XCTAssertTrue(BLAS.selfTest(BLAS.library.sgemm))
        print("OpenBLAS kernel: \(BLAS.coreName) (\(BLAS.kernelSelection)), threads: \(Parallel.threadCount)")
    }

    func testOnlyAGenericFallbackOnAVXHardwareIsOverridden() {
        XCTAssertEqual(BLAS.coreToForce(detected: "Prescott", cpuFlags: ["avx2", "avx512f", "avx512bw"]), "SkylakeX")
        XCTAssertEqual(BLAS.coreToForce(detected: "Prescott", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        XCTAssertNil(BLAS.coreToForce(detected: "Prescott", cpuFlags: ["sse4_2"]))
        XCTAssertNil(BLAS.coreToForce(detected: "Zen", cpuFlags: ["avx2"]))
        XCTAssertNil(BLAS.coreToForce(detected: "SkylakeX", cpuFlags: ["avx2", "avx512f", "avx512bw"]))
    }

    func testGemmWithTransposesAndAccumulation() {
        let a: [Float] = [1, 2, 3, 4, 5, 6]  // 2x3
        let b: [Float] = [1, 0, 0, 1, 1, 1]  // 3x2
        var c: [Float] = [10, 10, 10, 10]
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                BLAS.sgemm(
                    transA: false, transB: false, m: 2, n: 2, k: 3, a: ap.baseAddress!, lda: 3, b: bp.baseAddress!,
                    ldb: 2, beta: 1, c: &c, ldc: 2)
            }
        }
        XCTAssertEqual(c, [14, 15, 20, 21])
    }
}

final class ReleasedGraphTests: XCTestCase {
    /// Without the graph retained, the gradients are the same, and every intermediate has let
    /// go of its node (and so of the activations it saved) by the end.
    func testReleasingTheGraphGivesTheSameGradients() throws {
        func run(retain: Bool) throws -> (grads: [[Float]], intermediate: Tensor) {
            var random = RandomGenerator(seed: 3)
            let w = Tensor.randomUniform([3, 3, 2, 4], low: -1, high: 1, using: &random)
            let b = Tensor.randomUniform([4], low: -1, high: 1, using: &random)
            w.requiresGrad = true
            b.requiresGrad = true
            let x = Tensor.randomUniform([2, 6, 6, 2], low: -1, high: 1, using: &random)
            let hidden = try conv2d(x, kernel: w, bias: b, padding: .same).relu()
            let loss = try (hidden * hidden).mean()
            try loss.backward(retainGraph: retain)
            return ([w.grad!.scalars, b.grad!.scalars], hidden)
        }
        let kept = try run(retain: true)
        let released = try run(retain: false)
        XCTAssertEqual(kept.grads, released.grads)
        XCTAssertNotNil(kept.intermediate.node)
        XCTAssertNil(released.intermediate.node)
    }
}
