import Foundation
import XCTest

@testable import ZooKit

/// Every config under zoo/ parses, and runs end to end on phantom data once shrunk with
/// `--set` overrides (few samples, one epoch, small inputs).
final class ExperimentConfigsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    var runs: URL!

    override func setUpWithError() throws {
        runs = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-runs-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: runs) }

    func config(_ path: String) -> URL { Self.root.appendingPathComponent("zoo").appendingPathComponent(path) }

    func testEveryConfigParses() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root.appendingPathComponent("zoo").path)
            .filter { $0.hasSuffix(".yaml") }
        XCTAssertGreaterThanOrEqual(files.count, 4, "\(files)")
        for file in files {
            XCTAssertNoThrow(try ExperimentConfig.load(config(file)), file)
        }
    }

    func testLIDCTrainsAndWritesItsRun() throws {
        let experiment = try ExperimentConfig.load(
            config("lidc/lidc.yaml"),
            overrides: ["data.phantom.count=40", "data.phantom.size=32", "model.input_shape=[32, 32, 1]", "train.epochs=2", "train.batch_size=10"])
        let result = try ExperimentRunner(config: experiment, runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run(name: "tiny")
        XCTAssertEqual(result.history.count, 2)
        for file in [result.run.config, result.run.split, result.run.lastCheckpoint, result.run.log, result.run.predictions, result.run.metrics] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: file.path), file.lastPathComponent)
        }
        let log = try String(contentsOf: result.run.log, encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 3, log)
        XCTAssertEqual(result.test.probabilities.count, result.test.ids.count)
        XCTAssertNotNil(result.metrics.test.accuracy)
    }

    func testSweepsRunShrunkAndFinishedTrialsAreReadBack() throws {
        let shrink = ["data.phantom.count=16", "data.phantom.size=32", "model.input_shape=[32, 32, 3]", "train.batch_size=8",
                      "sweep.architectures=[resnet18, resnet34]", "train.schedule.warmup=1", "train.epochs=2"]
        let url = config("lung_ultrasound/lung_ultrasound.yaml")
        let report = try StudyRunner(configURL: url, overrides: shrink, runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()[0]
        XCTAssertEqual(report.results.map(\.architecture), ["resnet18", "resnet34"])
        XCTAssertTrue(report.markdown.contains("| resnet34 | test |"), report.markdown)
        var messages = [String]()
        let again = try StudyRunner(configURL: url, overrides: shrink, runsRoot: runs, progress: Progress(interactive: false, write: { messages.append($0) })).run()[0]
        XCTAssertTrue(messages.contains { $0.contains("finished before") }, "\(messages)")
        func rows(_ text: String) -> [Substring] { text.split(separator: "\n").filter { $0.contains("| test |") || $0.contains("| train |") } }
        XCTAssertEqual(rows(again.markdown), rows(report.markdown), "read back gives the same table")
    }

    /// The nine CT backbones with their head, freezing and per-model settings, and the
    /// quickstart's three, each for one epoch on a few small phantom slices.
    func testEverySweepConfigRunsShrunk() throws {
        let quiet = Progress(interactive: false, write: { _ in })
        let ct = try StudyRunner(
            configURL: config("ct_cancer_pneumonia/ct_cancer_pneumonia.yaml"),
            overrides: ["data.phantom.count=12", "data.phantom.size=80", "model.input_shape=[75, 75, 3]", "train.epochs=1", "train.batch_size=4"],
            runsRoot: runs, progress: quiet).run()[0]
        XCTAssertEqual(ct.results.count, 9)
        let quickstart = try StudyRunner(
            configURL: config("quickstart.yaml"), overrides: ["data.phantom.count=20", "train.epochs=1"], runsRoot: runs, progress: quiet).run()[0]
        XCTAssertEqual(quickstart.results.map(\.architecture), ["small_cnn", "resnet18", "mobilenetv2"])
    }

    func testMismatchesStopBeforeTraining() throws {
        let volume = try ExperimentConfig.load(config("lidc/lidc.yaml"), overrides: ["model.name=unet3d", "data.phantom.count=4"])
        XCTAssertThrowsError(try ExperimentRunner(config: volume, runsRoot: runs).run()) { error in
            XCTAssertTrue("\(error)".contains("takes 3D input"), "\(error)")
        }
        let unknown = try ExperimentConfig.load(config("lidc/lidc.yaml"), overrides: ["model.name=resnet500"])
        XCTAssertThrowsError(try ExperimentRunner(config: unknown, runsRoot: runs).run()) { error in
            XCTAssertTrue("\(error)".contains("did you mean"), "\(error)")
        }
    }
}
