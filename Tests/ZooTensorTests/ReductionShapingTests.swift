import XCTest

@testable import ZooTensor

final class ReductionShapingTests: XCTestCase {
    func testReductionValues() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        XCTAssertEqual(try x.sum().scalars, [21])
        XCTAssertEqual(try x.sum(axes: [0]).scalars, [5, 7, 9])
        XCTAssertEqual(try x.sum(axes: [-1], keepingDims: true).shape, [2, 1])
        XCTAssertEqual(try x.mean(axes: [1]).scalars, [3, 4])
        XCTAssertEqual(try x.max(axes: [1]).scalars, [5, 6])
        XCTAssertEqual(try x.max().scalars, [6])
        XCTAssertEqual(try x.argmax(axis: 1), [1, 2])
        XCTAssertEqual(try x.argmax(axis: 0), [1, 0, 1])
    }

    func testReductionGradients() throws {
        let x = uniform([2, 3, 4])
        try assertGradientsMatch([x]) { try $0[0].sum() }
        try assertGradientsMatch([x]) { try $0[0].sum(axes: [0, 2]) }
        try assertGradientsMatch([x]) { try $0[0].mean(axes: [1], keepingDims: true) }
        try assertGradientsMatch([separated([2, 3, 4])]) { try $0[0].max(axes: [1]) }
        try assertGradientsMatch([separated([2, 3, 4])]) { try $0[0].max(axes: [0, 2]) }
    }

    func testLongAxisSumUsesPartialSumsCorrectly() throws {
        // (1, 5000, 3) summed over the long axis takes the partial-sum path.
        let x = Tensor(repeating: 0.5, shape: [1, 5000, 3])
        XCTAssertEqual(try x.sum(axes: [1]).scalars, [2500, 2500, 2500])
    }

    func testShapingValues() throws {
        let x = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try x.reshaped([3, -1]).shape, [3, 2])
        XCTAssertEqual(try x.permuted([1, 0]).scalars, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try Tensor.concatenate([x, x], axis: 1).scalars, [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        XCTAssertEqual(try x.sliced([1..<2, 0..<2]).scalars, [3, 4])
        XCTAssertEqual(try x.gathered([2, 0, 2], axis: 1).scalars, [2, 0, 2, 5, 3, 5])
        XCTAssertEqual(try x.padded([(0, 0), (1, 1)]).scalars, [0, 0, 1, 2, 0, 0, 3, 4, 5, 0])
        // NumPy 'reflect': [2, 1 | 0, 1, 2 | 1, 0]
        XCTAssertEqual(try x.padded([(0, 0), (2, 2)], mode: .reflect).scalars, [2, 1, 0, 1, 2, 1, 0, 5, 4, 3, 4, 5, 4, 3])
    }

    func testShapingGradients() throws {
        let x = uniform([2, 3, 4])
        try assertGradientsMatch([x]) { try $0[0].reshaped([4, 6]) }
        try assertGradientsMatch([x]) { try $0[0].permuted([2, 0, 1]) }
        try assertGradientsMatch([x, uniform([2, 1, 4], seed: 9)]) { try Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        try assertGradientsMatch([x]) { try $0[0].sliced([0..<2, 1..<3, 1..<4]) }
        try assertGradientsMatch([x]) { try $0[0].padded([(1, 0), (0, 2), (1, 1)]) }
        try assertGradientsMatch([x]) { try $0[0].padded([(0, 0), (2, 1), (3, 2)], mode: .reflect) }
        try assertGradientsMatch([x]) { try $0[0].gathered([3, 0, 3, 1], axis: 2) }
    }

    func testMatmulValuesAndGradients() throws {
        let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = try Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(try Tensor.matmul(a, b).scalars, [58, 64, 139, 154])
        try assertGradientsMatch([uniform([4, 5]), uniform([5, 3], seed: 2)]) { try Tensor.matmul($0[0], $0[1]) }
        try assertGradientsMatch([uniform([2, 3, 5]), uniform([5, 3], seed: 2)]) { try Tensor.matmul($0[0], $0[1]) }
    }

    func testBadShapesAndAxesAreNamed() {
        let x = Tensor(zeros: [2, 3])
        assertTensorError(["reshape", "[2, 3]", "[4, 2]"]) { _ = try x.reshaped([4, 2]) }
        assertTensorError(["sum", "axis 2", "rank 2"]) { _ = try x.sum(axes: [2]) }
        assertTensorError(["matmul", "[2, 3]", "[2, 3]"]) { _ = try Tensor.matmul(x, x) }
        assertTensorError(["concatenate", "[2, 3]", "[3, 3]"]) { _ = try Tensor.concatenate([x, Tensor(zeros: [3, 3])], axis: 1) }
        assertTensorError(["slice", "0..<4", "[2, 3]"]) { _ = try x.sliced([0..<1, 0..<4]) }
        assertTensorError(["gather", "index 3"]) { _ = try x.gathered([3], axis: 1) }
        assertTensorError(["pad", "reflect"]) { _ = try x.padded([(0, 0), (3, 0)], mode: .reflect) }
        assertTensorError(["permute", "[0, 0]"]) { _ = try x.permuted([0, 0]) }
    }
}
