import Foundation
import XCTest
import ModelZoo
import ZooCore
import ZooData
import ZooMetrics
import ZooNN
import ZooTensor

@testable import ZooKit

/// Issue 13: the protocol around the models computes every reported number the way the report
/// says, or stops and says why. Each test failed on the commit before its fix.
final class TrustworthyNumbersTests: FolderTestCase {
    let quiet = Progress(interactive: false, write: { _ in })
    var runs: URL { directory.appendingPathComponent("runs") }

    func lidc(_ overrides: [String] = []) throws -> ExperimentConfig {
        try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"),
            overrides: ["data.phantom.count=40", "data.phantom.size=32", "model.input_shape=[32, 32, 1]", "train.epochs=1",
                        "train.batch_size=10"] + overrides)
    }

    // MARK: 1. One deterministic preprocessing for every split

    func testTrainingRunsTheEvaluationPreprocessing() throws {
        let config = try lidc(["data.transforms.eval=[{name: scale, factor: 0}]"])
        let variant = try ModelZoo.variant("small_cnn")
        let pipeline = try TransformPipeline(config.data, variant: variant, inputSize: [32, 32], sourceChannels: 1, channels: 1)
        let sample = try NodulePatchPhantom(count: 4, seed: 1, size: 32).sample(at: 0)
        var random = RandomGenerator(seed: 3)
        XCTAssertTrue(try pipeline.train.apply(sample, random: &random).image.values.allSatisfy { $0 == 0 }, "training skipped the eval steps")
        XCTAssertTrue(try pipeline.eval.apply(sample, random: &random).image.values.allSatisfy { $0 == 0 })
        XCTAssertEqual(pipeline.trainSteps.prefix(3), ["random_rotation(degrees: 20)", "random_flip(horizontal: true, vertical: true)", "random_zoom(range: 0.1)"])
        XCTAssertEqual(pipeline.trainSteps.dropFirst(3), pipeline.evalSteps[...])
        XCTAssertTrue(pipeline.text.contains("validation, test and predict:\n  scale(factor: 0)"), pipeline.text)
    }

    /// `data.interpolation: pillow_bilinear` resizes as Keras's load_img does (Pillow), and
    /// says so in the pipeline; the phantom's float pixels are not 8-bit, which is an error
    /// naming the sample rather than a resize that only looks like Pillow's.
    func testPillowInterpolationResizesAsKerasLoadImg() throws {
        let config = try lidc(["data.interpolation=pillow_bilinear"])
        let pipeline = try TransformPipeline(config.data, variant: try ModelZoo.variant("small_cnn"), inputSize: [24, 24], sourceChannels: 1, channels: 1)
        XCTAssertTrue(pipeline.evalSteps.contains { $0.hasPrefix("pillow_resize(") && $0.contains("interpolation: bilinear") }, "\(pipeline.evalSteps)")
        let eightBit = Sample(image: ImageArray(shape: [32, 32, 1], values: (0..<1024).map { Float($0 % 256) }), info: SampleInfo(id: "png"))
        var random = RandomGenerator(seed: 3)
        XCTAssertEqual(try pipeline.eval.apply(eightBit, random: &random).image.shape, [24, 24, 1])
        let phantom = try NodulePatchPhantom(count: 4, seed: 1, size: 32).sample(at: 0)
        XCTAssertThrowsError(try pipeline.eval.apply(phantom, random: &random)) { error in
            XCTAssertTrue("\(error)".contains("8-bit"), "\(error)")
        }
    }

    func testTheEvalEntryPlacesPreprocessingAmongAugmentations() throws {
        let config = try lidc(["data.transforms.train=[random_flip, eval, {name: random_rotation, degrees: 5}]"])
        let pipeline = try TransformPipeline(config.data, variant: try ModelZoo.variant("small_cnn"), inputSize: [32, 32], sourceChannels: 1, channels: 1)
        XCTAssertEqual(pipeline.trainSteps.first, "random_flip")
        XCTAssertEqual(pipeline.trainSteps.last, "random_rotation(degrees: 5)")
        XCTAssertEqual(Array(pipeline.trainSteps.dropFirst().dropLast()), pipeline.evalSteps)
    }

    func testDeterministicStepsInTheTrainingListAreErrors() throws {
        // Listed under train (and eval), a window would run twice in training.
        let config = try lidc(["data.transforms.train=[{name: hu_window, center: 40, width: 400}]"])
        XCTAssertThrowsError(try TransformPipeline(config.data, variant: try ModelZoo.variant("small_cnn"), inputSize: [32, 32], sourceChannels: 1, channels: 1)) { error in
            XCTAssertTrue("\(error)".contains("data.transforms.train[0]: hu_window is deterministic preprocessing"), "\(error)")
        }
        let random = try lidc(["data.transforms.eval=[random_flip]"])
        XCTAssertThrowsError(try TransformPipeline(random.data, variant: try ModelZoo.variant("small_cnn"), inputSize: [32, 32], sourceChannels: 1, channels: 1)) { error in
            XCTAssertTrue("\(error)".contains("data.transforms.eval[0]: random_flip is a random augmentation"), "\(error)")
        }
    }

    // MARK: 2. Thresholds chosen on validation, applied to test

    func predictions(_ scores: [Double], _ labels: [Int]) -> Predictions {
        var p = Predictions()
        p.ids = scores.indices.map { "s\($0)" }
        p.labels = labels
        p.probabilities = scores.map { [1 - $0, $0] }
        return p
    }

    func testTheThresholdIsChosenOnValidationAndAppliedToEverySet() throws {
        var eval = EvalConfig()
        eval.threshold = .youden
        let train = predictions([0.1, 0.2, 0.3, 0.9], [0, 0, 1, 1])
        let validation = predictions([0.1, 0.4, 0.6, 0.7], [0, 0, 1, 1])  // Youden: 0.6
        let test = predictions([0.2, 0.5, 0.55, 0.8], [0, 0, 1, 1])  // on itself Youden would take 0.55
        let metrics = try EvaluationMetrics(train: train, validation: validation, test: test, task: .classification, eval: eval)
        XCTAssertEqual(metrics.threshold, ChosenThreshold(value: 0.6, rule: "youden", source: "validation", samples: 4))
        XCTAssertEqual(metrics.test.threshold, 0.6)
        XCTAssertEqual(metrics.test.sensitivity, 0.5, "0.55 is below the validation threshold")
        XCTAssertEqual(metrics.train.threshold, 0.6)
        // Without a validation split, on training, and it says so.
        let noValidation = try EvaluationMetrics(train: train, test: test, task: .classification, eval: eval)
        XCTAssertEqual(noValidation.threshold?.source, "training")
        XCTAssertEqual(noValidation.test.threshold, 0.3)
        XCTAssertTrue("\(noValidation.threshold!)".contains("youden on the training split"))
        // A target sensitivity outside 0...1 is no rule (it was taken as given before).
        XCTAssertThrowsError(try ThresholdRule(configText: "sensitivity:1.5"))
        XCTAssertEqual(try ThresholdRule(configText: "sensitivity:0.9").configText, "sensitivity:0.9")
        // A fixed number is the config's.
        eval.threshold = .fixed(0.3)
        XCTAssertEqual(try EvaluationMetrics(train: train, validation: validation, test: test, task: .classification, eval: eval).threshold?.source, "config")
    }

    func testARunRecordsItsThresholdAndPipelinesAndPredictUsesThem() throws {
        let config = try lidc(["data.split={method: stratified, train: 0.6, validation: 0.2, test: 0.2}", "eval.threshold=youden"])
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "tiny")
        let threshold = try XCTUnwrap(result.metrics.threshold)
        XCTAssertEqual(threshold.source, "validation")
        XCTAssertEqual(threshold.samples, 8)
        XCTAssertEqual(result.metrics.test.threshold, threshold.value)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: result.run.metrics)) as? [String: Any])
        XCTAssertEqual((metrics["threshold"] as? [String: Any])?["source"] as? String, "validation")
        XCTAssertNotNil(metrics["validation"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: result.run.validationPredictions.path))
        XCTAssertTrue(try String(contentsOf: result.run.pipeline, encoding: .utf8).contains("training:\n  random_rotation"))
        let report = try String(contentsOf: result.run.report, encoding: .utf8)
        XCTAssertTrue(report.contains("(youden, validation)"), report)
        // Issue 14.9: the per-class table and the AUC's p against 0.5.
        XCTAssertTrue(report.contains("| weighted avg |") && report.contains("| benign |"), report)
        XCTAssertNotNil((metrics["test"] as? [String: Any])?["auc_p"] as? Double)
        // The run read back reports the same numbers (full-precision predictions).
        let again = try ExperimentRunner.finished(result.run, eval: config.eval, seed: config.seed)
        XCTAssertEqual(again.metrics.threshold, threshold)
        XCTAssertEqual(again.metrics.test.auc?.auc, result.metrics.test.auc?.auc)
        // zoo predict calls a case positive at that threshold.
        let restored = try RestoredRun(result.run.url)
        XCTAssertEqual(try restored.threshold, threshold)
        let header = try restored.predictionHeader
        XCTAssertTrue(header.contains("threshold \(threshold)"), header)
        let image = directory.appendingPathComponent("nodule.png")
        try PNG.write(try NodulePatchPhantom(count: 1, seed: 5, size: 32).sample(at: 0).image, to: image)
        let row = try restored.predictFiles([image]).split(separator: "\n")[1].split(separator: ",")
        let positive = try XCTUnwrap(Double(row[3]))
        XCTAssertEqual(String(row[1]), positive >= threshold.value ? restored.dataset.classNames[1] : restored.dataset.classNames[0])
    }

    /// predictions.csv keeps every digit: a run read back reports what it reported (six
    /// decimals used to move AUCs and thresholds of close scores).
    func testPredictionsAreWrittenAtFullPrecision() throws {
        let p = predictions([0.123456789012, 0.1234567, 0.98765432109876], [0, 1, 1])
        let url = directory.appendingPathComponent("p.csv")
        try Evaluation.writePredictions(p, classNames: ["a", "b"], to: url)
        XCTAssertEqual(try Evaluation.readPredictions(from: url).probabilities, p.probabilities)
    }

    // MARK: 3. Stale trials are not reused

    /// A one-trial sweep of the small CNN on 24 phantom nodules.
    func smallSweep(_ experiment: String, epochs: Int) throws -> URL {
        try write("\(experiment).yaml", """
            experiment: \(experiment)
            data: {source: phantom, phantom: {kind: lidc_nodules, count: 24, size: 24}, split: {method: stratified, train: 0.5, test: 0.5}}
            model: {name: small_cnn, input_shape: [24, 24, 1]}
            train: {epochs: \(epochs), batch_size: 12}
            sweep: {architectures: [small_cnn]}
            """)
    }

    func testASweepRetrainsTrialsWhoseConfigChangedAndKeepsTheOldRun() throws {
        let url = try smallSweep("stale", epochs: 1)
        var messages = [String]()
        let progress = Progress(interactive: false, write: { messages.append($0) })
        let first = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: progress).run()[0]
        XCTAssertEqual(first.results[0].history.count, 1)
        let second = try StudyRunner(configURL: url, overrides: ["train.epochs=2"], runsRoot: runs, progress: progress).run()[0]
        XCTAssertEqual(second.results[0].history.count, 2, "the one-epoch trial was reused for two epochs")
        XCTAssertTrue(messages.contains { $0.contains("train.epochs: 1 -> 2") && $0.contains("training again") }, "\(messages)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: runs.appendingPathComponent("stale").path).filter { $0.hasPrefix("small_cnn.stale-") }
        XCTAssertEqual(kept.count, 1)
        // The same config and data: read back, not retrained.
        messages = []
        _ = try StudyRunner(configURL: url, overrides: ["train.epochs=2"], runsRoot: runs, progress: progress).run()
        XCTAssertTrue(messages.contains { $0.contains("finished before with this config and data") }, "\(messages)")
        // Issue 21.5: the sweep says which trial of how many.
        XCTAssertTrue(messages.contains { $0.hasPrefix("=== trial 1 of 1: small_cnn;") && $0.contains("elapsed") }, "\(messages)")
        XCTAssertEqual(StudyRunner.duration(3725), "1 h 02 min")
        XCTAssertEqual(StudyRunner.duration(187), "3 min 07 s")
        // Other data (the phantom's size): retrained.
        messages = []
        _ = try StudyRunner(configURL: url, overrides: ["train.epochs=2", "data.phantom.count=26"], runsRoot: runs, progress: progress).run()
        XCTAssertTrue(messages.contains { $0.contains("data.phantom.count: 24 -> 26") }, "\(messages)")
    }

    func testASweepResumesAnInterruptedTrialFromItsLastCheckpoint() throws {
        let url = try smallSweep("resumed", epochs: 2)
        let first = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: quiet).run()[0].results[0]
        // As if the process died after its last checkpoint, before the metrics.
        try FileManager.default.removeItem(at: first.run.metrics)
        var messages = [String]()
        let again = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { messages.append($0) })).run()[0].results[0]
        XCTAssertTrue(messages.contains { $0.contains("resuming the interrupted run") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("resuming small_cnn after epoch 2") }, "\(messages)")
        XCTAssertEqual(again.test.probabilities, first.test.probabilities)
    }

    func testTrainResumeTakesTheRunsOwnConfig() throws {
        let config = try lidc(["train.epochs=2", "train.optimizer.lr=3e-4"])
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "interrupted")
        let restored = try result.run.experimentConfig
        XCTAssertEqual(restored.train.epochs, 2)
        XCTAssertEqual(restored.train.optimizer.learningRate, 3e-4)
        XCTAssertNil(restored.model.weights)
        XCTAssertEqual(try ConfigValue.differences(restored.resolved, config.resolved), [])
        var messages = [String]()
        let resumed = try ExperimentRunner(config: restored, runsRoot: runs, progress: Progress(interactive: false, write: { messages.append($0) }))
            .run(resume: result.run)
        XCTAssertTrue(messages.contains { $0.contains("resuming interrupted after epoch 2") }, "\(messages)")
        XCTAssertEqual(resumed.test.probabilities, result.test.probabilities)
    }

    // MARK: 4. Bit depth

    func testAFileOfAnotherBitDepthIsRefusedNamingIt() throws {
        let classes = directory.appendingPathComponent("images")
        let image = ImageArray(shape: [8, 8, 1], values: (0..<64).map { Float($0 * 3) })
        for name in ["benign", "malignant"] {
            try PNG.write(image, to: classes.appendingPathComponent("\(name)/a.png"))
        }
        // The same pixels as 16 bits (x257), as another export would write them.
        let wide = classes.appendingPathComponent("malignant/b.png")
        try PNG.write(ImageArray(shape: [8, 8, 1], values: image.values.map { $0 * 257 }), to: wide, bitDepth: 16)
        let dataset = try FolderDataset(root: classes)
        XCTAssertThrowsError(try dataset.sample(at: 2)) { error in
            XCTAssertTrue("\(error)".contains("b.png") && "\(error)".contains("is a 16-bit image, but the data's bit depth is 8"), "\(error)")
        }
        let unreadable = DataCheck.unreadable(dataset)
        XCTAssertEqual(unreadable.map(\.id), ["malignant/b.png"])
        // 16-bit data, declared: the 8-bit files are the odd ones.
        XCTAssertEqual(DataCheck.unreadable(try FolderDataset(root: classes, bitDepth: 16)).map(\.id), ["benign/a.png", "malignant/a.png"])
        // In a run: refused before training, naming the file.
        let config = try ExperimentConfig(try ConfigValue.parse(yaml: """
            data: {source: folder, folder: {path: \(classes.path)}, split: {method: random, train: 0.5, test: 0.5}}
            model: {name: small_cnn, input_shape: [24, 24, 1]}
            train: {epochs: 1, batch_size: 2}
            """, source: "bits.yaml"), source: "bits.yaml")
        XCTAssertThrowsError(try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "bits")) { error in
            XCTAssertTrue("\(error)".contains("b.png"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("experiment/bits/log.csv").path))
    }

    // MARK: 7. Checks before training

    func testEveryTrialIsCheckedBeforeTheFirstTrains() throws {
        let url = try write("typo.yaml", """
            experiment: typo
            data: {source: phantom, phantom: {kind: lidc_nodules, count: 24, size: 24}}
            model: {input_shape: [24, 24, 1]}
            train: {epochs: 1, batch_size: 12}
            sweep: {architectures: [small_cnn, resnet_18]}
            """)
        XCTAssertThrowsError(try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: quiet).run()) { error in
            XCTAssertTrue("\(error)".contains("sweep.architectures[1] 'resnet_18'") && "\(error)".contains("resnet18"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("typo/small_cnn").path), "a trial trained before the check")
    }

    func testATruncatedImageStopsTheRunBeforeTrainingOrIsSkippedAndListed() throws {
        let classes = directory.appendingPathComponent("jpegs")
        let phantom = NodulePatchPhantom(count: 8, seed: 2, size: 24)
        for index in 0..<8 {
            let sample = try phantom.sample(at: index)
            let data = try JPEG.encode(sample.image)
            try FileManager.default.createDirectory(at: classes.appendingPathComponent("c\(index % 2)"), withIntermediateDirectories: true)
            try data.write(to: classes.appendingPathComponent("c\(index % 2)/\(index).jpg"))
        }
        let broken = classes.appendingPathComponent("c1/7.jpg")
        let whole = try Data(contentsOf: broken)
        try whole.prefix(whole.count / 2).write(to: broken)
        func config(onError: String) throws -> ExperimentConfig {
            let yaml = """
                data: {source: folder, folder: {path: \(classes.path)}, split: {method: random, train: 0.5, test: 0.5}, on_error: \(onError)}
                model: {name: small_cnn, input_shape: [24, 24, 1]}
                train: {epochs: 1, batch_size: 2}
                """
            return try ExperimentConfig(try ConfigValue.parse(yaml: yaml, source: "t.yaml"), source: "t.yaml")
        }
        let failing = try config(onError: "fail")
        XCTAssertThrowsError(try ExperimentRunner(config: failing, runsRoot: runs, progress: quiet).run(name: "fail")) { error in
            XCTAssertTrue("\(error)".contains("7.jpg"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("experiment/fail/log.csv").path), "trained before failing")
        let result = try ExperimentRunner(config: try config(onError: "skip"), runsRoot: runs, progress: quiet).run(name: "skip")
        XCTAssertEqual(result.train.ids.count + result.test.ids.count, 7)
        let listed = try String(contentsOf: result.run.skipped, encoding: .utf8)
        XCTAssertTrue(listed.contains("c1/7.jpg"), listed)
        XCTAssertTrue(try String(contentsOf: result.run.report, encoding: .utf8).contains("1 unreadable files were left out"))
        XCTAssertEqual(try RestoredRun(result.run.url).dataset.count, 7)
    }

    // MARK: 5. Paths

    func testEveryPathAUserGivesFailsWithWordsNamingIt() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { _ = try ExperimentConfig.load(self.directory) }.contains("is a folder; the config must be a file"))
        XCTAssertTrue(message { _ = try ExperimentConfig.load(self.directory.appendingPathComponent("none.yaml")) }.contains("no such config file"))
        let empty = try write("empty.csv", "")
        XCTAssertTrue(message { _ = try Evaluation.readPredictions(from: empty) }.contains("empty.csv: the predictions CSV is empty"))
        XCTAssertTrue(message { _ = try PredictionComparison(files: [self.directory, empty]) }.contains("is a folder"))
        XCTAssertTrue(message { _ = try RestoredRun(self.directory) }.contains("is not a run directory"))
    }
}
