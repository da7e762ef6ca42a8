// EngineDemo: ZooTensor on its own. Trains a two-layer convolutional network to tell filled
// discs from rings, with nothing but tensor ops, autograd and a hand-written SGD step, then
// reports the BLAS kernel in use. Layers, optimizers and the experiment runner build on
// exactly these pieces.
import Foundation
import ZooTensor

/// 24x24 grayscale images: a filled disc (class 0) or a ring (class 1), with noise.
func makeImages(count: Int, random: inout RandomGenerator) throws -> (Tensor, Tensor) {
    let size = 24
    var pixels = [Float](repeating: 0, count: count * size * size)
    var oneHot = [Float](repeating: 0, count: count * 2)
    for i in 0..<count {
        let isRing = i % 2 == 1
        let radius = random.nextUniform(5, 9)
        let (cy, cx) = (random.nextUniform(9, 15), random.nextUniform(9, 15))
        for y in 0..<size {
            for x in 0..<size {
                let r = ((Float(y) - cy) * (Float(y) - cy) + (Float(x) - cx) * (Float(x) - cx)).squareRoot()
                let inside = isRing ? (r < radius && r > radius - 2.5) : r < radius
                pixels[(i * size + y) * size + x] = (inside ? 1 : 0) + 0.3 * random.nextNormal()
            }
        }
        oneHot[i * 2 + (isRing ? 1 : 0)] = 1
    }
    return (try Tensor(shape: [count, size, size, 1], scalars: pixels), try Tensor(shape: [count, 2], scalars: oneHot))
}

var random = RandomGenerator(seed: 2026)
let parameters = [
    Initializer.heNormal.make([3, 3, 1, 8], using: &random), Tensor(zeros: [8]),
    Initializer.heNormal.make([3, 3, 8, 16], using: &random), Tensor(zeros: [16]),
    Initializer.glorotUniform.make([16, 2], using: &random), Tensor(zeros: [2]),
]
for parameter in parameters { parameter.requiresGrad = true }

func logits(_ images: Tensor) throws -> Tensor {
    var x = try conv2d(images, kernel: parameters[0], bias: parameters[1], padding: .same).relu()
    x = try maxPool2d(x, poolSize: [2])
    x = try conv2d(x, kernel: parameters[2], bias: parameters[3], padding: .same).relu()
    return try Tensor.matmul(globalMaxPool(x), parameters[4]) + parameters[5]
}

let (trainImages, trainLabels) = try makeImages(count: 256, random: &random)
let (testImages, testLabels) = try makeImages(count: 128, random: &random)
var velocity = parameters.map { Tensor(zeros: $0.shape) }
let start = Date()
for epoch in 1...30 {
    let loss = try -(logits(trainImages).logSoftmax() * trainLabels).sum() / Float(trainImages.shape[0])
    for parameter in parameters { parameter.grad = nil }
    try loss.backward()
    for (parameter, v) in zip(parameters, velocity) {  // SGD, momentum 0.9, lr 0.1
        try v.assign(v * 0.9 + parameter.grad!)
        try parameter.assign(parameter.detached() - v * 0.1)
    }
    if epoch % 5 == 0 { print(String(format: "epoch %2d  loss %.4f", epoch, try loss.item())) }
}
let predicted = try withoutGrad { try logits(testImages).argmax(axis: 1) }
let truth = try testLabels.argmax(axis: 1)
let accuracy = Double(zip(predicted, truth).filter { $0 == $1 }.count) / Double(truth.count)
print(String(format: "held-out accuracy %.1f%% after %.1f s", 100 * accuracy, Date().timeIntervalSince(start)))
print("OpenBLAS kernel \(BLAS.coreName) (\(BLAS.kernelSelection)), \(Parallel.threadCount) threads")
