import XCTest
import ZooCore
import ZooNN
import ZooTensor

/// Builds `variant` at its minimum input for 3 classes (logits), runs a training step's forward
/// and backward pass on a batch of 2, and checks the output shape and that every trainable
/// parameter received a finite gradient.
public func assertForwardBackward(_ variant: ArchitectureVariant, file: StaticString = #filePath, line: UInt = #line) throws {
    let input = variant.minimumInput + [3]
    let options = ArchitectureOptions(classes: 3, inputShape: input, classifierActivation: .linear)
    let model = try BuildContext.run(seed: 1) { try variant.build(options) }
    model.setTraining(true)
    var random = RandomGenerator(seed: 2)
    let batch = Tensor.randomUniform([2] + input, low: -1, high: 1, using: &random)
    let logits = try model(batch)
    XCTAssertEqual(logits.shape, [2, 3], file: file, line: line)
    try SoftmaxCrossEntropy()(logits, Tensor(shape: [2], scalars: [0, 2])).backward()
    let missing = model.trainableParameters.filter { entry in
        guard let grad = entry.parameter.value.grad else { return true }
        return !grad.scalars.allSatisfy(\.isFinite)
    }
    XCTAssertEqual(missing.map(\.path), [], "parameters without a finite gradient", file: file, line: line)
}

/// An image batch of `shape` (batch included) with values in [-1, 1).
public func images(_ shape: [Int]) -> Tensor {
    var random = RandomGenerator(seed: 3)
    return Tensor.randomUniform(shape, low: -1, high: 1, using: &random)
}
