import Foundation
import XCTest
import ZooCore
import ZooData
import ZooNN
import ZooTensor

@testable import ZooKit

/// The studies beyond a plain sweep: the parotid pipeline, the CT tumour ensemble, sweeps in
/// worker processes, and the reports every study writes.
final class StudyTests: XCTestCase {
    var runs: URL!
    let quiet = Progress(interactive: false, write: { _ in })

    override func setUpWithError() throws {
        runs = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-study-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: runs) }

    func config(_ path: String) -> URL { ExperimentConfigsTests.root.appendingPathComponent("zoo").appendingPathComponent(path) }

    func exists(_ url: URL, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), url.path, file: file, line: line)
    }

    /// Both stages, shrunk: three segmentation models, then classifiers on crops from the best one.
    func testParotidPipelineSegmentsThenClassifiesRegions() throws {
        let shrink = [
            "data.phantom.count=20", "data.phantom.size=48", "train.epochs=1",
            "data.test_sets.external_1.phantom.count=6", "data.test_sets.external_1.phantom.size=48",
            "stages.segmentation.model.input_shape=[32, 32, 1]", "stages.segmentation.data.transforms.train=[]",
            "stages.segmentation.sweep.architectures=[unet2d, unetplusplus]",
            "stages.classification.model.input_shape=[32, 32, 3]",
            "stages.classification.sweep.architectures=[resnet18, densenet121]",
        ]
        let reports = try StudyRunner(configURL: config("parotid_ultrasound/parotid_ultrasound.yaml"), overrides: shrink, runsRoot: runs, progress: quiet).run()
        XCTAssertEqual(reports.map(\.experiment), ["parotid_ultrasound/segmentation", "parotid_ultrasound/classification"])
        XCTAssertEqual(reports[0].results.map(\.architecture), ["unet2d", "unetplusplus"])
        XCTAssertNotNil(reports[0].results[0].metrics.test.dice)
        XCTAssertTrue(reports[0].markdown.contains("scan sensitivity"), reports[0].markdown)
        XCTAssertEqual(reports[1].results.map(\.architecture), ["resnet18", "densenet121", "clinical"])
        let classifier = reports[1].results[0].run
        // The classifiers' images are the crops (roi.csv is read back with the run).
        // Boxes for the 20 images and the 6 of the external set, which is cropped the same way.
        let boxes = try RegionCropDataset.readBoxes(from: classifier.regions)
        XCTAssertLessThanOrEqual(boxes.count, 26)
        XCTAssertEqual(reports[1].results[0].external.first?.predictions.ids.count, 6)
        XCTAssertTrue(try RestoredRun(classifier.url).dataset is RegionCropDataset)
        // Every stage and every trial shares one split.
        XCTAssertEqual(try Data(contentsOf: classifier.split), try Data(contentsOf: reports[0].results[1].run.split))
        // A segmentation run's per-sample predictions come back with their Dice.
        let segmentation = try Evaluation.readPredictions(from: reports[0].results[0].run.predictions)
        XCTAssertEqual(segmentation.dice.count, reports[0].results[0].test.dice.count)
        for (read, computed) in zip(segmentation.dice, reports[0].results[0].test.dice) { XCTAssertEqual(read, computed, accuracy: 1e-6) }
        for folder in ["segmentation", "classification"] {
            exists(runs.appendingPathComponent("parotid_ultrasound/\(folder)/report.html"))
        }
        exists(runs.appendingPathComponent("parotid_ultrasound/classification/roc.svg"))
    }

    func testCTTumourEnsembleAveragesItsMembers() throws {
        let shrink = ["data.phantom.count=10", "data.phantom.size=16", "model.input_shape=[16, 16, 16, 1]", "train.epochs=1",
                      "data.test_sets.external.phantom.count=3", "data.test_sets.external.phantom.size=16",
                      "ensemble.members=[{name: a, set: {seed: 1}}, {name: b, set: {seed: 2}}]"]
        let report = try StudyRunner(configURL: config("ct_tumour/ct_tumour.yaml"), overrides: shrink, runsRoot: runs, progress: quiet).run()[0]
        XCTAssertEqual(report.results.map(\.architecture), ["a (unet3d)", "b (unet3d)", "ensemble of 2 unet3d"])
        let members = report.results.prefix(2).map(\.run)
        XCTAssertEqual(try Data(contentsOf: members[0].split), try Data(contentsOf: members[1].split))
        // The ensemble's probabilities are the members' mean softmax.
        let restored = try members.map { try RestoredRun($0.url) }
        let sample = try restored[0].prepared(try restored[0].indices("test")[0])
        let x = try Tensor(shape: [1] + sample.image.shape, scalars: sample.image.values)
        let mean = try Predictor(models: restored.map(\.model), task: .segmentation, loss: nil).probabilities(x).probabilities.scalars
        let first = try withoutGrad { try restored[0].model(x).softmax() }.scalars
        let second = try withoutGrad { try restored[1].model(x).softmax() }.scalars
        for i in stride(from: 0, to: mean.count, by: 97) { XCTAssertEqual(mean[i], (first[i] + second[i]) / 2, accuracy: 1e-6) }
        let ensemble = report.results[2]
        let written = try Evaluation.readPredictions(from: ensemble.run.predictions).segmentation
        XCTAssertEqual(written.map(\.detection), ensemble.test.segmentation.map(\.detection))
        XCTAssertEqual(written.map(\.predictedVoxels), ensemble.test.segmentation.map(\.predictedVoxels))
        exists(ensemble.run.reportHTML)
        XCTAssertThrowsError(try RestoredRun(ensemble.run.url)) { XCTAssertTrue("\($0)".contains("is an ensemble's evaluation"), "\($0)") }
    }

    /// Two trials as two `zoo sweep --only` processes, then the report of both read back.
    func testSweepWorkersRunTrialsAsProcesses() throws {
        let zoo = try zooExecutable(beside: Self.self)
        let study = try StudyRunner(
            configURL: config("quickstart.yaml"),
            overrides: ["data.phantom.count=20", "train.epochs=1", "sweep.architectures=[small_cnn, mobilenetv2]", "sweep.workers=2"],
            runsRoot: runs, progress: quiet)
        study.workerExecutable = zoo
        let report = try study.run()[0]
        XCTAssertEqual(report.results.map(\.architecture), ["small_cnn", "mobilenetv2"])
        for name in ["small_cnn", "mobilenetv2"] {
            let log = try String(contentsOf: runs.appendingPathComponent("quickstart/workers/\(name).log"), encoding: .utf8)
            XCTAssertTrue(log.contains("epoch 1/1"), log)
        }
        exists(runs.appendingPathComponent("quickstart/report.md"))
    }

    func testRunReportShowsTheTableAndFigures() throws {
        let config = try ExperimentConfig.load(
            self.config("lidc/lidc.yaml"),
            overrides: ["data.phantom.count=30", "data.phantom.size=32", "model.input_shape=[32, 32, 1]", "train.epochs=2", "train.batch_size=10",
                        "eval.gradcam=[last, conv2d_1]", "eval.bootstrap=200", "eval.metrics=[auc, specificity]", "eval.threshold=youden"])
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "tiny")
        let markdown = try String(contentsOf: result.run.report, encoding: .utf8)
        XCTAssertTrue(markdown.contains("| model | set | AUC (95% CI) | specificity |"), markdown)
        XCTAssertTrue(markdown.contains("| small_cnn | test |"), markdown)
        // Bootstrap intervals of the threshold metrics, at the threshold chosen on all cases.
        let interval = try XCTUnwrap(result.metrics.test.intervals["specificity"])
        XCTAssertLessThanOrEqual(interval.lower, result.metrics.test.specificity!)
        XCTAssertGreaterThanOrEqual(interval.upper, result.metrics.test.specificity!)
        XCTAssertTrue(try String(contentsOf: result.run.metrics, encoding: .utf8).contains("\"specificity_ci_lower\""))
        // Grad-CAM at the default layer (`last`: the last map of at least 7x7, the small CNN's
        // batch_normalization_1 at 32 pixels) and at conv2d_1: a figure (SVG) and an overlay (PNG)
        // each, the figure titled with the classes and the probability.
        let overlays = try FileManager.default.contentsOfDirectory(atPath: result.run.url.appendingPathComponent("gradcam").path)
        for suffix in ["-batch_normalization_1.png", "-batch_normalization_1.svg", "-conv2d_1.png", "-conv2d_1.svg"] {
            XCTAssertEqual(overlays.filter { $0.hasSuffix(suffix) }.count, 4, "\(suffix): \(overlays)")
        }
        let figure = try String(contentsOf: result.run.url.appendingPathComponent("gradcam/\(try XCTUnwrap(overlays.first { $0.hasSuffix("-conv2d_1.svg") }))"), encoding: .utf8)
        XCTAssertTrue(figure.contains("true: ") && figure.contains("predicted: ") && figure.contains("(p = ") && figure.contains("class=\"colorbar\""), figure)
        XCTAssertEqual(figure.components(separatedBy: "data:image/png;base64,").count - 1, 3, "image, overlay and map")
        XCTAssertTrue(markdown.contains("](gradcam/"), markdown)
        XCTAssertTrue(markdown.contains("![ROC curve on the test set with its 95% band") && markdown.contains("](roc.svg)"), markdown)
        // The ROC curve with its band and the threshold's operating point; precision-recall and
        // calibration beside it, with the Brier score in the text (#21).
        let roc = try String(contentsOf: result.run.url.appendingPathComponent("roc.svg"), encoding: .utf8)
        XCTAssertTrue(roc.contains("class=\"band\"") && roc.contains("class=\"operating-point\""), roc)
        XCTAssertTrue(markdown.contains("](pr.svg)") && markdown.contains("](calibration.svg)") && markdown.contains("Brier score"), markdown)
        let html = try String(contentsOf: result.run.reportHTML, encoding: .utf8)
        // The figures are embedded (the file alone keeps them); the Markdown links them.
        XCTAssertTrue(html.contains("<td>small_cnn</td>") && html.contains("<svg") && !html.contains("src=\"training.svg\""), html)
        for figure in ["training.svg", "roc.svg", "confusion.svg", "pr.svg", "calibration.svg"] { exists(result.run.url.appendingPathComponent(figure)) }
    }

    func testStudyConfigErrorsNameTheirKeys() throws {
        func error(_ overrides: [String]) -> String {
            do {
                _ = try ExperimentConfig.load(config("parotid_ultrasound/parotid_ultrasound.yaml"), overrides: overrides)
                return "no error"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(error(["stages.classification.roi.from=segmentatoin"]).contains("not an earlier stage"))
        XCTAssertTrue(error(["stages.classification.optimizer=adam"]).contains("stages.classification.optimizer"))
        XCTAssertTrue(error(["sweep.architectures=[resnet18]"]).contains("at most one of sweep, ensemble and stages"))
        XCTAssertTrue(error(["stages.segmentation.sweep.architectures=[unet2d, unet2d]"]).contains("appears twice"))
        XCTAssertTrue(error(["eval.metrics=[auc, sensitivty]"]).contains("eval.metrics[1]: unknown metric 'sensitivty'; did you mean sensitivity"))
        XCTAssertTrue(error(["eval.bootstrap=10"]).contains("eval.bootstrap"))
        XCTAssertTrue(error(["stages.classification.sweep.workers=2"]).contains("stages.classification.sweep.workers"))
    }
}
