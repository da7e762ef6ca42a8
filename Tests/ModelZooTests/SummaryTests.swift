import Foundation
import XCTest
import ZooCore
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ModelZoo

/// `ModelSummary` row by row against what Keras's `model.summary(show_trainable=True)` prints
/// for the same model (Tests/Fixtures/summary_reference.py).
final class SummaryTests: XCTestCase {
    struct KerasRow: Decodable, Equatable {
        let name: String
        let `class`: String
        let shape: [Int?]
        let params: Int
        let trainable: String
        let connected_to: [String]
    }

    struct KerasSummary: Decodable {
        let name: String
        let rows: [KerasRow]
        let total: Int
        let trainable: Int
        let non_trainable: Int
    }

    func assertSummaryMatchesKeras(_ variant: String) throws {
        let url = try fixtureFile("summary", "\(variant).json", generator: "Tests/Fixtures/summary_reference.py")
        let keras = try JSONDecoder().decode(KerasSummary.self, from: Data(contentsOf: url))
        let model = try BuildContext.run(seed: 1) {
            try ModelZoo.variant(variant).make(ArchitectureOptions(includeTop: false, inputShape: [32, 32, 3]))
        }
        let summary = try ModelSummary(model)
        let ours = summary.rows.map { row in
            KerasRow(
                name: row.name, class: row.className, shape: [nil] + (row.outputShape ?? []), params: row.parameters,
                trainable: row.trainable, connected_to: row.connectedTo)
        }
        XCTAssertEqual(ours.count, keras.rows.count)
        for (zoo, reference) in zip(ours, keras.rows) where zoo != reference {
            XCTFail("\(variant): Zoo's row \(zoo) differs from Keras's \(reference)")
            break
        }
        XCTAssertTrue(summary.showsConnections)
        XCTAssertEqual([summary.total, summary.trainable, summary.nonTrainable], [keras.total, keras.trainable, keras.non_trainable])
        XCTAssertEqual(summary.modelName, keras.name)
    }

    func testResNet50SummaryEqualsKeras() throws { try assertSummaryMatchesKeras("resnet50") }

    func testDenseNet121SummaryEqualsKeras() throws { try assertSummaryMatchesKeras("densenet121") }

    /// The printed table: Keras's columns, one line per layer, inputs joined by commas, and no
    /// `Connected to` column for a chain (Keras's sequential-like models).
    func testThePrintedTable() throws {
        let x = try Input(shape: [8, 8, 3], name: "image")
        let a = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 3, name: "a")(x)
        let b = try Conv2D(filters: 4, kernelSize: [1], inputChannels: 4, name: "b")(a)
        let model = try BuildContext.run(seed: 1) { try Model(inputs: x, outputs: Add(name: "sum")([a, b]), name: "m") }
        let lines = try ModelSummary(model).description.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "Model: \"m\"")
        XCTAssertEqual(lines[2].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "),
                       "Layer (type) Output Shape Param # Connected to Trainable")
        XCTAssertTrue(lines.contains { $0.hasPrefix("sum (Add)") && $0.contains("(None, 8, 8, 4)") && $0.contains("a[0][0], b[0][0]") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("image (InputLayer)") && $0.contains(" - ") })
        XCTAssertEqual(lines.suffix(3), [
            " Total params: 36 (144.00 B)", " Trainable params: 36 (144.00 B)", " Non-trainable params: 0 (0.00 B)",
        ])
        let chain = try ModelSummary(ModelZoo.variant("small_cnn").make(ArchitectureOptions(classes: 2)))
        XCTAssertFalse(chain.showsConnections)
        XCTAssertFalse(chain.description.contains("Connected to"))
    }
}
