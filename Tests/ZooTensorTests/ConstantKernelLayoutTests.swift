import XCTest

@testable import ZooTensor

/// A constant kernel (inference, a frozen layer) is put into oneDNN's blocked layout once and
/// kept with the kernel; a trained kernel is reordered on every call. Each test compares with
/// Zoo's own im2col, which reads the kernel where it is: a copy kept after the kernel changed
/// would show as a different output.
final class ConstantKernelLayoutTests: XCTestCase {
    let x = uniform([2, 14, 14, 64], seed: 1)
    let kernel = uniform([3, 3, 64, 64], -0.2, 0.2, seed: 2)

    var reorders: Int { OneDNNConvolution.kernelReorders.load(ordering: .relaxed) }

    func convolve(_ kernel: Tensor, _ algorithm: ConvolutionAlgorithm) throws -> [Float] {
        try ConvolutionAlgorithm.using(algorithm) { try conv2d(x, kernel: kernel, padding: .same).scalars }
    }

    func assertSame(_ actual: [Float], _ expected: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        let worst = zip(actual, expected).map { Swift.abs($0 - $1) }.max() ?? 0
        let scale = Swift.max(expected.map(Swift.abs).max() ?? 1, 1)
        XCTAssertLessThan(worst, 1e-5 * scale, "\(what): largest difference \(worst)", file: file, line: line)
    }

    override func setUpWithError() throws {
        XCTAssertTrue(ConvolutionAlgorithm.onednnAvailable, "oneDNN has no CPU engine")
        let probe = try ConvolutionAlgorithm.using(.onednn) { () -> Int in
            let before = reorders
            _ = try conv2d(x, kernel: uniform([3, 3, 64, 64], seed: 3), padding: .same)
            return reorders - before
        }
        // Only a primitive that reads the kernel in Zoo's own layout has nothing to keep; the
        // AVX2 and AVX-512 primitives of these channel counts read a blocked one.
        XCTAssertEqual(probe, 1, "oneDNN's primitive for a 64-channel 3x3 reads a blocked kernel on AVX2 and AVX-512")
    }

    func testAConstantKernelIsReorderedOnceAndServesEveryCall() throws {
        let before = reorders
        let first = try convolve(kernel, .onednn)
        let second = try convolve(kernel, .onednn)
        XCTAssertEqual(reorders - before, 1)
        XCTAssertEqual(kernel.storage.layoutCount, 1)
        XCTAssertEqual(first, second)
        assertSame(first, try convolve(kernel, .zoo), "kept layout against im2col")
    }

    func testEveryWayOfWritingTheKernelDropsItsCopy() throws {
        _ = try convolve(kernel, .onednn)
        XCTAssertEqual(kernel.storage.layoutCount, 1)

        kernel.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] *= -0.5 }
        }
        XCTAssertEqual(kernel.storage.layoutCount, 0, "withUnsafeMutableBufferPointer")
        assertSame(try convolve(kernel, .onednn), try convolve(kernel, .zoo), "after withUnsafeMutableBufferPointer")

        try kernel.assign(uniform([3, 3, 64, 64], -0.2, 0.2, seed: 7))
        XCTAssertEqual(kernel.storage.layoutCount, 0, "assign")
        assertSame(try convolve(kernel, .onednn), try convolve(kernel, .zoo), "after assign")

        // A kernel of ZooTensor's that writes in place takes `data`.
        let view = try kernel.reshaped([9 * 64 * 64])
        _ = try convolve(kernel, .onednn)
        view.data[0] += 1
        XCTAssertEqual(kernel.storage.layoutCount, 0, "a write through another view's data")
        assertSame(try convolve(kernel, .onednn), try convolve(kernel, .zoo), "after a write through a view")
    }

    func testATrainedKernelIsReorderedOnEachCallAndKeepsNoCopy() throws {
        _ = try convolve(kernel, .onednn)
        XCTAssertEqual(kernel.storage.layoutCount, 1)
        kernel.requiresGrad = true
        defer { kernel.requiresGrad = false }
        let before = reorders
        let y = try ConvolutionAlgorithm.using(.onednn) { try conv2d(x, kernel: kernel, padding: .same) }
        XCTAssertEqual(kernel.storage.layoutCount, 0, "a recorded forward drops the inference copy")
        try ConvolutionAlgorithm.using(.onednn) { try y.backward(uniform(y.shape, seed: 5)) }
        XCTAssertEqual(reorders, before, "nothing kept while training")
        XCTAssertEqual(kernel.storage.layoutCount, 0)
        // Without recording (validation between epochs) the same kernel is constant.
        let inference = try withoutGrad { try convolve(kernel, .onednn) }
        XCTAssertEqual(kernel.storage.layoutCount, 1)
        assertSame(inference, try convolve(kernel, .zoo), "inference of a trainable kernel")
    }

    func testAFrozenKernelKeepsOneCopyForItsForwardAndDataGradient() throws {
        func passes(_ algorithm: ConvolutionAlgorithm) throws -> [[Float]] {
            try ConvolutionAlgorithm.using(algorithm) {
                let input = x.copy()
                input.requiresGrad = true
                let y = try conv2d(input, kernel: kernel, padding: .same)
                try y.backward(uniform(y.shape, seed: 5))
                return [y.scalars, try XCTUnwrap(input.grad).scalars]
            }
        }
        let onednn = try passes(.onednn)
        XCTAssertGreaterThanOrEqual(kernel.storage.layoutCount, 1)
        let reference = try passes(.zoo)
        assertSame(onednn[0], reference[0], "y")
        assertSame(onednn[1], reference[1], "dx")
    }

    /// The other convolutions that read a kernel: depthwise, 3D, transposed (whose forward is
    /// the data gradient) and the fused inference convolution.
    func testEveryConvolutionReadsItsKeptKernelAndSeesItsChanges() throws {
        let depthwiseKernel = uniform([3, 3, 48, 1], -0.3, 0.3, seed: 11)
        let depthwiseInput = uniform([2, 12, 12, 48], seed: 12)
        let kernel3D = uniform([3, 3, 3, 16, 32], -0.2, 0.2, seed: 13)
        let input3D = uniform([1, 8, 9, 10, 16], seed: 14)
        let transposedKernel = uniform([3, 3, 32, 64], -0.2, 0.2, seed: 15)
        let scale = uniform([64], 0.5, 1.5, seed: 16)
        let shift = uniform([64], seed: 17)
        let cases: [(String, Tensor, () throws -> Tensor)] = [
            ("depthwise", depthwiseKernel, { try depthwiseConv2d(depthwiseInput, kernel: depthwiseKernel, padding: .same) }),
            ("3D", kernel3D, { try conv3d(input3D, kernel: kernel3D, padding: .same) }),
            ("transposed", transposedKernel, { try conv2dTranspose(self.x, kernel: transposedKernel, strides: [2], padding: .same) }),
            ("fused", kernel, {
                try fusedConvolution(
                    self.x, kernel: self.kernel, strides: [1], padding: .same, dilations: [1], scale: scale, shift: shift,
                    residual: nil, activation: .relu)
            }),
        ]
        for (name, weights, run) in cases {
            let first = try ConvolutionAlgorithm.using(.onednn) { try run().scalars }
            assertSame(first, try ConvolutionAlgorithm.using(.zoo) { try run().scalars }, "\(name) with its kept kernel")
            weights.withUnsafeMutableBufferPointer { values in
                for index in values.indices { values[index] = 0.75 - values[index] }
            }
            let changed = try ConvolutionAlgorithm.using(.onednn) { try run().scalars }
            assertSame(changed, try ConvolutionAlgorithm.using(.zoo) { try run().scalars }, "\(name) after its kernel changed")
        }
    }

    /// The first call of a shape times every candidate; the copy of a constant kernel that
    /// oneDNN (its layout) or Winograd (the transform of a kernel of at most 128 x 128 channels)
    /// made while it was timed stays only when that candidate won.
    func testTheTimedCallKeepsOnlyTheWinnersCopy() throws {
        try withPlanFile { _ in try timedCallKeepsOnlyTheWinnersCopy() }
    }

    func timedCallKeepsOnlyTheWinnersCopy() throws {
        // A shape no other test uses, so that this call is its first and is timed.
        let input = uniform([1, 11, 13, 72], seed: 21)
        let weights = uniform([3, 3, 72, 40], -0.2, 0.2, seed: 22)
        _ = try ConvolutionAlgorithm.using(nil) { try conv2d(input, kernel: weights, padding: .same) }
        let choice = try XCTUnwrap(ConvolutionAlgorithm.choices.last { $0.pass == .forward && $0.shape.contains("[1, 11, 13] x72") })
        guard ConvolutionAlgorithm.forced == nil else { return }
        XCTAssertNotNil(choice.onednnSeconds, "oneDNN was timed")
        let winnerKeepsACopy = choice.algorithm == .onednn || choice.algorithm == .winograd
        XCTAssertEqual(weights.storage.layoutCount, winnerKeepsACopy ? 1 : 0, "chosen: \(choice.algorithm)")
    }
}
