import XCTest

@testable import ZooTensor

final class PoolingNormalizationTests: XCTestCase {
    func testPoolingValues() throws {
        let x = try Tensor(shape: [1, 3, 3, 1], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        XCTAssertEqual(try maxPool2d(x, poolSize: [2]).scalars, [5])
        XCTAssertEqual(try maxPool2d(x, poolSize: [2], padding: .same).scalars, [5, 6, 8, 9])
        // Keras 'same' averaging leaves the padded cells out of the mean.
        XCTAssertEqual(try avgPool2d(x, poolSize: [2], padding: .same).scalars, [3, 4.5, 7.5, 9])
        XCTAssertEqual(
            try avgPool2d(x, poolSize: [2], padding: .same, countIncludesPadding: true).scalars, [3, 2.25, 3.75, 2.25])
        XCTAssertEqual(try avgPool2d(x, poolSize: [3], strides: [1], padding: .same).scalars.first, 3)
        XCTAssertEqual(try globalAvgPool(x).scalars, [5])
        XCTAssertEqual(try globalMaxPool(x).scalars, [9])
        let volume = try Tensor(shape: [1, 2, 2, 2, 1], scalars: (1...8).map(Float.init))
        XCTAssertEqual(try maxPool3d(volume, poolSize: [2]).scalars, [8])
        XCTAssertEqual(try avgPool3d(volume, poolSize: [2]).scalars, [4.5])
    }

    /// Inference max pooling keeps no winners; its values are the recorded path's, ties and
    /// windows at the padding included, over eight-lane and remainder channels; average pooling
    /// eight lanes at a time equals the mean of each window's cells.
    func testInferencePoolingEqualsTheRecordedPathAndTheDefinition() throws {
        var values = separated([2, 7, 6, 11], seed: 9).scalars
        for index in stride(from: 0, to: values.count, by: 5) { values[index] = 0.25 }  // ties
        let x = try Tensor(shape: [2, 7, 6, 11], scalars: values)
        let watched = try Tensor(shape: [2, 7, 6, 11], scalars: values, requiresGrad: true)
        for (size, strides) in [([3], [2]), ([2], [1]), ([3], [1])] {
            let inference = try withoutGrad { try maxPool2d(x, poolSize: size, strides: strides, padding: .same) }
            let recorded = try maxPool2d(watched, poolSize: size, strides: strides, padding: .same)
            XCTAssertTrue(inference.scalars == recorded.scalars, "\(size) \(strides)")
        }
        let averaged = try avgPool2d(x, poolSize: [3], strides: [1], padding: .same).scalars
        for (index, value) in averaged.enumerated() {
            let (k, col, row, n) = (index % 11, index / 11 % 6, index / 66 % 7, index / 462)
            var cells = [Double]()
            for dy in -1...1 where (0..<7).contains(row + dy) {
                for dx in -1...1 where (0..<6).contains(col + dx) {
                    cells.append(Double(values[((n * 7 + row + dy) * 6 + col + dx) * 11 + k]))
                }
            }
            let mean = cells.reduce(0, +) / Double(cells.count)
            // Float sums of up to nine cells: a few units in the last place of the largest.
            XCTAssertEqual(Double(value), mean, accuracy: 1e-6 * Swift.max(1, cells.map(abs).max()!))
        }
    }

    func testPoolingGradients() throws {
        let x = separated([2, 5, 6, 3])
        try assertGradientsMatch([x]) { try maxPool2d($0[0], poolSize: [2]) }
        try assertGradientsMatch([x]) { try maxPool2d($0[0], poolSize: [3], strides: [2], padding: .same) }
        try assertGradientsMatch([x]) { try avgPool2d($0[0], poolSize: [3], strides: [2], padding: .same) }
        try assertGradientsMatch([x]) { try avgPool2d($0[0], poolSize: [2], countIncludesPadding: true) }
        try assertGradientsMatch([x]) { try globalAvgPool($0[0]) }
        try assertGradientsMatch([x]) { try globalMaxPool($0[0]) }
        // 11 channels: the eight-lane path and the remainder, with overlapping windows.
        let wide = separated([2, 5, 5, 11], seed: 5)
        try assertGradientsMatch([wide]) { try maxPool2d($0[0], poolSize: [3], strides: [2], padding: .same) }
        let pooled = try maxPool2d(wide, poolSize: [2]).scalars
        for (index, value) in pooled.enumerated() {
            let (k, x, y, n) = (index % 11, index / 11 % 2, index / 22 % 2, index / 44)
            let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { dy, dx in wide.scalars[((n * 5 + 2 * y + dy) * 5 + 2 * x + dx) * 11 + k] }
            XCTAssertEqual(value, window.max()!)
        }
        let v = separated([1, 4, 4, 3, 2], seed: 8)
        try assertGradientsMatch([v]) { try maxPool3d($0[0], poolSize: [2]) }
        try assertGradientsMatch([v]) { try avgPool3d($0[0], poolSize: [2, 2, 3], strides: [1], padding: .same) }
        try assertGradientsMatch([v]) { try globalAvgPool($0[0]) }
    }

    func statistics(_ channels: Int) -> BatchNormStatistics {
        BatchNormStatistics(movingMean: Tensor(zeros: [channels]), movingVariance: Tensor(repeating: 1, shape: [channels]))
    }

    func testBatchNormTrainingNormalizesAndUpdatesMovingStatisticsAsKeras() throws {
        let x = try Tensor(shape: [4, 2], scalars: [1, 10, 2, 20, 3, 30, 4, 40])
        let stats = statistics(2)
        let y = try batchNorm(x, gamma: nil, beta: nil, statistics: stats, training: true, momentum: 0.9, epsilon: 1e-3)
        // Channel 0: mean 2.5, biased variance 1.25.
        let scale0 = 1 / (1.25 + 1e-3 as Float).squareRoot()
        assertClose(try y.sliced([0..<4, 0..<1]).scalars, [-1.5, -0.5, 0.5, 1.5].map { $0 * scale0 })
        assertClose(stats.movingMean.scalars, [0.9 * 0 + 0.1 * 2.5, 0.1 * 25])
        assertClose(stats.movingVariance.scalars, [0.9 + 0.1 * 1.25, 0.9 + 0.1 * 125])
    }

    func testBatchNormInferenceUsesMovingStatisticsAndLeavesThemAlone() throws {
        let x = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let stats = BatchNormStatistics(
            movingMean: try Tensor(shape: [2], scalars: [1, 2]), movingVariance: try Tensor(shape: [2], scalars: [4, 9]))
        let gamma = try Tensor(shape: [2], scalars: [2, 3])
        let beta = try Tensor(shape: [2], scalars: [0.5, -1])
        let y = try batchNorm(x, gamma: gamma, beta: beta, statistics: stats, training: false, epsilon: 0)
        assertClose(y.scalars, [0.5, -1, 2 * 2 / 2 + 0.5, 3 * 2 / 3 - 1])
        XCTAssertEqual(stats.movingMean.scalars, [1, 2])
        XCTAssertEqual(stats.movingVariance.scalars, [4, 9])
    }

    /// Normalizing the parts of a channel join, never made, gives the bits of normalizing the
    /// join: parts of 3, 13 and 8 channels put the eight-wide steps across the parts' edges.
    func testBatchNormOfTheJoinsPartsEqualsBatchNormOfTheJoin() throws {
        let parts = [uniform([2, 3, 3, 3], seed: 4), uniform([2, 3, 3, 13], seed: 5), uniform([2, 3, 3, 8], seed: 6)]
        let joined = try Tensor.concatenate(parts, axis: -1)
        let stats = BatchNormStatistics(
            movingMean: uniform([24], seed: 7), movingVariance: uniform([24], 0.5, 2, seed: 8))
        let (gamma, beta) = (uniform([24], 0.5, 1.5, seed: 9), uniform([24], seed: 10))
        for activation in [OutputEpilogue.Activation.linear, .relu, .relu6] {
            let whole = try batchNorm(
                joined, gamma: gamma, beta: beta, statistics: stats, training: false, epsilon: 1e-3, activation: activation)
            let fromParts = try withoutGrad {
                try batchNorm(joining: parts, gamma: gamma, beta: beta, statistics: stats, epsilon: 1e-3, activation: activation)
            }
            XCTAssertEqual(fromParts.shape, [2, 3, 3, 24])
            XCTAssertEqual(fromParts.scalars, whole.scalars, "\(activation)")
        }
        let unscaled = try batchNorm(joined, gamma: nil, beta: nil, statistics: stats, training: false)
        XCTAssertEqual(try batchNorm(joining: parts, gamma: nil, beta: nil, statistics: stats).scalars, unscaled.scalars)

        XCTAssertThrowsError(try batchNorm(joining: [parts[0], uniform([2, 3, 4, 5])], gamma: nil, beta: nil, statistics: stats)) {
            XCTAssertTrue("\($0)".contains("[2, 3, 3, 3], [2, 3, 4, 5]"), "\($0)")
        }
        XCTAssertThrowsError(try batchNorm(joining: Array(parts.prefix(2)), gamma: nil, beta: nil, statistics: stats)) {
            XCTAssertTrue("\($0)".contains("per channel of the join"), "\($0)")
        }
        let recorded = uniform([2, 3, 3, 3], seed: 4)
        recorded.requiresGrad = true
        XCTAssertThrowsError(try batchNorm(joining: [recorded, parts[1], parts[2]], gamma: nil, beta: nil, statistics: stats)) {
            XCTAssertTrue("\($0)".contains("for inference"), "\($0)")
        }
    }

    func testBatchNormGradients() throws {
        for training in [true, false] {
            try assertGradientsMatch([uniform([3, 2, 2, 4]), uniform([4], 0.5, 1.5, seed: 2), uniform([4], seed: 3)], step: 5e-3) {
                try batchNorm($0[0], gamma: $0[1], beta: $0[2], statistics: self.statistics(4), training: training)
            }
            try assertGradientsMatch([uniform([5, 3])], step: 5e-3) {
                try batchNorm($0[0], gamma: nil, beta: nil, statistics: self.statistics(3), training: training, epsilon: 1e-5)
            }
        }
    }

    func testDropoutScalesKeptValuesAndItsGradient() throws {
        var random = RandomGenerator(seed: 11)
        let y = try dropout(Tensor(repeating: 1, shape: [10_000]), rate: 0.3, using: &random)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { Swift.abs($0 - 1 / 0.7) < 1e-6 })
        XCTAssertEqual(Double(kept.count) / 10_000, 0.7, accuracy: 0.02)
        try assertGradientsMatch([uniform([4, 5])]) {
            var fixed = RandomGenerator(seed: 5)
            return try dropout($0[0], rate: 0.5, using: &fixed)
        }
        assertTensorError(["dropout", "1.0"]) { _ = try dropout(y, rate: 1, using: &random) }
    }

    func testUpsamplingValues() throws {
        let x = try Tensor(shape: [1, 2, 2, 1], scalars: [1, 2, 3, 4])
        XCTAssertEqual(try upsample(x, factors: [2]).scalars, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        // Half-pixel bilinear, as tf.image.resize: first row 1, 1.25, 1.75, 2.
        let linear = try upsample(x, factors: [2], interpolation: .linear).scalars
        assertClose(Array(linear.prefix(4)), [1, 1.25, 1.75, 2])
        assertClose(Array(linear[4..<8]), [1.5, 1.75, 2.25, 2.5])
        let volume = try Tensor(shape: [1, 2, 1, 1, 1], scalars: [0, 4])
        assertClose(try upsample(volume, factors: [2, 1, 1], interpolation: .linear).scalars, [0, 1, 3, 4])
    }

    func testUpsamplingGradients() throws {
        let x = uniform([2, 3, 2, 3])
        try assertGradientsMatch([x]) { try upsample($0[0], factors: [2, 3]) }
        try assertGradientsMatch([x]) { try upsample($0[0], factors: [2], interpolation: .linear) }
        try assertGradientsMatch([uniform([1, 2, 3, 2, 2])]) { try upsample($0[0], factors: [2], interpolation: .linear) }
        try assertGradientsMatch([uniform([1, 2, 3, 2, 2])]) { try upsample($0[0], factors: [1, 2, 2]) }
    }
}
