import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

/// A fresh temporary folder, removed at the end of the test.
func temporaryFolder(_ test: XCTestCase) throws -> URL { try temporaryFolder(test, prefix: "zoo-hdf5") }

/// A file written by Tests/Fixtures/keras_weight_files.py, or a skip with the reason.
func kerasWeightFile(_ name: String) throws -> URL {
    try fixtureFile("keras_weight_files", name, generator: "Tests/Fixtures/keras_weight_files.py")
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
}

/// The fixture script's nested model: a functional backbone under a Dense head.
final class Backbone: Model {
    let input: InputLayer
    let conv: Conv2D
    let norm: BatchNormalization
    let pool: GlobalAveragePooling2D

    init(scoped: Bool) {
        input = InputLayer(shape: [16, 16, 3], name: "input_layer")
        conv = Conv2D(filters: 8, kernelSize: [3], inputChannels: 3, activation: .relu, name: "stem_conv")
        norm = BatchNormalization(channels: 8, name: "stem_bn")
        pool = GlobalAveragePooling2D(name: "pool")
        super.init(name: "backbone", isScope: scoped)
        for layer in [input, conv, norm, pool] as [Layer] { add(layer) }
    }

    override func forward(_ x: Tensor) throws -> Tensor { try pool(norm(conv(input(x)))) }
}

final class Classifier: Model {
    let backbone = Backbone(scoped: true)
    let head = Dense(units: 3, inputFeatures: 8, activation: .softmax, name: "head")

    init() {
        super.init(name: "classifier")
        add(backbone)
        add(head)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try head(backbone(x)) }
}
