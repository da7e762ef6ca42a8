import XCTest

@testable import ZooTensor

/// Winograd's F(4x4, 3x3) against the definition summed in float64, at the edges of its tiling
/// (outputs that are not multiples of 4, a single partial tile, channel counts that are not
/// multiples of 8), its data gradient by finite differences, and its kept kernel transform.
final class WinogradTests: XCTestCase {
    struct Case {
        let batch, height, width, inChannels, outChannels: Int
        let padding: Padding
        var bias = false
    }

    let cases: [Case] = [
        Case(batch: 1, height: 1, width: 1, inChannels: 5, outChannels: 3, padding: .same),
        Case(batch: 2, height: 7, width: 7, inChannels: 13, outChannels: 17, padding: .same, bias: true),
        Case(batch: 3, height: 9, width: 5, inChannels: 8, outChannels: 8, padding: .valid),
        Case(batch: 1, height: 6, width: 11, inChannels: 3, outChannels: 9, padding: .same),
        Case(batch: 2, height: 14, width: 14, inChannels: 64, outChannels: 64, padding: .same, bias: true),
        Case(batch: 1, height: 7, width: 7, inChannels: 256, outChannels: 96, padding: .same),
    ]

    /// The correlation from its definition in float64, and the sum of the terms' magnitudes per
    /// output (what a float32 sum's rounding error is proportional to).
    func definition(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, padding: Padding) -> (values: [Double], magnitudes: [Double]) {
        let (n, h, wd, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = w.shape[3]
        let (pad, oh, ow) = padding == .same ? (1, h, wd) : (0, h - 2, wd - 2)
        let (xs, ws, bs) = (x.scalars, w.scalars, bias?.scalars)
        var values = [Double](repeating: 0, count: n * oh * ow * k)
        var magnitudes = values
        for b in 0..<n { for r in 0..<oh { for q in 0..<ow { for o in 0..<k {
            var total = Double(bs?[o] ?? 0)
            var magnitude = Swift.abs(total)
            for u in 0..<3 { for v in 0..<3 {
                let (row, column) = (r - pad + u, q - pad + v)
                guard row >= 0, row < h, column >= 0, column < wd else { continue }
                for i in 0..<c {
                    let term = Double(xs[((b * h + row) * wd + column) * c + i]) * Double(ws[((u * 3 + v) * c + i) * k + o])
                    total += term
                    magnitude += Swift.abs(term)
                }
            } }
            values[((b * oh + r) * ow + q) * k + o] = total
            magnitudes[((b * oh + r) * ow + q) * k + o] = magnitude
        } } } }
        return (values, magnitudes)
    }

    func testF4x4MatchesTheFloat64DefinitionAtTheEdgesOfItsTiling() throws {
        for c in cases {
            let x = uniform([c.batch, c.height, c.width, c.inChannels], seed: 1)
            let w = uniform([3, 3, c.inChannels, c.outChannels], -0.5, 0.5, seed: 2)
            let bias = c.bias ? uniform([c.outChannels], seed: 3) : nil
            let (expected, magnitudes) = definition(x, w, bias, padding: c.padding)
            var worst = [ConvolutionAlgorithm: Double]()
            for algorithm in [ConvolutionAlgorithm.zoo, .winograd] {
                let y = try ConvolutionAlgorithm.using(algorithm) { try conv2d(x, kernel: w, bias: bias, padding: c.padding) }
                XCTAssertEqual(y.count, expected.count, "\(c)")
                worst[algorithm] = zip(y.scalars, zip(expected, magnitudes)).map { Swift.abs(Double($0) - $1.0) / Swift.max($1.1, 1e-30) }.max() ?? 0
            }
            // Relative to the terms' magnitudes: float32's own sum stays near 1e-7; the transforms
            // (factors up to 8, divisions by 6 and 24) cost F(4x4, 3x3) about one decimal digit.
            XCTAssertLessThan(worst[.zoo]!, 1e-6, "im2col, \(c)")
            XCTAssertLessThan(worst[.winograd]!, 5e-6, "F(4x4, 3x3), \(c): im2col's error \(worst[.zoo]!)")
        }
    }

    func testItsDataGradientPassesTheGradientCheck() throws {
        try ConvolutionAlgorithm.using(.winograd) {
            for padding in [Padding.same, .valid] {
                let x = uniform([2, 6, 7, 5], seed: 4)
                let w = uniform([3, 3, 5, 4], -0.5, 0.5, seed: 5)
                let bias = uniform([4], seed: 6)
                try assertGradientsMatch([x, w, bias], step: 1e-2, tolerance: 2e-3) { inputs in
                    try conv2d(inputs[0], kernel: inputs[1], bias: inputs[2], padding: padding)
                }
                // The transposed convolution's forward pass is this data gradient too.
                let t = uniform([1, 5, 6, 4], seed: 7)
                try assertGradientsMatch([t, w], step: 1e-2, tolerance: 2e-3) { inputs in
                    try conv2dTranspose(inputs[0], kernel: inputs[1], padding: padding)
                }
            }
        }
    }

    func testTheDataGradientIsTheAdjointOfTheForwardPass() throws {
        // <conv(x), dy> = <x, conv*(dy)> in float64, with conv* computed by F(4x4, 3x3).
        let x = uniform([2, 10, 9, 12], seed: 8)
        let w = uniform([3, 3, 12, 20], -0.5, 0.5, seed: 9)
        try ConvolutionAlgorithm.using(.winograd) {
            let input = x.copy()
            input.requiresGrad = true
            let y = try conv2d(input, kernel: w, padding: .same)
            let dy = uniform(y.shape, seed: 10)
            try y.backward(dy)
            let left = zip(y.scalars, dy.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x.scalars, try XCTUnwrap(input.grad).scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-4 * Swift.abs(left))
        }
    }

    /// The transform holds four times the kernel's memory: it is kept with a constant kernel of
    /// at most 128 x 128 channels, and read again until the kernel is written; a larger kernel,
    /// or one being trained, is transformed on each call and leaves nothing behind.
    func testASmallConstantKernelKeepsItsTransformUntilItIsWritten() throws {
        let x = uniform([2, 12, 12, 32], seed: 11)
        let w = uniform([3, 3, 32, 48], -0.3, 0.3, seed: 12)
        func run(_ algorithm: ConvolutionAlgorithm, _ w: Tensor) throws -> [Float] {
            try ConvolutionAlgorithm.using(algorithm) { try conv2d(x, kernel: w, padding: .same).scalars }
        }
        let first = try run(.winograd, w)
        XCTAssertEqual(w.storage.layoutCount, 1, "the transform is kept")
        XCTAssertEqual(try run(.winograd, w), first, "the kept transform gives the same output")
        assertClose(first, try run(.zoo, w), tolerance: 1e-4)
        w.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] = -values[index] }
        }
        XCTAssertEqual(w.storage.layoutCount, 0, "a write lets the kept transform go")
        assertClose(try run(.winograd, w), try run(.zoo, w), tolerance: 1e-4)

        let wide = uniform([3, 3, 96, 176], -0.3, 0.3, seed: 13)
        let x96 = uniform([1, 9, 9, 96], seed: 14)
        let wideOutput = try ConvolutionAlgorithm.using(.winograd) { try conv2d(x96, kernel: wide, padding: .same).scalars }
        XCTAssertEqual(wide.storage.layoutCount, 0, "96 x 176 channels: above 128 x 128, nothing kept")
        assertClose(wideOutput, try ConvolutionAlgorithm.using(.zoo) { try conv2d(x96, kernel: wide, padding: .same).scalars }, tolerance: 1e-4)

        let trained = uniform([3, 3, 32, 48], -0.3, 0.3, seed: 15)
        trained.requiresGrad = true
        let y = try ConvolutionAlgorithm.using(.winograd) { try conv2d(x, kernel: trained, padding: .same) }
        XCTAssertEqual(trained.storage.layoutCount, 0, "a trained kernel keeps no transform")
        try y.sum().backward()
        XCTAssertNotNil(trained.grad)
    }

    func testOnlyStride1Undilated3x3ConvolutionsOfAtMost256x256ChannelsAreCandidates() throws {
        func geometry(kernel: Int, stride: Int, dilation: Int, depth: Int = 1) throws -> ConvGeometry {
            try ConvGeometry(
                op: "test", batch: 1, input: [depth, 9, 9], inChannels: 4, outChannels: 4, kernel: [depth == 1 ? 1 : kernel, kernel, kernel],
                strides: [1, stride, stride], dilations: [1, dilation, dilation], padding: .same)
        }
        XCTAssertTrue(try geometry(kernel: 3, stride: 1, dilation: 1).winogradApplies)
        XCTAssertTrue(try geometry(kernel: 3, stride: 1, dilation: 1).winogradBackwardDataApplies)
        XCTAssertFalse(try geometry(kernel: 3, stride: 2, dilation: 1).winogradApplies)
        XCTAssertFalse(try geometry(kernel: 3, stride: 1, dilation: 2).winogradApplies)
        XCTAssertFalse(try geometry(kernel: 5, stride: 1, dilation: 1).winogradApplies)
        XCTAssertFalse(try geometry(kernel: 3, stride: 1, dilation: 1, depth: 5).winogradApplies)
        let wide = try ConvGeometry(
            op: "test", batch: 1, input: [1, 7, 7], inChannels: 512, outChannels: 512, kernel: [1, 3, 3], strides: [1, 1, 1],
            dilations: [1, 1, 1], padding: .same)
        XCTAssertFalse(wide.winogradApplies, "512 x 512 channels")
    }
}
