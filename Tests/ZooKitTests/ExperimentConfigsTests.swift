import Foundation
import XCTest
import ZooCore

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

    /// Each study's commented real-data `data:` sections (its "Real data:" lines) name a source,
    /// options and evaluation steps that exist: built against an empty folder, the only
    /// complaint is the user's missing files, never an unknown key, value or transform.
    func testEveryRealDataSectionUsesKnownSourcesOptionsAndTransforms() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        var sources: Set<String> = []
        for study in ["ct_cancer_pneumonia", "ct_tumour", "lidc", "lung_ultrasound", "parotid_ultrasound"] {
            let url = config("\(study)/\(study).yaml")
            var blocks: [[String]] = [], current: [String]?
            for line in try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n") {
                if line == "#   data:" {
                    if let block = current { blocks.append(block) }
                    current = ["data:"]
                } else if current != nil, line.hasPrefix("#     ") {
                    current!.append(String(line.dropFirst(2)))
                } else if let block = current {
                    blocks.append(block)
                    current = nil
                }
            }
            XCTAssertFalse(blocks.isEmpty, "\(study) documents no real-data section")
            for block in blocks {
                let snippet = try ConfigValue.parse(yaml: block.joined(separator: "\n"), source: "\(study) real data")
                guard case .map(let entries)? = snippet["data"] else { return XCTFail("\(study): \(block)") }
                // The snippet's keys replace the phantom's source and its options.
                let document = try ExperimentConfig.document(url)
                guard case .map(var data)? = document["data"] else { return XCTFail("\(study): no data section") }
                let phantom = ["source", "phantom"]
                data.removeAll { phantom.contains($0.key) || entries.map(\.key).contains($0.key) }
                let merged = document.setting(["data"], to: .map(data + entries))
                let parsed = try ExperimentConfig(merged, source: url.path)
                sources.insert(parsed.data.sourceName)
                for (index, step) in parsed.data.evalTransforms.enumerated() {
                    XCTAssertNoThrow(try TransformPipeline.Step(step, path: "data.transforms.eval[\(index)]"), "\(study): \(step)")
                }
                XCTAssertThrowsError(try DataSources.make(parsed.data, seed: 0, base: empty), study) { error in
                    let text = "\(error)"
                    XCTAssertTrue(text.contains(empty.path), "\(study) \(parsed.data.sourceName): \(text)")
                    for complaint in ["unknown", "is required", "is not one of", "must be"] {
                        XCTAssertFalse(text.contains(complaint), "\(study) \(parsed.data.sourceName): \(text)")
                    }
                }
            }
        }
        // The clinical sources are among those documented.
        XCTAssertTrue(sources.isSuperset(of: ["dicom", "lidc", "csv", "folder"]), "\(sources)")
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
