import XCTest
import ZooCore
import ZooNN
import ZooTensor

@testable import ZooResNet

/// torchvision's padding, checked by numbers: a strided basic block against PyTorch.
final class TorchvisionBlockTests: XCTestCase {
    /// `0.5 sin(1.3 i + 0.7 k)` over a tensor's elements, for parameter number `k`.
    func fill(_ k: Int, _ shape: [Int], variance: Bool = false, offset: Float = 0) throws -> Tensor {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { i -> Float in
            let v = 0.5 * sin(1.3 * Double(i) + 0.7 * Double(k))
            return Float(variance ? 1 + 0.5 * v * v : v) + offset
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// The block `conv3_block1` of ResNet18 in small: 2 -> 3 channels, stride 2, on a 6x6
    /// input, in inference mode. The expected values come from PyTorch's `Conv2d(padding=1)`,
    /// `BatchNorm2d` and a 1x1 strided `downsample`, the layers of torchvision's `BasicBlock`,
    /// with the same weights. TensorFlow's 'same' padding would differ by up to 0.027.
    func testStridedBasicBlockMatchesPyTorch() throws {
        let input = try Input(shape: [6, 6, 2])
        let output = try residualBlock(input, .basic, name: "b", filters: 3, stride: 2, convention: .torchvision)
        let block = try Model(inputs: [input], outputs: [output], name: "b", listsInputLayers: false)
        XCTAssertEqual(block.layers.map(\.name), [
            "b_1_conv", "b_1_bn", "b_1_relu", "b_0_conv", "b_2_conv", "b_0_bn", "b_2_bn", "b_add", "b_out",
        ])
        for (k, (path, parameter)) in block.namedParameters.enumerated() {
            let name = path.split(separator: "/").last!
            let value = try fill(
                k, parameter.value.shape, variance: name == "moving_variance", offset: name == "beta" ? 0.5 : 0)
            try parameter.value.assign(value)
        }
        let x = try fill(99, [1, 6, 6, 2])
        let y = try withoutGrad { try block(x) }
        XCTAssertEqual(y.shape, [1, 3, 3, 3])
        let expected: [Float] = [
            0.815732, 1.219509, 0.574342, 0.802362, 1.226577, 0.590526, 0.938815, 1.254941, 0.659441,
            0.997856, 1.207728, 0.738032, 1.019623, 1.191641, 0.799534, 1.084383, 1.190994, 0.833999,
            1.022152, 1.283498, 0.685302, 1.120745, 1.274853, 0.791184, 1.219434, 1.269978, 0.848443,
        ]
        for (index, (actual, reference)) in zip(y.scalars, expected).enumerated() {
            XCTAssertEqual(actual, reference, accuracy: 2e-5, "element \(index)")
        }
    }
}
