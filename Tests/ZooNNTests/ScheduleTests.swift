import Foundation
import XCTest
import ZooCore
import ZooTensor

@testable import ZooNN

final class ScheduleTests: XCTestCase {
    func testClosedFormsAtChosenSteps() throws {
        XCTAssertEqual(ConstantSchedule(0.3).learningRate(at: 1000), 0.3)
        let step = try StepDecay(initial: 0.05, stepSize: 30)
        XCTAssertEqual(step.learningRate(at: 29), 0.05)
        XCTAssertEqual(step.learningRate(at: 30), 0.005, accuracy: 1e-9)
        XCTAssertEqual(step.learningRate(at: 61), 0.0005, accuracy: 1e-9)
        let exponential = try ExponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5)
        XCTAssertEqual(exponential.learningRate(at: 5), 0.1 * Float(pow(0.5, 0.5)), accuracy: 1e-7)
        let stairs = try ExponentialDecay(initial: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true)
        XCTAssertEqual(stairs.learningRate(at: 19), 0.05, accuracy: 1e-7)
    }

    func testKerasCosineDecayWithAlphaAndWarmup() throws {
        let cosine = try CosineDecay(initial: 0.1, decaySteps: 100, alpha: 0.1)
        XCTAssertEqual(cosine.learningRate(at: 0), 0.1, accuracy: 1e-7)
        // Half way: 0.1 * ((1 - 0.1) * 0.5 + 0.1) = 0.055.
        XCTAssertEqual(cosine.learningRate(at: 50), 0.055, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(at: 100), 0.01, accuracy: 1e-7)
        XCTAssertEqual(cosine.learningRate(at: 500), 0.01, accuracy: 1e-7)
        let warm = try CosineDecay(initial: 0, decaySteps: 100, warmupTarget: 0.2, warmupSteps: 10)
        XCTAssertEqual(warm.learningRate(at: 5), 0.1, accuracy: 1e-7)
        XCTAssertEqual(warm.learningRate(at: 10), 0.2, accuracy: 1e-7)
        // 25 steps into the decay: 0.2 * (1 + cos(pi / 4)) / 2.
        XCTAssertEqual(warm.learningRate(at: 35), 0.2 * Float((1 + cos(Double.pi / 4)) / 2), accuracy: 1e-7)
        XCTAssertEqual(warm.learningRate(at: 200), 0, accuracy: 1e-9)
    }

    func testWarmupCosineAnnealing() throws {
        let schedule = try WarmupCosineAnnealing(peak: 1e-3, totalSteps: 50, warmupSteps: 5, minimum: 1e-5)
        XCTAssertEqual(schedule.learningRate(at: 0), 0)
        XCTAssertEqual(schedule.learningRate(at: 4), 0.8e-3, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(at: 5), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(at: 27), 1e-5 + (1e-3 - 1e-5) * Float(0.5 * (1 + cos(Double.pi * 22 / 45))), accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(at: 50), 1e-5, accuracy: 1e-9)
        XCTAssertEqual(schedule.learningRate(at: 80), 1e-5, accuracy: 1e-9)
        assertThrows(["WarmupCosineAnnealing", "exceed"]) { _ = try WarmupCosineAnnealing(peak: 1, totalSteps: 5, warmupSteps: 5) }
    }

    func testReduceOnPlateauAsKeras() throws {
        var plateau = try ReduceLROnPlateau(mode: .min, factor: 0.5, patience: 2, minDelta: 0.01, cooldown: 1, minimum: 0.02)
        var rate: Float = 0.1
        // 1.0 improves, 0.995 is within minDelta (no), 0.999 no: the second bad epoch reduces.
        // Keras counts down the cooldown before it looks at the epoch, so a cooldown of 1 lets
        // the very next epoch count again: two more bad epochs reduce again.
        for (value, expected) in [(1.0, 0.1), (0.995, 0.1), (0.999, 0.05), (0.999, 0.05), (0.998, 0.025), (0.997, 0.025), (0.5, 0.025)] as [(Double, Float)] {
            rate = plateau.update(value: value, learningRate: rate)
            XCTAssertEqual(rate, expected, accuracy: 1e-7, "after \(value)")
        }
        for _ in 0..<3 { rate = plateau.update(value: 0.9, learningRate: rate) }
        XCTAssertEqual(rate, 0.02, "never below the minimum")
        assertThrows(["factor"]) { _ = try ReduceLROnPlateau(factor: 1.5) }
    }

    func testEarlyStoppingWithPatienceAndRestoreBest() throws {
        let layer = Dense(units: 1, inputFeatures: 1)
        let stopper = EarlyStopping(mode: .max, patience: 2, restoreBest: true)
        var stoppedAt: Int?
        for (epoch, accuracy) in [0.5, 0.7, 0.69, 0.7, 0.6].enumerated() {
            try layer.kernel.value.assign(Tensor(shape: [1, 1], scalars: [Float(epoch)]))
            if stopper.observe(epoch: epoch, value: accuracy, model: layer) {
                stoppedAt = epoch
                break
            }
        }
        XCTAssertEqual(stoppedAt, 3, "two epochs without improvement after epoch 1")
        XCTAssertEqual(stopper.bestEpoch, 1)
        try stopper.restore(into: layer)
        XCTAssertEqual(layer.kernel.value.scalars, [1])
    }
}
