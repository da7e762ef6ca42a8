import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

/// A fresh temporary folder (kept with ZOO_KEEP_TEST_FILES=1, to look at the pictures).
func temporaryFolder(_ test: XCTestCase) throws -> URL { try temporaryFolder(test, prefix: "zoo-explain") }

/// A file written by Tests/Fixtures/gradcam_reference.py, or a skip with the reason.
func gradCAMFixture(_ name: String) throws -> URL {
    try fixtureFile("gradcam", name, generator: "Tests/Fixtures/gradcam_reference.py")
}

/// Pearson correlation of two equally long arrays (nan when either is constant).
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let (ma, mb) = (a.reduce(0.0) { $0 + Double($1) } / n, b.reduce(0.0) { $0 + Double($1) } / n)
    var (sab, saa, sbb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
        let (dx, dy) = (Double(x) - ma, Double(y) - mb)
        sab += dx * dy
        saa += dx * dx
        sbb += dy * dy
    }
    return sab / (saa * sbb).squareRoot()
}

/// The fixture script's 3D CNN: Conv3D 8, BatchNormalization, MaxPooling3D, Conv3D 16,
/// GlobalAveragePooling3D, Dense classes softmax; Keras's automatic names.
final class SmallCNN3D: Model {
    let conv1: Conv3D
    let norm: BatchNormalization
    let pool: MaxPooling3D
    let conv2: Conv3D
    let global: GlobalAveragePooling3D
    let classifier: Dense

    init(channels: Int = 1, classes: Int = 2) {
        (conv1, norm, pool, conv2, global, classifier) = BuildContext.freshNames {
            (Conv3D(filters: 8, kernelSize: [3], inputChannels: channels, activation: .relu),
             BatchNormalization(channels: 8), MaxPooling3D(poolSize: [2]),
             Conv3D(filters: 16, kernelSize: [3], inputChannels: 8, activation: .relu),
             GlobalAveragePooling3D(), Dense(units: classes, inputFeatures: 16, activation: .softmax))
        }
        super.init(name: "sequential")
        for layer in [conv1, norm, pool, conv2, global, classifier] as [Layer] { add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        try classifier(global(conv2(pool(norm(conv1(x))))))
    }
}
