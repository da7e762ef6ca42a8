import XCTest
import ZooCore
import ZooNN

@testable import ZooKit

final class FactoryTests: XCTestCase {
    func value(_ yaml: String) throws -> ConfigValue { try ConfigValue.parse(yaml: yaml, source: "test") }

    func testOptimizersFromConfig() throws {
        let adam = try TrainingFactory.optimizer(value("{name: adam, lr: 3e-4, epsilon: 0.1}"), source: "test")
        XCTAssertEqual(adam.learningRate, 3e-4)
        XCTAssertEqual((adam as? Adam)?.epsilon, 0.1)
        XCTAssertEqual((adam as? Adam)?.convention, .keras)
        let sgd = try TrainingFactory.optimizer(value("{name: sgd, momentum: 0.9, nesterov: true, clip_norm: 1}"), source: "test")
        XCTAssertEqual((sgd as? SGD)?.nesterov, true)
        XCTAssertEqual(sgd.clipping, .globalNorm(1))
        XCTAssertThrowsError(try TrainingFactory.optimizer(value("{name: adma}"), source: "test")) {
            XCTAssertTrue("\($0)".contains("did you mean adam"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingFactory.optimizer(value("{name: adam, learning_rate: 1}"), source: "test")) {
            XCTAssertTrue("\($0)".contains("train.optimizer.learning_rate: unknown key"), "\($0)")
        }
    }

    func testLossesSchedulesAndClassWeights() throws {
        XCTAssertTrue(try TrainingFactory.loss(value("dice_ce"), classWeights: nil, source: "t") is DiceCELoss)
        XCTAssertTrue(try TrainingFactory.loss(value("{name: focal, gamma: 1}"), classWeights: nil, source: "t") is FocalLoss)
        let cosine = try TrainingFactory.schedule(value("{name: warmup_cosine, warmup: 5}"), learningRate: 1e-3, epochs: 50, stepsPerEpoch: 10, source: "t")
        XCTAssertEqual(cosine.unit, .epoch)
        XCTAssertEqual(cosine.schedule?.learningRate(at: 5), 1e-3)
        XCTAssertNotNil(try TrainingFactory.schedule(value("plateau"), learningRate: 1e-3, epochs: 5, stepsPerEpoch: 1, source: "t").plateau)
        XCTAssertEqual(try TrainingFactory.classWeights(value("balanced"), labels: [0, 0, 0, 1], classes: 2, source: "t"), [4.0 / 6.0, 2])
        XCTAssertThrowsError(try TrainingFactory.classWeights(value("[1, 2, 3]"), labels: [0, 1], classes: 2, source: "t")) {
            XCTAssertTrue("\($0)".contains("3 weights for 2 classes"), "\($0)")
        }
    }
}
