import Foundation
import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

final class LossTests: XCTestCase {
    let logits = try! Tensor(shape: [2, 3], scalars: [2, 1, 0.1, 0.5, 2.5, -1])

    func logSoftmaxRow(_ row: [Float]) -> [Double] {
        let m = Double(row.max()!)
        let total = row.reduce(0.0) { $0 + exp(Double($1) - m) }
        return row.map { Double($0) - m - log(total) }
    }

    func testCrossEntropyByHandWithSmoothingAndClassWeights() throws {
        let rows = [logSoftmaxRow([2, 1, 0.1]), logSoftmaxRow([0.5, 2.5, -1])]
        let labels = try Tensor(shape: [2], scalars: [0, 1])
        let plain = -(rows[0][0] + rows[1][1]) / 2
        XCTAssertEqual(Double(try SoftmaxCrossEntropy()(logits, labels).item()), plain, accuracy: 1e-6)
        // One-hot targets give the same number.
        let oneHot = try Tensor(shape: [2, 3], scalars: [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(Double(try SoftmaxCrossEntropy()(logits, oneHot).item()), plain, accuracy: 1e-6)
        // Smoothing 0.3: targets y * 0.7 + 0.1.
        var smooth = 0.0
        for r in 0..<2 {
            for c in 0..<3 {
                let target: Double = (r == c ? 0.7 : 0) + 0.1
                smooth -= target * rows[r][c] / 2
            }
        }
        XCTAssertEqual(Double(try SoftmaxCrossEntropy(labelSmoothing: 0.3)(logits, labels).item()), smooth, accuracy: 1e-6)
        // Class weights (1, 3, 1): Keras divides by the batch, PyTorch by the weights' sum.
        let weighted = -(1 * rows[0][0] + 3 * rows[1][1])
        XCTAssertEqual(Double(try SoftmaxCrossEntropy(classWeights: [1, 3, 1])(logits, labels).item()), weighted / 2, accuracy: 1e-6)
        XCTAssertEqual(
            Double(try SoftmaxCrossEntropy(classWeights: [1, 3, 1], weightedMean: .sumOfWeights)(logits, labels).item()),
            weighted / 4, accuracy: 1e-6)
        let huge = try Tensor(shape: [1, 2], scalars: [1000, -1000])
        XCTAssertEqual(try SoftmaxCrossEntropy()(huge, Tensor(shape: [1], scalars: [1])).item(), 2000, accuracy: 1e-2)
    }

    func testBinaryCrossEntropyAndFocalByHand() throws {
        let x = try Tensor(shape: [3], scalars: [2, -1, 0.5])
        let y = try Tensor(shape: [3], scalars: [1, 0, 1])
        func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        let expected = -(2 * log(sigmoid(2)) + log(1 - sigmoid(-1)) + 2 * log(sigmoid(0.5))) / 3
        XCTAssertEqual(Double(try BinaryCrossEntropy(positiveWeight: 2)(x, y).item()), expected, accuracy: 1e-6)
        XCTAssertEqual(try BinaryCrossEntropy()(Tensor(shape: [1], scalars: [-500]), Tensor(shape: [1], scalars: [1])).item(), 500, accuracy: 1e-2)

        let labels = try Tensor(shape: [2], scalars: [0, 1])
        let rows = [logSoftmaxRow([2, 1, 0.1]), logSoftmaxRow([0.5, 2.5, -1])]
        let pt = [exp(rows[0][0]), exp(rows[1][1])]
        let focal = -(0.25 * pow(1 - pt[0], 2) * rows[0][0] + 0.75 * pow(1 - pt[1], 2) * rows[1][1]) / 2
        XCTAssertEqual(Double(try FocalLoss(gamma: 2, alpha: [0.25, 0.75, 0.5])(logits, labels).item()), focal, accuracy: 1e-6)
        XCTAssertEqual(try FocalLoss(gamma: 0)(logits, labels).item(), try SoftmaxCrossEntropy()(logits, labels).item(), accuracy: 1e-6)
    }

    func testDiceMatchesMONAIsFormula() throws {
        // One sample, 4 pixels, 2 classes.
        let segmentation = try Tensor(shape: [1, 2, 2, 2], scalars: [3, 0, 0, 3, 1, 1, -2, 2])
        let labels = try Tensor(shape: [1, 2, 2], scalars: [0, 1, 0, 1])
        let p = stride(from: 0, to: 8, by: 2).map { i -> [Double] in
            let row = logSoftmaxRow(Array(segmentation.scalars[i..<(i + 2)]))
            return row.map(exp)
        }
        let t: [[Double]] = [[1, 0], [0, 1], [1, 0], [0, 1]]
        func dice(_ c: Int) -> Double {
            let inter = (0..<4).reduce(0.0) { $0 + p[$1][c] * t[$1][c] }
            let sums = (0..<4).reduce(0.0) { $0 + p[$1][c] + t[$1][c] }
            return 1 - (2 * inter + 1e-5) / (sums + 1e-5)
        }
        XCTAssertEqual(Double(try DiceLoss()(segmentation, labels).item()), (dice(0) + dice(1)) / 2, accuracy: 1e-6)
        XCTAssertEqual(Double(try DiceLoss(includeBackground: false)(segmentation, labels).item()), dice(1), accuracy: 1e-6)
        let ce = -(0..<4).reduce(0.0) { $0 + log(p[$1][$1 % 2 == 0 ? 0 : 1]) } / 4
        let diceCE = try DiceCELoss(includeBackground: false, lambdaDice: 0.5, lambdaCE: 2)
        XCTAssertEqual(Double(try diceCE(segmentation, labels).item()), 0.5 * dice(1) + 2 * ce, accuracy: 1e-5)
        // A perfect, confident prediction has a loss near 0; an ignore mask removes pixels.
        let perfect = try Tensor(shape: [1, 2, 2, 2], scalars: [20, -20, -20, 20, 20, -20, -20, 20])
        XCTAssertEqual(try DiceLoss()(perfect, labels).item(), 0, accuracy: 1e-5)
        var masked = DiceLoss()
        masked.ignore = try Tensor(shape: [1, 2, 2], scalars: [1, 1, 0, 0])
        XCTAssertEqual(try masked.perClass(segmentation, labels).shape, [1, 2])
        XCTAssertEqual(try DiceLoss(batch: true).perClass(segmentation, labels).shape, [2])
    }

    func testLossGradientsMatchFiniteDifferences() throws {
        let labels = try Tensor(shape: [2], scalars: [2, 0])
        try assertScalarGradient(uniform([2, 3], -2, 2)) { try SoftmaxCrossEntropy(classWeights: [1, 2, 3], labelSmoothing: 0.1)($0, labels) }
        try assertScalarGradient(uniform([4], -3, 3)) { try BinaryCrossEntropy(positiveWeight: 3)($0, Tensor(shape: [4], scalars: [1, 0, 0, 1])) }
        try assertScalarGradient(uniform([2, 3], -2, 2)) { try FocalLoss(gamma: 2)($0, labels) }
        let maskLabels = try Tensor(shape: [2, 3, 3], scalars: (0..<18).map { Float($0 % 3) })
        try assertScalarGradient(uniform([2, 3, 3, 3], -2, 2)) { try DiceCELoss(includeBackground: false)($0, maskLabels) }
        try assertScalarGradient(uniform([2, 3, 3, 1], -2, 2)) { try DiceLoss()($0, Tensor(shape: [2, 3, 3], scalars: (0..<18).map { Float($0 % 2) })) }
    }

    /// Issue 14.8: pixels with the ignore label weigh 0 in both terms of DiceCE: the loss
    /// equals the loss over the labelled pixels alone, and its gradient there is zero.
    func testDiceCEIgnoresUnlabelledPixels() throws {
        // One sample of 6 pixels, the last two unlabelled (255).
        let logits = try Tensor(shape: [1, 1, 6, 2], scalars: [2, -1, 0, 1, -1, 3, 1, 1, 5, -5, -3, 4])
        let labels = try Tensor(shape: [1, 1, 6], scalars: [0, 1, 1, 0, 255, 255])
        let loss = try DiceCELoss(includeBackground: false, ignoreLabel: 255)
        let kept = try Tensor(shape: [1, 1, 4, 2], scalars: Array(logits.scalars.prefix(8)))
        let keptLabels = try Tensor(shape: [1, 1, 4], scalars: [0, 1, 1, 0])
        XCTAssertEqual(try loss(logits, labels).item(), try DiceCELoss(includeBackground: false)(kept, keptLabels).item(), accuracy: 1e-6)
        var ce = try SoftmaxCrossEntropy()
        ce.ignoreLabel = 255
        XCTAssertEqual(try ce(logits, labels).item(), try SoftmaxCrossEntropy()(kept, keptLabels).item(), accuracy: 1e-6)
        try assertScalarGradient(uniform([2, 3, 3, 3], -2, 2)) { x in
            try DiceCELoss(includeBackground: false, ignoreLabel: 7)(x, Tensor(shape: [2, 3, 3], scalars: (0..<18).map { Float($0 % 4 == 3 ? 7 : $0 % 3) }))
        }
        let x = try Tensor(shape: [1, 1, 6, 2], scalars: logits.scalars)
        x.requiresGrad = true
        try loss(x, labels).backward()
        XCTAssertEqual(Array(try XCTUnwrap(x.grad).scalars.suffix(4)), [0, 0, 0, 0], "unlabelled pixels get no gradient")
    }

    func testBadTargetsNameTheLossAndTheShapes() {
        assertThrows(["SoftmaxCrossEntropy", "batch sizes differ", "[2, 3]", "[3]"]) {
            _ = try SoftmaxCrossEntropy()(self.logits, Tensor(zeros: [3]))
        }
        assertThrows(["SoftmaxCrossEntropy", "2 class weights for 3 classes"]) {
            _ = try SoftmaxCrossEntropy(classWeights: [1, 2])(self.logits, Tensor(zeros: [2]))
        }
        assertThrows(["not a class index", "5"]) { _ = try SoftmaxCrossEntropy()(self.logits, Tensor(shape: [2], scalars: [0, 5])) }
        assertThrows(["DiceLoss", "batch sizes differ"]) { _ = try DiceLoss()(Tensor(zeros: [2, 4, 4, 2]), Tensor(zeros: [3, 4, 4])) }
        assertThrows(["DiceCELoss", "lambdas"]) { _ = try DiceCELoss(lambdaDice: -1) }
        assertThrows(["BinaryCrossEntropy", "[4]", "[3]"]) { _ = try BinaryCrossEntropy()(Tensor(zeros: [4]), Tensor(zeros: [3])) }
    }
}
