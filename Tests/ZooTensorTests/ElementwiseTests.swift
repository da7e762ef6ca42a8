import XCTest

@testable import ZooTensor

final class ElementwiseTests: XCTestCase {
    func testBroadcastingForwardValues() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let row = try Tensor(shape: [3], scalars: [10, 20, 30])
        let column = try Tensor(shape: [2, 1], scalars: [100, 200])
        XCTAssertEqual(try (a + row).scalars, [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(try (a * column).scalars, [100, 200, 300, 800, 1000, 1200])
        XCTAssertEqual(try (column - row).shape, [2, 3])
        XCTAssertEqual(try (column - row).scalars, [90, 80, 70, 190, 180, 170])
        XCTAssertEqual(try (a / Tensor(2)).scalars, [0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual((2 - a).scalars, [1, 0, -1, -2, -3, -4])
    }

    func testArithmeticGradientsUnderEveryBroadcastPattern() throws {
        let patterns: [([Int], [Int])] = [
            ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([4], [2, 3, 4]), ([2, 3, 4], [1]),
            ([2, 1, 4], [3, 1]), ([2, 3, 1], [1, 3, 4]),
        ]
        for (left, right) in patterns {
            let a = uniform(left, seed: 1)
            let b = uniform(right, 0.5, 2, seed: 2)
            try assertGradientsMatch([a, b]) { try $0[0] + $0[1] }
            try assertGradientsMatch([a, b]) { try $0[0] - $0[1] }
            try assertGradientsMatch([a, b]) { try $0[0] * $0[1] }
            try assertGradientsMatch([a, b]) { try $0[0] / $0[1] }
        }
    }

    func testMaximumMinimumAndScalarGradients() throws {
        let a = separated([3, 4], seed: 5)
        // Odd multiples of 0.025 stay 0.025 away from every value of `a`: no ties.
        let b = try Tensor(shape: [4], scalars: [0.325, -0.175, 0.025, 0.475])
        try assertGradientsMatch([a, b]) { try Tensor.maximum($0[0], $0[1]) }
        try assertGradientsMatch([a, b]) { try Tensor.minimum($0[0], $0[1]) }
        try assertGradientsMatch([a]) { 3 * $0[0] - 1.5 }
        try assertGradientsMatch([a]) { -$0[0] / 4 }
    }

    func testMathFunctionValuesAndGradients() throws {
        let x = try Tensor(shape: [4], scalars: [0.25, 1, 2, 4])
        assertClose(x.log().scalars, [logf(0.25), 0, logf(2), logf(4)])
        assertClose(x.sqrt().scalars, [0.5, 1, sqrtf(2), 2])
        assertClose(x.pow(3).scalars, [0.015625, 1, 8, 64])
        assertClose(x.exp().scalars, [expf(0.25), expf(1), expf(2), expf(4)])
        XCTAssertEqual(try separated([5]).clamped(-0.1, 0.1).scalars.map { Swift.abs($0) <= 0.1 }, [Bool](repeating: true, count: 5))

        let positive = uniform([3, 4], 0.5, 2)
        let signed = separated([3, 4])
        try assertGradientsMatch([uniform([3, 4])]) { $0[0].exp() }
        try assertGradientsMatch([positive], step: 1e-3) { $0[0].log() }
        try assertGradientsMatch([positive], step: 1e-3) { $0[0].sqrt() }
        try assertGradientsMatch([positive], step: 1e-3) { $0[0].pow(2.5) }
        try assertGradientsMatch([signed]) { $0[0].abs() }
        try assertGradientsMatch([signed]) { try $0[0].clamped(-0.27, 0.33) }
    }

    func testActivationValues() throws {
        let x = try Tensor(shape: [5], scalars: [-7, -1, 0.5, 3, 8])
        XCTAssertEqual(x.relu().scalars, [0, 0, 0.5, 3, 8])
        XCTAssertEqual(x.relu6().scalars, [0, 0, 0.5, 3, 6])
        XCTAssertEqual(x.leakyRelu(slope: 0.1).scalars, [-0.7, -0.1, 0.5, 3, 8])
        assertClose(x.sigmoid().scalars, [-7, -1, 0.5, 3, 8].map { 1 / (1 + expf(-$0)) })
        assertClose(x.tanh().scalars, [-7, -1, 0.5, 3, 8].map { tanhf($0) })
        assertClose(try x.swish().scalars, [-7, -1, 0.5, 3, 8].map { $0 / (1 + expf(-$0)) })
    }

    func testSoftmaxIsStableForLargeLogits() throws {
        let logits = try Tensor(shape: [2, 3], scalars: [1000, 1001, 1002, -1000, -1000, -1000])
        let probabilities = try logits.softmax().scalars
        let e = [expf(-2), expf(-1), 1]
        let total = e.reduce(0, +)
        assertClose(probabilities, e.map { $0 / total } + [1 / 3.0, 1 / 3.0, 1 / 3.0])
        let logProbabilities = try logits.logSoftmax().scalars
        assertClose(logProbabilities, e.map { logf($0 / total) } + [Float](repeating: -logf(3), count: 3), tolerance: 1e-4)
        XCTAssertTrue(logProbabilities.allSatisfy(\.isFinite))
    }

    func testActivationGradients() throws {
        let x = separated([2, 3, 5])
        try assertGradientsMatch([x]) { $0[0].relu() }
        try assertGradientsMatch([separated([2, 3, 5], gap: 4)]) { $0[0].relu6() }
        try assertGradientsMatch([x]) { $0[0].leakyRelu(slope: 0.3) }
        try assertGradientsMatch([x]) { $0[0].sigmoid() }
        try assertGradientsMatch([x]) { $0[0].tanh() }
        try assertGradientsMatch([x]) { try $0[0].swish() }
        try assertGradientsMatch([uniform([4, 6], -3, 3)]) { try $0[0].softmax() }
        try assertGradientsMatch([uniform([4, 6], -3, 3)]) { try $0[0].logSoftmax() }
    }

    func testMismatchedBroadcastNamesOpAndBothShapes() {
        assertTensorError(["add", "[2, 3]", "[4]"]) { _ = try Tensor(zeros: [2, 3]) + Tensor(zeros: [4]) }
        assertTensorError(["multiply", "[2, 3]", "[3, 2]"]) { _ = try Tensor(zeros: [2, 3]) * Tensor(zeros: [3, 2]) }
    }
}
