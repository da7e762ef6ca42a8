import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

final class HeadSpecTests: XCTestCase {
    func testParsesTheCTPapersHeadAndBuildsIt() throws {
        let head = try HeadSpec(parsing: ["up_sampling 4", "batch_norm", "global_average_pooling", "dense 512 relu", "dropout 0.5", "dense 2 softmax"])
        XCTAssertEqual(head.layers, [.upSampling(4), .batchNormalization, .globalAveragePooling, .dense(512, .relu), .dropout(0.5), .dense(2, .softmax)])
        let layers = try head.build(on: Input(shape: [7, 7, 64])).layers
        XCTAssertEqual(layers.map(\.kerasClassName), ["UpSampling2D", "BatchNormalization", "GlobalAveragePooling2D", "Dense", "Dropout", "Dense"])
        var y = Tensor(zeros: [2, 7, 7, 64])
        for layer in layers { y = try layer(y) }
        XCTAssertEqual(y.shape, [2, 2])
    }

    func testBadHeadsAreErrorsNamingTheLayer() {
        assertThrows(["head layer 2 'batchnorm'", "unknown layer", "batch_norm"]) { _ = try HeadSpec(parsing: ["flatten", "batchnorm"]) }
        assertThrows(["head layer 1 'dense 0'", "positive unit count"]) { _ = try HeadSpec(parsing: ["dense 0"]) }
        assertThrows(["unknown activation 'gelu'"]) { _ = try HeadSpec(parsing: ["dense 4 gelu"]) }
        assertThrows(["dropout 1.5", "[0, 1)"]) { _ = try HeadSpec(parsing: ["dropout 1.5"]) }
        assertThrows(["head ends with a feature map", "[7, 7, 2]"]) { _ = try HeadSpec([.dense(2, .softmax)]).build(on: Input(shape: [7, 7, 64])) }
        assertThrows(["up_sampling needs a feature map"]) { _ = try HeadSpec([.upSampling(2)]).build(on: Input(shape: [64])) }
    }
}
