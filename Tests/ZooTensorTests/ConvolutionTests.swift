import XCTest

@testable import ZooTensor

/// Convolution against plain loops written from the definition, then gradient checks.
final class ConvolutionTests: XCTestCase {
    /// Direct 3D cross-correlation over NDHWC with DHWIO weights and explicit leading padding.
    func referenceConv(
        _ x: Tensor, _ w: Tensor, strides s: [Int], dilations d: [Int], padBefore p: [Int], out o: [Int]
    ) -> [Float] {
        let (n, id, ih, iw, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], x.shape[4])
        let (kd, kh, kw, co) = (w.shape[0], w.shape[1], w.shape[2], w.shape[4])
        let (xs, ws) = (x.scalars, w.scalars)
        var y = [Float](repeating: 0, count: n * o[0] * o[1] * o[2] * co)
        for b in 0..<n { for z in 0..<o[0] { for yy in 0..<o[1] { for xx in 0..<o[2] { for f in 0..<co {
            var total: Float = 0
            for a in 0..<kd { for e in 0..<kh { for g in 0..<kw {
                let (zi, yi, xi) = (z * s[0] - p[0] + a * d[0], yy * s[1] - p[1] + e * d[1], xx * s[2] - p[2] + g * d[2])
                guard zi >= 0, zi < id, yi >= 0, yi < ih, xi >= 0, xi < iw else { continue }
                for k in 0..<c {
                    total += xs[(((b * id + zi) * ih + yi) * iw + xi) * c + k] * ws[(((a * kh + e) * kw + g) * c + k) * co + f]
                }
            } } }
            y[(((b * o[0] + z) * o[1] + yy) * o[2] + xx) * co + f] = total
        } } } } }
        return y
    }

    /// Runs `body` under each convolution algorithm; under oneDNN, every shape must have been
    /// taken by oneDNN, not passed back to Zoo's kernels.
    func forEachAlgorithm(_ body: (ConvolutionAlgorithm) throws -> Void) throws {
        XCTAssertTrue(ConvolutionAlgorithm.onednnAvailable, "oneDNN has no CPU engine")
        for algorithm in ConvolutionAlgorithm.allCases {
            let refused = ConvolutionAlgorithm.onednnRefusals.count
            try ConvolutionAlgorithm.using(algorithm) { try body(algorithm) }
            if algorithm == .onednn {
                XCTAssertEqual(ConvolutionAlgorithm.onednnRefusals.count, refused, "\(ConvolutionAlgorithm.onednnRefusals)")
            }
        }
    }

    /// TensorFlow's 'same': output ceil(n / s), extra padding cell after.
    func samePadding(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (before: Int, out: Int) {
        let out = (n + s - 1) / s
        let total = Swift.max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        return (total / 2, out)
    }

    func testTensorFlowSamePaddingPutsTheExtraCellAfter() throws {
        let x = try Tensor(shape: [1, 4, 4, 1], scalars: (1...16).map(Float.init))
        let y = try conv2d(x, kernel: Tensor(repeating: 1, shape: [3, 3, 1, 1]), strides: [2], padding: .same)
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.scalars, [54, 45, 72, 54])
    }

    func testConv2DMatchesTheDefinition() throws {
        try forEachAlgorithm { _ in
            let cases: [(h: Int, w: Int, k: [Int], s: [Int], d: [Int], padding: Padding)] = [
                (7, 6, [3, 3], [1, 1], [1, 1], .same), (7, 6, [3, 3], [2, 2], [1, 1], .same),
                (8, 8, [3, 3], [2, 2], [1, 1], .valid), (9, 7, [3, 2], [1, 2], [2, 1], .same),
                (6, 6, [1, 1], [1, 1], [1, 1], .valid), (6, 6, [1, 1], [2, 2], [1, 1], .valid),
                (7, 7, [7, 7], [2, 2], [1, 1], .explicit(before: [3, 3], after: [3, 3])),
                (5, 6, [3, 3], [1, 1], [1, 1], .explicit(before: [0, 2], after: [1, 0])),
            ]
            for (index, test) in cases.enumerated() {
                let x = uniform([2, test.h, test.w, 3], seed: UInt64(index))
                let w = uniform(test.k + [3, 4], seed: UInt64(index + 50))
                let bias = uniform([4], seed: 7)
                let y = try conv2d(x, kernel: w, bias: bias, strides: test.s, padding: test.padding, dilations: test.d)
                var before = [0, 0]
                var out = [0, 0]
                for axis in 0..<2 {
                    let n = axis == 0 ? test.h : test.w
                    switch test.padding {
                    case .same: (before[axis], out[axis]) = samePadding(n, test.k[axis], test.s[axis], test.d[axis])
                    case .valid: out[axis] = (n - (test.k[axis] - 1) * test.d[axis] - 1) / test.s[axis] + 1
                    case .explicit(let b, let a):
                        before[axis] = b[axis]
                        out[axis] = (n + b[axis] + a[axis] - (test.k[axis] - 1) * test.d[axis] - 1) / test.s[axis] + 1
                    }
                }
                XCTAssertEqual(y.shape, [2, out[0], out[1], 4], "case \(index)")
                let expected = referenceConv(
                    try x.reshaped([2, 1, test.h, test.w, 3]), try w.reshaped([1] + test.k + [3, 4]),
                    strides: [1] + test.s, dilations: [1] + test.d, padBefore: [0] + before, out: [1] + out)
                let biases = bias.scalars
                assertClose(y.scalars, expected.enumerated().map { $0.element + biases[$0.offset % 4] }, tolerance: 1e-4)
            }
        }
    }

    func testConv3DMatchesTheDefinition() throws {
        try forEachAlgorithm { _ in
            let x = uniform([1, 5, 6, 4, 2])
            let w = uniform([3, 3, 3, 2, 3], seed: 4)
            let y = try conv3d(x, kernel: w, strides: [2, 1, 1], padding: .same)
            let (bd, od) = samePadding(5, 3, 2, 1)
            let expected = referenceConv(x, w, strides: [2, 1, 1], dilations: [1, 1, 1], padBefore: [bd, 1, 1], out: [od, 6, 4])
            XCTAssertEqual(y.shape, [1, od, 6, 4, 3])
            assertClose(y.scalars, expected, tolerance: 1e-4)
        }
    }

    func testChunkedIm2colGivesTheSameResultAsTheDefinition() throws {
        try ConvolutionAlgorithm.using(.zoo) {
            // With a budget of 10 rows of 576 columns, chunks fall to their floor of 64 rows.
            let saved = chunkBudget
            chunkBudget = 10 * 576
            defer { chunkBudget = saved }
            let x = uniform([2, 40, 40, 64])
            let w = uniform([3, 3, 64, 8], seed: 2)
            let g = try ConvGeometry(
                op: "test", batch: 2, input: [1, 40, 40], inChannels: 64, outChannels: 8, kernel: [1, 3, 3],
                strides: [1, 1, 1], dilations: [1, 1, 1], padding: .same)
            XCTAssertEqual(g.chunkRows, 64)
            let y = try conv2d(x, kernel: w, padding: .same)
            let expected = referenceConv(
                try x.reshaped([2, 1, 40, 40, 64]), try w.reshaped([1, 3, 3, 64, 8]), strides: [1, 1, 1],
                dilations: [1, 1, 1], padBefore: [0, 1, 1], out: [1, 40, 40])
            assertClose(y.scalars, expected, tolerance: 1e-4)
        }
    }

    /// Few output positions and many channels (a 7x7 stage at batch 1): the threads split the
    /// output channels instead of the rows, in blocks of 16 with a remainder.
    func testFewPositionsSplitByChannelsGiveTheDefinition() throws {
        try forEachAlgorithm { _ in
            let x = uniform([1, 7, 7, 24])
            let w = uniform([3, 3, 24, 150], seed: 3)
            let bias = uniform([150], seed: 4)
            let g = try ConvGeometry(
                op: "test", batch: 1, input: [1, 7, 7], inChannels: 24, outChannels: 150, kernel: [1, 3, 3],
                strides: [1, 1, 1], dilations: [1, 1, 1], padding: .same)
            XCTAssertEqual(g.pieceCount(), 1, "49 rows make one row piece")
            let y = try conv2d(x, kernel: w, bias: bias, padding: .same)
            var expected = referenceConv(
                try x.reshaped([1, 1, 7, 7, 24]), try w.reshaped([1, 3, 3, 24, 150]), strides: [1, 1, 1],
                dilations: [1, 1, 1], padBefore: [0, 1, 1], out: [1, 7, 7])
            for i in expected.indices { expected[i] += bias.scalars[i % 150] }
            assertClose(y.scalars, expected, tolerance: 1e-4)
            // Pointwise: the input is the column matrix.
            let pointwise = uniform([1, 1, 1, 24, 150], seed: 5)
            let z = try conv2d(x, kernel: try pointwise.reshaped([1, 1, 24, 150]))
            let direct = referenceConv(
                try x.reshaped([1, 1, 7, 7, 24]), pointwise, strides: [1, 1, 1], dilations: [1, 1, 1], padBefore: [0, 0, 0], out: [1, 7, 7])
            assertClose(z.scalars, direct, tolerance: 1e-4)
        }
    }

    func testChunkedGradientsCrossImageBoundaries() throws {
        try ConvolutionAlgorithm.using(.zoo) {
            let saved = chunkBudget
            chunkBudget = 1  // 64-row chunks: several per thread and per image
            defer { chunkBudget = saved }
            for stride in [1, 2] {
                try assertGradientsMatch([uniform([3, 9, 10, 3]), uniform([3, 3, 3, 2], seed: 2)]) {
                    try conv2d($0[0], kernel: $0[1], strides: [stride], padding: .same)
                }
            }
            // One image, overlapping strided windows, two threads: each adds into its own copy.
            try assertGradientsMatch([uniform([1, 24, 24, 2]), uniform([3, 3, 2, 2], seed: 2)]) {
                try conv2d($0[0], kernel: $0[1], strides: [2], padding: .same)
            }
        }
    }

    func testConvolutionGradients() throws {
        try forEachAlgorithm { _ in
            let configurations: [(k: [Int], s: [Int], d: [Int], padding: Padding)] = [
                ([3, 3], [1], [1], .same), ([3, 3], [2], [1], .same), ([3, 3], [2], [1], .valid),
                ([1, 1], [1], [1], .valid), ([1, 1], [2], [1], .valid), ([3, 3], [1], [2], .same),
                ([2, 3], [1, 2], [1], .explicit(before: [1, 0], after: [0, 2])),
            ]
            for (index, c) in configurations.enumerated() {
                let x = uniform([2, 6, 5, 3], seed: UInt64(index))
                let w = uniform(c.k + [3, 2], seed: UInt64(index + 20))
                try assertGradientsMatch([x, w, uniform([2], seed: 3)]) {
                    try conv2d($0[0], kernel: $0[1], bias: $0[2], strides: c.s, padding: c.padding, dilations: c.d)
                }
            }
            try assertGradientsMatch([uniform([1, 4, 5, 4, 2]), uniform([3, 3, 3, 2, 2], seed: 8)]) {
                try conv3d($0[0], kernel: $0[1], padding: .same)
            }
            try assertGradientsMatch([uniform([1, 5, 4, 4, 2]), uniform([3, 2, 3, 2, 2], seed: 8)]) {
                try conv3d($0[0], kernel: $0[1], strides: [2, 1, 2], padding: .same)
            }
        }
    }

    /// Transposed convolution from its definition: every input cell scatters a weighted copy of
    /// the kernel, then the result is cropped to Keras's output extent.
    func referenceTransposed2D(_ x: Tensor, _ w: Tensor, stride s: Int, same: Bool) -> (shape: [Int], values: [Float]) {
        let (n, h, wd, ci) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (k, co) = (w.shape[0], w.shape[2])
        let full = (h - 1) * s + k
        let fullW = (wd - 1) * s + k
        var scattered = [Float](repeating: 0, count: n * full * fullW * co)
        let (xs, ws) = (x.scalars, w.scalars)
        for b in 0..<n { for i in 0..<h { for j in 0..<wd { for a in 0..<k { for e in 0..<k { for o in 0..<co { for c in 0..<ci {
            scattered[((b * full + i * s + a) * fullW + j * s + e) * co + o] +=
                xs[((b * h + i) * wd + j) * ci + c] * ws[((a * k + e) * co + o) * ci + c]
        } } } } } } }
        let outH = same ? h * s : h * s + Swift.max(k - s, 0)
        let outW = same ? wd * s : wd * s + Swift.max(k - s, 0)
        let crop = same ? Swift.max(k - s, 0) / 2 : 0
        var values = [Float](repeating: 0, count: n * outH * outW * co)
        for b in 0..<n { for i in 0..<outH { for j in 0..<outW { for o in 0..<co {
            let (si, sj) = (i + crop, j + crop)
            if si < full && sj < fullW { values[((b * outH + i) * outW + j) * co + o] = scattered[((b * full + si) * fullW + sj) * co + o] }
        } } } }
        return ([n, outH, outW, co], values)
    }

    func testTransposedConvolutionMatchesTheDefinition() throws {
        try forEachAlgorithm { _ in
            for (k, s, same) in [(2, 2, false), (3, 2, true), (3, 2, false), (3, 1, true), (1, 2, false), (4, 2, true)] {
                let x = uniform([2, 3, 4, 3], seed: UInt64(k * 10 + s))
                let w = uniform([k, k, 2, 3], seed: 5)
                let y = try conv2dTranspose(x, kernel: w, strides: [s], padding: same ? .same : .valid)
                let expected = referenceTransposed2D(x, w, stride: s, same: same)
                XCTAssertEqual(y.shape, expected.shape, "k \(k) s \(s) same \(same)")
                assertClose(y.scalars, expected.values, tolerance: 1e-4)
            }
        }
    }

    func testTransposedConvolutionGradients() throws {
        try forEachAlgorithm { _ in
            try assertGradientsMatch([uniform([2, 3, 3, 3]), uniform([2, 2, 2, 3], seed: 2), uniform([2], seed: 4)]) {
                try conv2dTranspose($0[0], kernel: $0[1], bias: $0[2], strides: [2], padding: .same)
            }
            try assertGradientsMatch([uniform([1, 3, 4, 2]), uniform([3, 3, 2, 2], seed: 2)]) {
                try conv2dTranspose($0[0], kernel: $0[1], strides: [2], padding: .valid)
            }
            try assertGradientsMatch([uniform([1, 2, 3, 2, 2]), uniform([2, 2, 2, 3, 2], seed: 2)]) {
                try conv3dTranspose($0[0], kernel: $0[1], strides: [2], padding: .same)
            }
        }
    }

    func testDepthwiseMatchesGroupedDefinitionAndGradients() throws {
        try forEachAlgorithm { _ in
            for (multiplier, stride) in [(1, 1), (1, 2), (2, 1), (3, 2)] {
                let x = uniform([2, 7, 6, 3], seed: UInt64(multiplier))
                let w = uniform([3, 3, 3, multiplier], seed: 9)
                let y = try depthwiseConv2d(x, kernel: w, strides: [stride], padding: .same)
                // Channel c with filter j is an ordinary convolution of channel c alone.
                for c in 0..<3 {
                    for j in 0..<multiplier {
                        let xc = try x.sliced([0..<2, 0..<7, 0..<6, c..<(c + 1)])
                        let wc = try w.sliced([0..<3, 0..<3, c..<(c + 1), j..<(j + 1)])
                        let expected = try conv2d(xc, kernel: wc, strides: [stride], padding: .same)
                        let channel = c * multiplier + j
                        let actual = try y.sliced([0..<2, 0..<y.shape[1], 0..<y.shape[2], channel..<(channel + 1)])
                        assertClose(actual.scalars, expected.scalars, tolerance: 1e-5)
                    }
                }
                try assertGradientsMatch([x, w, uniform([3 * multiplier], seed: 3)]) {
                    try depthwiseConv2d($0[0], kernel: $0[1], bias: $0[2], strides: [stride], padding: .same)
                }
            }
        }
    }

    func testWrongRankAndChannelsAreNamed() {
        let x = Tensor(zeros: [1, 8, 8, 3])
        assertTensorError(["conv2d", "rank-4 NHWC", "[8, 8, 3]"]) {
            _ = try conv2d(Tensor(zeros: [8, 8, 3]), kernel: Tensor(zeros: [3, 3, 3, 4]))
        }
        assertTensorError(["conv2d", "[1, 8, 8, 3]", "[3, 3, 2, 4]"]) {
            _ = try conv2d(x, kernel: Tensor(zeros: [3, 3, 2, 4]))
        }
        assertTensorError(["conv2d", "too small"]) { _ = try conv2d(x, kernel: Tensor(zeros: [9, 9, 3, 1])) }
        assertTensorError(["conv3d", "NDHWC"]) { _ = try conv3d(x, kernel: Tensor(zeros: [3, 3, 3, 3, 1])) }
        assertTensorError(["conv2d", "bias", "[5]"]) {
            _ = try conv2d(x, kernel: Tensor(zeros: [3, 3, 3, 4]), bias: Tensor(zeros: [5]))
        }
        assertTensorError(["depthwiseConv2d", "[3, 3, 4, 1]"]) { _ = try depthwiseConv2d(x, kernel: Tensor(zeros: [3, 3, 4, 1])) }
    }
}
