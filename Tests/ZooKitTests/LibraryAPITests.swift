import Foundation
import XCTest
import ZooCore
import ZooKit

/// ZooKit from Swift: a config written as literals, the runner's steps one at a time,
/// `Experiment`, `Sweep` and the example program.
final class LibraryAPITests: FolderTestCase {
    let quiet = Progress(interactive: false, write: { _ in })

    /// A small protocol on phantom nodules, as a Swift literal.
    func document(experiment: String = "api") -> ConfigValue {
        [
            "experiment": ConfigValue(experiment),
            "seed": 5,
            "data": [
                "source": "phantom",
                "phantom": ["kind": "lidc_nodules", "count": 48, "size": 48],
                "split": ["method": "stratified", "train": 0.5, "validation": 0.25, "test": 0.25],
            ],
            "model": ["name": "small_cnn", "input_shape": [32, 32, 1]],
            "train": ["optimizer": ["name": "adam", "lr": 1e-3], "batch_size": 8, "epochs": 1],
            "eval": ["threshold": "youden", "bootstrap": 0],
        ]
    }

    func testAConfigWrittenInSwiftReadsAsItsYAML() throws {
        let yaml = """
            experiment: api
            seed: 5
            data:
              source: phantom
              phantom: {kind: lidc_nodules, count: 48, size: 48}
              split: {method: stratified, train: 0.5, validation: 0.25, test: 0.25}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {optimizer: {name: adam, lr: 1e-3}, batch_size: 8, epochs: 1}
            eval: {threshold: youden, bootstrap: 0}
            """
        let fromYAML = try ExperimentConfig(try ConfigValue.parse(yaml: yaml, source: "api.yaml"), source: "api.yaml")
        let fromSwift = try ExperimentConfig(document())
        XCTAssertEqual(try ConfigValue.differences(fromYAML.resolved, fromSwift.resolved), [])
        XCTAssertEqual(fromSwift.train.epochs, 1)
        XCTAssertEqual(fromSwift.model.inputShape, [32, 32, 1])
        // The same checks and the same errors, naming the key path and the nearest name.
        XCTAssertThrowsError(try ExperimentConfig(document().setting(["train", "epochs"], to: ConfigValue(-1)))) { error in
            XCTAssertTrue("\(error)".contains("train.epochs"), "\(error)")
        }
        XCTAssertThrowsError(try ExperimentConfig(document().setting(["train", "epoch"], to: 3))) { error in
            XCTAssertTrue("\(error)".contains("epochs"), "\(error)")
        }
        // A data source's and a transform's keys are read by the same reader when the config is
        // read: the file, the key path and the nearest name.
        let typos: [(ConfigValue, String)] = [
            (document().setting(["data", "phantom", "cout"], to: 5), "study.yaml: data.phantom.cout: unknown key; did you mean count?"),
            (document().setting(["data", "transforms", "train"], to: [["name": "random_flip", "probabilty": 0.5]]),
             "study.yaml: data.transforms.train[0].probabilty: unknown key; did you mean probability?"),
            (document().setting(["data", "transforms", "eval"], to: ["resise"]), "study.yaml: data.transforms.eval[0]: unknown transform 'resise'; did you mean resize?"),
            (document().setting(["data", "phantom", "kind"], to: "lidc_nodule"), "study.yaml: data.phantom.kind: 'lidc_nodule' is not one of"),
            (document().setting(["train", "schedule"], to: ["name": "cosine", "unit": "epochz"]),
             "study.yaml: train.schedule.unit: 'epochz' is not one of step, epoch; did you mean epoch?"),
            (document().setting(["train", "early_stopping"], to: ["monitor": "val_acc"]), "study.yaml: train.early_stopping.monitor: 'val_acc' is not one of"),
            (document().setting(["train", "loss"], to: ["name": "focal", "gama": 2]), "study.yaml: train.loss.gama: unknown key; did you mean gamma"),
            (document().setting(["model", "head"], to: ["global_average_pooling", "dense 2 relux"]), "study.yaml: model.head: head layer 2 'dense 2 relux': unknown activation 'relux'; did you mean relu"),
        ]
        for (typo, message) in typos {
            XCTAssertThrowsError(try ExperimentConfig(typo, source: "study.yaml")) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }

    /// Regression: a new run given the name of an existing one trained into its folder, where
    /// the old run's metrics.json (the mark of a finished run), skipped.csv and roi.csv stayed.
    func testANewRunIsNeverWrittenIntoAnOldRunsFolder() throws {
        let config = try ExperimentConfig(document())
        let first = try ExperimentRunner(config: config, runsRoot: directory, progress: quiet).run(name: "same")
        let marker = first.run.url.appendingPathComponent("skipped.csv")
        try "id,reason\nold,left from the first run\n".write(to: marker, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ExperimentRunner(config: config, runsRoot: directory, progress: quiet).run(name: "same")) { error in
            XCTAssertTrue("\(error)".contains("already holds a run"), "\(error)")
            XCTAssertTrue("\(error)".contains("api/same"), "\(error)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: marker.path), "the old run is left as it was")
        // Runs named by the clock, started within one second, get folders of their own.
        let a = try ExperimentRunner(config: config, runsRoot: directory, progress: quiet).run()
        let b = try ExperimentRunner(config: config, runsRoot: directory, progress: quiet).run()
        XCTAssertNotEqual(a.run.url, b.run.url)
        XCTAssertFalse(FileManager.default.fileExists(atPath: b.run.url.appendingPathComponent("skipped.csv").path))
    }

    /// The runner's steps, called one by one, make a finished run whose metrics are those
    /// the report carries.
    func testTheRunnersStepsCanBeCalledOneByOne() throws {
        let runner = ExperimentRunner(config: try ExperimentConfig(document()), runsRoot: directory, progress: quiet)
        let data = try runner.prepareData()
        XCTAssertEqual(data.inputShape, [32, 32, 1])
        XCTAssertEqual(data.dataset.count, 48)
        let model = try runner.buildModel(for: data)
        let (run, scratch) = try runner.openRun(name: "steps", resume: nil, data: data)
        XCTAssertNil(scratch)
        let split = try runner.split(data, in: run)
        XCTAssertEqual(split.train.count + split.validation.count + split.test.count, 48)
        XCTAssertTrue(Set(split.train).isDisjoint(with: split.test))
        let training = try runner.train(model, data: data, split: split, in: run)
        XCTAssertEqual(training.history.count, 1)
        let evaluation = try runner.evaluate(model, data: data, split: split)
        XCTAssertEqual(evaluation.images.test.ids.count, split.test.count)
        let result = try runner.report(evaluation, training: training, model: model, data: data, split: split, in: run)
        XCTAssertTrue(run.isFinished)
        XCTAssertEqual(result.metrics.test.auc?.auc, evaluation.metrics.test.auc?.auc)
        // What a later command reads back is the same evaluation.
        let restored = try RestoredRun(run.url).evaluate()
        XCTAssertEqual(try XCTUnwrap(restored.test.auc?.auc), try XCTUnwrap(result.metrics.test.auc?.auc), accuracy: 1e-9)
    }

    func testAnExperimentEvaluatesANewTestSetAtTheThresholdChosenOnValidation() throws {
        let experiment = Experiment(config: try ExperimentConfig(document()), runsRoot: directory, progress: quiet)
        XCTAssertThrowsError(try experiment.evaluate(on: .test)) { XCTAssertTrue("\($0)".contains("train()"), "\($0)") }
        let result = try experiment.train()
        XCTAssertEqual(try experiment.evaluate(on: .test).auc?.auc, result.metrics.test.auc?.auc)
        let threshold = try XCTUnwrap(result.metrics.threshold?.value)
        let other = try TestSetConfig(name: "centre_b", ["source": "phantom", "phantom": ["kind": "lidc_nodules", "count": 24, "size": 48, "seed": 77]])
        let side = try experiment.evaluate(on: .testSet(other))
        XCTAssertEqual(side.threshold, threshold, "a new set is judged at the validation threshold")
        XCTAssertNotNil(side.auc)
        // The training data's own patients are no external test.
        let same = try TestSetConfig(name: "same", ["source": "phantom", "phantom": ["kind": "lidc_nodules", "count": 48, "size": 48, "seed": 5]])
        XCTAssertThrowsError(try experiment.evaluate(on: .testSet(same))) { XCTAssertTrue("\($0)".contains("shares patients"), "\($0)") }
        XCTAssertThrowsError(try experiment.evaluate(on: .external("centre_c"))) { XCTAssertTrue("\($0)".contains("centre_c"), "\($0)") }
    }

    func testASweepBuiltInSwiftReportsAndReusesItsTrials() throws {
        let config = try ExperimentConfig(document(experiment: "api-sweep"))
        let sweep = Sweep(config: config, architectures: ["small_cnn", ["name": "mobilenetv2", "set": ["data.preprocessing": "tf"]]])
        let report = try sweep.run(runsRoot: directory, progress: quiet)
        XCTAssertEqual(report.results.map(\.architecture), ["small_cnn", "mobilenetv2"])
        XCTAssertEqual(report.pValues.count, 2)
        let folder = directory.appendingPathComponent("api-sweep")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("report.md").path))
        // An attempt that left no checkpoint is moved aside, never trained into.
        let trial = RunDirectory(folder.appendingPathComponent("small_cnn"))
        try FileManager.default.removeItem(at: trial.metrics)
        try FileManager.default.removeItem(at: trial.lastCheckpoint)
        var messages = [String]()
        let again = try sweep.run(runsRoot: directory, progress: Progress(interactive: false, write: { messages.append($0) }))
        XCTAssertEqual(again.results.count, 2)
        XCTAssertTrue(messages.contains { $0.contains("small_cnn: the earlier attempt left no checkpoint; the old run is kept as small_cnn.stale-") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("mobilenetv2: finished before") }, "\(messages)")
        // Worker processes and SLURM tasks read their study from a file, which a sweep built in
        // Swift has not: workers run in this process, one after another; SLURM is refused.
        var parallel = sweep
        parallel.config = try ExperimentConfig(document(experiment: "api-parallel").setting(["sweep", "workers"], to: 2).setting(["sweep", "architectures"], to: ["small_cnn"]))
        messages = []
        let sequential = try parallel.run(runsRoot: directory, progress: Progress(interactive: false, write: { messages.append($0) }))
        XCTAssertEqual(sequential.results.count, 2)
        XCTAssertTrue(messages.contains { $0.contains("no config file for worker processes") }, "\(messages)")
        var cluster = sweep
        cluster.config = try ExperimentConfig(document(experiment: "api-slurm").setting(["sweep", "backend"], to: "slurm").setting(["sweep", "architectures"], to: ["small_cnn"]))
        XCTAssertThrowsError(try cluster.run(runsRoot: directory, progress: quiet)) { error in
            XCTAssertTrue("\(error)".contains("sweep.backend: slurm starts zoo processes that read the study from a config file"), "\(error)")
        }
    }

    /// examples/SweepFromSwift, built with every product, runs a study from Swift alone.
    func testTheSwiftOnlyExampleRunsASweep() throws {
        let zoo = try zooExecutable(beside: Self.self)
        let example = zoo.deletingLastPathComponent().appendingPathComponent("sweep-from-swift")
        let process = Process()
        process.executableURL = example
        process.arguments = [directory.appendingPathComponent("runs").path, "1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("centre_b AUC"), output)
        XCTAssertTrue(output.contains("| mobilenetv2 | test |"), output)
        let report = directory.appendingPathComponent("runs/sweep-from-swift/report.md")
        XCTAssertTrue(FileManager.default.fileExists(atPath: report.path), output)
    }
}
