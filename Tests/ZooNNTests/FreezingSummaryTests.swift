import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

final class FreezingSummaryTests: XCTestCase {
    /// Ten layers, an input layer first, as a Keras functional model lists them.
    func makeModel() -> Sequential {
        BuildContext.run(seed: 1) {
            Sequential(name: "ten", [
                InputLayer(shape: [8, 8, 1], name: "input_layer"),
                Conv2D(filters: 2, kernelSize: [3], inputChannels: 1, padding: .same, name: "conv_a"),
                BatchNormalization(channels: 2, name: "bn_a"), Activation(.relu, name: "relu_a"),
                Conv2D(filters: 2, kernelSize: [3], inputChannels: 2, padding: .same, name: "conv_b"),
                BatchNormalization(channels: 2, name: "bn_b"), Activation(.relu, name: "relu_b"),
                GlobalAveragePooling2D(name: "pool"), Dropout(rate: 0.5, name: "drop"),
                Dense(units: 2, inputFeatures: 2, name: "predictions"),
            ])
        }
    }

    func testFreezeByNamePrefixAndFractionAsKerasCounts() throws {
        let model = makeModel()
        // int(10 * 0.7) = 7: the input layer through relu_b.
        XCTAssertEqual(try model.freeze(fraction: 0.7), 7)
        XCTAssertEqual(model.layers.filter(\.isFrozen).map(\.name), [
            "input_layer", "conv_a", "bn_a", "relu_a", "conv_b", "bn_b", "relu_b",
        ])
        XCTAssertEqual(model.trainableParameters.map(\.path), ["predictions/kernel", "predictions/bias"])
        XCTAssertFalse(model.parameter(at: "conv_a/kernel")!.value.requiresGrad)
        model.unfreezeAll()
        XCTAssertEqual(try model.freeze(prefix: "bn_"), 2)
        try model.freeze(names: ["predictions"])
        XCTAssertEqual(model.layers.filter(\.isFrozen).map(\.name), ["bn_a", "bn_b", "predictions"])
        assertThrows(["no layer named", "conv_z"]) { try model.freeze(names: ["conv_a", "conv_z"]) }
        assertThrows(["0...1", "1.5"]) { try model.freeze(fraction: 1.5) }
        assertThrows(["starts with 'zzz'"]) { try model.freeze(prefix: "zzz") }
        // freeze.up_to: every layer through the named one, in Keras's order.
        model.unfreezeAll()
        XCTAssertEqual(try model.freeze(upTo: "bn_a"), 3)
        XCTAssertEqual(model.layers.filter(\.isFrozen).map(\.name), ["input_layer", "conv_a", "bn_a"])
        assertThrows(["freeze.up_to", "'conv_z'", "'ten'"]) { try model.freeze(upTo: "conv_z") }
    }

    func testFrozenBatchNormRunsOnMovingStatisticsAndLeavesThem() throws {
        let model = makeModel()
        model.setTraining(true)
        let x = uniform([4, 8, 8, 1], seed: 5)
        let bn = model.layers[2] as! BatchNormalization
        _ = try model(x)
        XCTAssertNotEqual(bn.movingMean.value.scalars, [0, 0], "a training batch norm updates its statistics")
        let before = bn.movingMean.value.scalars
        bn.isFrozen = true
        XCTAssertFalse(bn.usesBatchStatistics)
        _ = try model(x)
        XCTAssertEqual(bn.movingMean.value.scalars, before)
    }

    func testSummaryListsShapesCountsAndTotals() throws {
        let model = makeModel()
        try model.freeze(names: ["conv_a"])
        let summary = try ModelSummary(model, inputShape: [8, 8, 1])
        XCTAssertEqual(summary.rows.map(\.outputShape), [
            [8, 8, 1], [8, 8, 2], [8, 8, 2], [8, 8, 2], [8, 8, 2], [8, 8, 2], [8, 8, 2], [2], [2], [2],
        ])
        XCTAssertEqual(summary.rows.map(\.parameters), [0, 20, 8, 0, 38, 8, 0, 0, 0, 6])
        XCTAssertEqual(summary.rows.map(\.trainable), ["-", "N", "Y", "-", "Y", "Y", "-", "-", "-", "Y"])
        XCTAssertEqual(summary.total, 80)
        XCTAssertEqual(summary.trainable, 80 - 20 - 8)
        let text = summary.description
        XCTAssertTrue(text.contains("conv_b (Conv2D)"))
        XCTAssertTrue(text.contains("(None, 8, 8, 2)"))
        XCTAssertTrue(text.contains(" Total params: 80 (320.00 B)"))
        XCTAssertEqual(ModelSummary.grouped(25_636_712), "25,636,712")
        XCTAssertEqual(ModelSummary.memory(25_636_712), "97.80 MB")
        XCTAssertEqual(ModelSummary.memory(53_120), "207.50 KB")
    }
}
