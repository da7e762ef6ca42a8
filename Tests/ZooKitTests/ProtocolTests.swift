import Foundation
import XCTest
import ModelZoo
import ZooCore
import ZooData
import ZooHDF5
import ZooTensor
import ZooMetrics
import ZooNN

@testable import ZooKit

/// Issue 14: each paper's protocol as its config says, and nothing silently different.
final class ProtocolTests: FolderTestCase {
    let quiet = Progress(interactive: false, write: { _ in })
    var runs: URL { directory.appendingPathComponent("runs") }

    /// A manifest of 30 phantom nodules whose split column marks rows 20-29 as test.
    func manifest(splits: (Int) -> String) throws -> URL {
        let phantom = NodulePatchPhantom(count: 30, seed: 4, size: 24)
        var lines = ["path,label,split,patient_id"]
        for index in 0..<30 {
            let sample = try phantom.sample(at: index)
            let file = "images/\(index).png"
            try PNG.write(sample.image, to: directory.appendingPathComponent(file))
            lines.append("\(file),\(phantom.classNames[sample.label!]),\(splits(index)),p\(index)")
        }
        return try write("manifest.csv", lines.joined(separator: "\n") + "\n")
    }

    func config(_ manifest: URL, _ extra: String = "") throws -> ExperimentConfig {
        try ExperimentConfig(try ConfigValue.parse(yaml: """
            data: {source: csv, csv: {path: \(manifest.path)}, split: {method: column}}
            model: {name: small_cnn, input_shape: [24, 24, 1]}
            train: {epochs: 1, batch_size: 10}
            \(extra)
            """, source: "column.yaml"), source: "column.yaml")
    }

    // MARK: 1. The split column is followed exactly

    func testTheColumnSplitFollowsTheManifest() throws {
        let url = try manifest { $0 >= 20 ? "test" : ($0 >= 16 ? "val" : "train") }
        let runner = ExperimentRunner(config: try config(url), runsRoot: runs, progress: quiet)
        let split = try runner.split(try runner.dataset())
        XCTAssertEqual(split.parts["test"], (20..<30).map { "images/\($0).png" })
        XCTAssertEqual(split.parts["validation"], (16..<20).map { "images/\($0).png" })
        XCTAssertEqual(split.parts["train"]?.count, 16)
        let result = try runner.run(name: "column")
        XCTAssertEqual(result.test.ids, (20..<30).map { "images/\($0).png" })
    }

    func testAnUnknownSplitValueIsAnErrorNamingTheRow() throws {
        let url = try manifest { $0 == 7 ? "tset" : "train" }
        let runner = ExperimentRunner(config: try config(url), runsRoot: runs, progress: quiet)
        XCTAssertThrowsError(try runner.split(try runner.dataset())) { error in
            XCTAssertTrue("\(error)".contains("sample 'images/7.png'") && "\(error)".contains("has split 'tset'"), "\(error)")
        }
    }

    // MARK: 2. Later commands use the model the report evaluated

    func testWithoutValidationTheFinalWeightsAreEvaluatedAndRestored() throws {
        let url = try manifest { $0 >= 20 ? "test" : "train" }
        let config = try config(url, "eval: {threshold: '0.5'}").with(epochs: 3)
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "novalidation")
        // No validation split: no "best" by training loss.
        XCTAssertFalse(FileManager.default.fileExists(atPath: result.run.bestCheckpoint.path))
        let record = try JSONDecoder().decode(EvaluatedCheckpoint.self, from: try Data(contentsOf: result.run.evaluated))
        XCTAssertEqual(record.file, "last.h5")
        XCTAssertEqual(record.epoch, 3)
        XCTAssertTrue(record.reason.contains("no validation split"))
        // zoo eval gives the report's numbers.
        let restored = try RestoredRun(result.run.url)
        XCTAssertEqual(try restored.evaluate().test.auc?.auc, result.metrics.test.auc?.auc)
    }

    func testWithValidationTheBestCheckpointIsEvaluatedAndRecorded() throws {
        let url = try manifest { $0 >= 20 ? "test" : ($0 >= 14 ? "validation" : "train") }
        let config = try config(url).with(epochs: 3)
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "validation")
        let record = try JSONDecoder().decode(EvaluatedCheckpoint.self, from: try Data(contentsOf: result.run.evaluated))
        XCTAssertEqual(record.file, "best.h5")
        let best = try Checkpoint.load(into: try RestoredRun(result.run.url).model, from: result.run.bestCheckpoint)
        XCTAssertEqual(record.epoch, best.epoch)
        XCTAssertEqual(try RestoredRun(result.run.url).evaluate().test.auc?.auc, result.metrics.test.auc?.auc)
        XCTAssertTrue(try String(contentsOf: result.run.report, encoding: .utf8).contains("Evaluated: checkpoints/best.h5"))
    }

    func testCheckpointEverySavesTheLastCheckpointEveryNEpochsAndAtTheEnd() throws {
        let url = try manifest { $0 >= 20 ? "test" : "train" }
        let config = try config(url, "eval: {threshold: '0.5'}").with(epochs: 3, set: ["train", "checkpoint_every"], to: "2")
        var messages = [String]()
        let runner = ExperimentRunner(config: config, runsRoot: runs, progress: Progress(interactive: false, write: { messages.append($0) }))
        let result = try runner.run(name: "every2")
        let state = try Checkpoint.load(into: try RestoredRun(result.run.url).model, from: result.run.lastCheckpoint)
        XCTAssertEqual(state.epoch, 3, "the final epoch is always saved")
        // Stopped after epoch 2 (as Ctrl-C would leave it): epoch 2's checkpoint, not epoch 1's.
        let trainer = Trainer(
            model: try RestoredRun(result.run.url).model, task: .classification, loss: try TrainingFactory.loss(.scalar("cross_entropy"), classWeights: nil, source: "t"),
            optimizer: try TrainingFactory.optimizer(.map([(key: "name", value: .scalar("adam"))]), source: "t"),
            schedule: try TrainingFactory.schedule(.map([(key: "name", value: .scalar("constant"))]), learningRate: 1e-3, epochs: 2, stepsPerEpoch: 2, source: "t"),
            epochs: 1, earlyStopping: nil, monitor: "loss", run: try RunDirectory.create(root: runs, experiment: "x", run: "y"), progress: quiet,
            configJSON: "{}", checkpointEvery: 2, keepsBest: false)
        let restored = try RestoredRun(result.run.url)
        let loader = try restored.evaluationLoader(try restored.indices("train"))
        try trainer.fit(train: loader, validation: nil)
        XCTAssertEqual(try Checkpoint.load(into: trainer.model, from: trainer.run.lastCheckpoint).epoch, 1, "a one-epoch run still ends in a checkpoint")
    }

    // MARK: 3. Freezing counts the backbone as Keras does

    func testFreezeFractionCountsTheBackboneLayersNotTheHead() throws {
        let head = ["up_sampling 4", "batch_norm", "global_average_pooling", "dense 512 relu", "dropout 0.5", "dense 2"]
        func frozen(_ name: String, input: [Int]) throws -> (frozen: Int, backbone: Int, trainableConvolutions: [String]) {
            let yaml = """
                model: {name: \(name), input_shape: \(input), freeze: {fraction: 0.7}, head: [\(head.map { "\"\($0)\"" }.joined(separator: ", "))]}
                """
            let config = try ExperimentConfig(try ConfigValue.parse(yaml: yaml, source: "f.yaml"), source: "f.yaml")
            let runner = ExperimentRunner(config: config, runsRoot: runs, progress: quiet)
            let model = try runner.makeModel(classes: 2, inputShape: input, variant: try ModelZoo.variant(name))
            let backbone = try XCTUnwrap(model as? ApplicationModel).backboneLayers
            let convolutions = model.layers.filter { !$0.isFrozen && $0 is Conv2D }.map(\.name)
            return (model.layers.filter(\.isFrozen).count, backbone.count, convolutions)
        }
        let resnet = try frozen("resnet50", input: [32, 32, 3])
        XCTAssertEqual(resnet.backbone, 175, "ResNet50(include_top=False).layers")
        XCTAssertEqual(resnet.frozen, 122, "int(0.7 * 175)")
        let vgg = try frozen("vgg16", input: [32, 32, 3])
        XCTAssertEqual(vgg.backbone, 19)
        XCTAssertEqual(vgg.frozen, 13)
        XCTAssertEqual(vgg.trainableConvolutions, ["block4_conv3", "block5_conv1", "block5_conv2", "block5_conv3"])
    }

    /// The released code of the CT study freezes `conv_base.layers[:-N]`; Keras 3.15 gives these
    /// first trainable layers for the N of each backbone (counted with Keras Applications).
    func testTrainableLastFreezesAllButTheLastNBackboneLayersAsKerasCode() throws {
        let expected: [(name: String, input: [Int], last: Int, count: Int, first: String)] = [
            ("resnet50", [32, 32, 3], 53, 175, "conv4_block4_out"), ("vgg16", [32, 32, 3], 7, 19, "block4_conv2"),
            ("densenet121", [32, 32, 3], 128, 427, "conv4_block23_1_relu"), ("mobilenetv2", [32, 32, 3], 46, 154, "block_12_expand_BN"),
            ("xception", [71, 71, 3], 41, 132, "block10_sepconv2_bn"),
        ]
        for case let (name, input, last, count, first) in expected {
            let yaml = "model: {name: \(name), freeze: {trainable_last: \(last)}, head: [global_average_pooling, \"dense 2\"]}"
            let config = try ExperimentConfig(try ConfigValue.parse(yaml: yaml, source: "t.yaml"), source: "t.yaml")
            let model = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet)
                .makeModel(classes: 2, inputShape: input, variant: try ModelZoo.variant(name))
            let backbone = try XCTUnwrap(model as? ApplicationModel).backboneLayers
            XCTAssertEqual(backbone.count, count, name)
            XCTAssertEqual(backbone.filter(\.isFrozen).count, count - last, name)
            XCTAssertEqual(backbone.first { !$0.isFrozen }?.name, first, name)
            XCTAssertFalse(model.layers.last!.isFrozen, "\(name): the head stays trainable")
        }
        XCTAssertThrowsError(try ExperimentConfig(try ConfigValue.parse(yaml: "model: {freeze: {trainable_last: 0}}", source: "t.yaml"), source: "t.yaml")) {
            XCTAssertTrue("\($0)".contains("must be at least 1"), "\($0)")
        }
    }

    func testEvalCheckpointLastEvaluatesTheFinalWeightsDespiteAValidationSplit() throws {
        let url = try manifest { $0 >= 20 ? "test" : ($0 >= 14 ? "validation" : "train") }
        let config = try config(url, "eval: {checkpoint: last}").with(epochs: 2)
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "last")
        let record = try JSONDecoder().decode(EvaluatedCheckpoint.self, from: try Data(contentsOf: result.run.evaluated))
        XCTAssertEqual(record.file, "last.h5")
        XCTAssertEqual(record.epoch, 2)
        XCTAssertTrue(record.reason.contains("eval.checkpoint: last"))
    }
}

extension ExperimentConfig {
    /// The config with `epochs` and one more key set, read again (as --set would).
    func with(epochs: Int, set path: [String]? = nil, to value: String? = nil) throws -> ExperimentConfig {
        var document = resolved.setting(["train", "epochs"], to: .scalar(String(epochs)))
        if let path, let value { document = document.setting(path, to: .scalar(value)) }
        var config = try ExperimentConfig(document, source: "test")
        config.baseDirectory = baseDirectory
        return config
    }
}

/// Issue 14.4: k-fold cross-validation as a study.
final class CrossValidationTests: FolderTestCase {
    let quiet = Progress(interactive: false, write: { _ in })

    func testEveryFoldIsTestedOnceAndTheReportPoolsTheOutOfFoldPredictions() throws {
        let url = try write("cv.yaml", """
            experiment: cv
            data: {source: phantom, phantom: {kind: lidc_nodules, count: 36, size: 32}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 12}
            eval: {threshold: youden}
            cross_validation: {folds: 3, validation: 0.25}
            sweep: {architectures: [small_cnn, {name: resnet18, set: {data.preprocessing: tf}}]}
            """)
        let runs = directory.appendingPathComponent("runs")
        let study = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: quiet)
        XCTAssertThrowsError(try study.run()) { XCTAssertTrue("\($0)".contains("runCrossValidation"), "\($0)") }
        let report = try study.runCrossValidation()
        XCTAssertEqual(report.trials.map(\.name), ["small_cnn", "resnet18"])
        let all = (0..<36).map { NodulePatchPhantom(count: 36, seed: 42, size: 32).info(at: $0).id }.sorted()
        for trial in report.trials {
            XCTAssertEqual(trial.folds.count, 3)
            XCTAssertEqual(trial.pooled.ids, all, "every sample is tested exactly once")
            for fold in trial.folds {
                let split = try Split.load(from: fold.run.split)
                let test = Set(split.parts["test"]!), validation = Set(split.parts["validation"]!), train = Set(split.parts["train"]!)
                XCTAssertTrue(test.isDisjoint(with: validation) && test.isDisjoint(with: train) && train.isDisjoint(with: validation))
                XCTAssertEqual(test.count + validation.count + train.count, 36)
                // The threshold comes from the fold's validation part (from training where that
                // part holds one class only), never from the held-out fold.
                let bothClasses = Set(try XCTUnwrap(fold.validation).labels).count == 2
                XCTAssertEqual(fold.metrics.threshold?.source, bothClasses ? "validation" : "training")
            }
        }
        // The pooled AUC and the DeLong test between the trials use the pooled predictions.
        let scores = try report.trials.map { try XCTUnwrap($0.pooled.binaryScores) }
        let auc = try DeLong.confidenceInterval(scores[0])
        let markdown = report.markdown
        XCTAssertTrue(markdown.contains(String(format: "| small_cnn | pooled out-of-fold | %.3f (%.3f-%.3f) |", auc.auc, auc.lower, auc.upper)), markdown)
        XCTAssertTrue(markdown.contains("| small_cnn | mean ± SD |"), markdown)
        XCTAssertTrue(markdown.contains("| resnet18 | fold 3 |"), markdown)
        if let p = try? DeLong.pairedTest(scores[0], scores[1]).p {
            XCTAssertTrue(markdown.contains("| small_cnn | - | \(Report.pValue(p)) |"), markdown)
        }
        for file in ["report.md", "report.html", "small_cnn/predictions-pooled.csv", "resnet18/fold-2/metrics.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: runs.appendingPathComponent("cv/\(file)").path), file)
        }
        XCTAssertTrue(try String(contentsOf: runs.appendingPathComponent("cv/small_cnn/predictions-pooled.csv"), encoding: .utf8).hasPrefix("id,label,p_benign,p_malignant"))
        // Run again: every fold is read back.
        var messages = [String]()
        _ = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { messages.append($0) })).runCrossValidation()
        XCTAssertEqual(messages.filter { $0.contains("finished before") }.count, 6, "\(messages)")
    }
}

/// Issue 14.6: ImageNet weights for a one-channel input under every preprocessing mode.
final class GrayWeightsTests: FolderTestCase {
    /// The first layers of `model` up to and including `last`, run in inference mode.
    func prefix(_ model: Model, through last: String, _ x: Tensor) throws -> Tensor {
        model.setTraining(false)
        var y = x
        for layer in model.layers.dropFirst() {  // the input layer passes x through
            y = try layer(y)
            if layer.name == last { return y }
        }
        throw RunError("no layer \(last)")
    }

    /// A gray image through the adapted model equals the RGB-replicated image through the
    /// original, away from the zero padding: caffe (VGG16, the offset in the first bias) and
    /// torch (DenseNet121, no bias: the offset in the batch norm's moving mean).
    func testAGrayImageThroughTheAdaptedModelEqualsTheReplicatedImageThroughTheOriginal() throws {
        let cases: [(name: String, mode: PreprocessingMode, last: String, border: Int)] = [
            ("vgg16", .caffe, "block1_conv1", 1), ("densenet121", .torch, "conv1_bn", 2),
        ]
        for (name, mode, last, border) in cases {
            let variant = try ModelZoo.variant(name)
            func make(_ channels: Int) throws -> Model {
                try BuildContext.run(seed: 11) {
                    try variant.make(ArchitectureOptions(classes: 2, includeTop: false, inputShape: [32, 32, channels]))
                }
            }
            let original = try make(3)
            // Batch-norm statistics that are not the identity, so the moving mean matters.
            for case let norm as BatchNormalization in original.layers { norm.momentum = 0.5 }
            for parameter in original.namedParameters where parameter.path.hasSuffix("moving_mean") {
                parameter.parameter.value.withUnsafeMutableBufferPointer { for i in 0..<$0.count { $0[i] = Float(i % 7) * 0.1 } }
            }
            let file = directory.appendingPathComponent("\(name).h5")
            try KerasWeights.exportKeras2(original, to: file)
            let adapted = try make(1)
            let options = WeightLoadOptions(
                firstConvolution: variant.firstConvolution,
                grayInput: .init(channelMeans: mode.channelMeans, channelDeviations: mode.channelDeviations, grayMean: mode.grayMean, grayDeviation: mode.grayDeviation))
            let report = try KerasWeights.load(into: adapted, from: file, options: options)
            XCTAssertEqual(report.adapted.count, 2, "\(name): \(report.adapted)")

            var random = RandomGenerator(seed: 5)
            let pixels = (0..<(32 * 32)).map { _ in Float(random.next() % 256) }
            let gray = Sample(image: ImageArray(shape: [32, 32, 1], values: pixels), info: SampleInfo(id: "g"))
            let rgb = Sample(image: ImageArray(shape: [32, 32, 3], values: pixels.flatMap { [$0, $0, $0] }), info: SampleInfo(id: "c"))
            let preprocess = Preprocess(mode: mode)
            let grayInput = try preprocess.apply(gray, random: &random).image
            let rgbInput = try preprocess.apply(rgb, random: &random).image
            let a = try prefix(adapted, through: last, try Tensor(shape: [1, 32, 32, 1], scalars: grayInput.values))
            let b = try prefix(original, through: last, try Tensor(shape: [1, 32, 32, 3], scalars: rgbInput.values))
            XCTAssertEqual(a.shape, b.shape)
            let (height, width, channels) = (a.shape[1], a.shape[2], a.shape[3])
            var largest: Float = 0, scale: Float = 0
            for row in border..<(height - border) {
                for column in border..<(width - border) {
                    for c in 0..<channels {
                        let i = (row * width + column) * channels + c
                        largest = max(largest, abs(a.scalars[i] - b.scalars[i]))
                        scale = max(scale, abs(b.scalars[i]))
                    }
                }
            }
            XCTAssertLessThan(largest, 1e-4 * max(scale, 1), "\(name) (\(mode)): largest difference \(largest) of \(scale)")
        }
    }
}

extension GrayWeightsTests {
    /// model.weights_options: the strictness of loading is the config's to set, and a
    /// prefix map reads a backbone nested in another file.
    func testWeightsOptionsSetTheStrictnessOfLoading() throws {
        let variant = try ModelZoo.variant("resnet18")
        let source = try BuildContext.run(seed: 3) { try variant.make(ArchitectureOptions(classes: 2, inputShape: [32, 32, 3])) }
        let file = directory.appendingPathComponent("resnet18.h5")
        try KerasWeights.exportKeras2(source, to: file)
        func model(_ options: String) throws -> (Model, [String]) {
            let yaml = "model: {name: resnet18, weights: \(file.path), head: [global_average_pooling, \"dense 2\"]\(options)}"
            let config = try ExperimentConfig(try ConfigValue.parse(yaml: yaml, source: "w.yaml"), source: "w.yaml")
            var messages = [String]()
            let runner = ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { messages.append($0) }))
            return (try runner.makeModel(classes: 2, inputShape: [32, 32, 3], variant: variant), messages)
        }
        // The default: the file's top is left out (unexpected), the new head is missing.
        let (loaded, messages) = try model("")
        XCTAssertTrue(messages.contains { $0.contains("unused") }, "\(messages)")
        let first = "\(variant.firstConvolution)/kernel"
        let kernel = { (m: Model) in m.namedParameters.first { $0.path == first }!.parameter.value.scalars }
        XCTAssertEqual(kernel(loaded), kernel(source))
        XCTAssertThrowsError(try model(", weights_options: {allow_unexpected: false}")) { error in
            XCTAssertTrue("\(error)".contains("unexpected"), "\(error)")
        }
        XCTAssertThrowsError(try model(", weights_options: {allow_missing: false}")) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        // A prefix map rewrites the file's layer paths before matching: sending the first
        // convolution elsewhere leaves the model's own kernel as it was built.
        let (remapped, _) = try model(", weights_options: {prefix_map: {\(variant.firstConvolution): elsewhere}}")
        XCTAssertNotEqual(kernel(remapped), kernel(source))
    }
}

extension GrayWeightsTests {
    /// Issue 14.10: eval.gradcam {layers, average: true} writes one map per sample, the mean of
    /// the layers' maps.
    func testGradCAMAveragedOverLayers() throws {
        let config = try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"),
            overrides: ["data.phantom.count=20", "data.phantom.size=32", "model.input_shape=[32, 32, 1]", "train.epochs=1",
                        "eval.gradcam={layers: [conv2d, conv2d_1, conv2d_2], average: true}"])
        XCTAssertTrue(config.eval.gradcamAverage)
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "avg")
        let files = try FileManager.default.contentsOfDirectory(atPath: result.run.url.appendingPathComponent("gradcam").path)
        // One figure (SVG) and one overlay (PNG) per sample.
        XCTAssertEqual(files.filter { $0.hasSuffix("-average.png") }.count, 4, "\(files)")
        XCTAssertEqual(files.filter { $0.hasSuffix("-average.svg") }.count, 4, "\(files)")
        XCTAssertEqual(files.count, 8, "\(files)")
        XCTAssertTrue(try String(contentsOf: result.run.report, encoding: .utf8).contains("averaged over conv2d, conv2d_1, conv2d_2"))
        // Issue 21.4: the HTML report carries its figures (SVG inline, PNG as data URIs).
        let html = try String(contentsOf: result.run.reportHTML, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("data:image/png;base64,"), "figures not embedded")
        XCTAssertFalse(html.contains("src=\"roc.svg\"") || html.contains("src=\"gradcam/"), "a figure is still a link")
        XCTAssertThrowsError(try ExperimentConfig.load(
            ExperimentConfigsTests.root.appendingPathComponent("zoo/lidc/lidc.yaml"), overrides: ["eval.gradcam={layers: [conv2d], average: true}"])) {
            XCTAssertTrue("\($0)".contains("at least two layers"), "\($0)")
        }
    }
}

/// Issue 14.10: a clinical-variable model in the same table and DeLong matrix.
final class ClinicalModelTests: FolderTestCase {
    func testALogisticRegressionOnClinicalVariablesJoinsTheSweep() throws {
        let url = try write("clinical.yaml", """
            experiment: parotid
            data: {source: phantom, phantom: {kind: parotid_ultrasound, count: 60, size: 32}, split: {method: stratified, train: 0.6, validation: 0.2, test: 0.2}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 20}
            eval: {threshold: youden}
            clinical: {name: clinical, columns: [age, sex, diameter_mm]}
            sweep: {architectures: [small_cnn]}
            """)
        let runs = directory.appendingPathComponent("runs")
        let report = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()[0]
        XCTAssertEqual(report.results.map(\.architecture), ["small_cnn", "clinical"])
        let (image, clinical) = (report.results[0], report.results[1])
        XCTAssertEqual(clinical.test.ids, image.test.ids, "the same test cases: paired DeLong")
        XCTAssertEqual(clinical.metrics.threshold?.source, "validation")
        XCTAssertTrue(report.markdown.contains("| clinical | test |"), report.markdown)
        if let p = report.pValues[0][1] { XCTAssertTrue(report.markdown.contains(Report.pValue(p)), report.markdown) }
        // The coefficients are the fit of the training part's variables.
        let phantom = ParotidUltrasoundPhantom(count: 60, seed: 42, size: 32)
        let split = try Split.load(from: clinical.run.split)
        let train = try split.indices("train", in: phantom)
        let model = try LogisticRegression.fit(
            train.map { i in ["age", "sex", "diameter_mm"].map { phantom.clinicalValue($0, at: i)! } }, train.map { phantom.info(at: $0).label == 1 })
        let written = CSV.parse(try String(contentsOf: clinical.run.url.appendingPathComponent("coefficients.csv"), encoding: .utf8))
        XCTAssertEqual(written.dropFirst().map { Double($0.fields[1])! }, model.coefficients)
        XCTAssertEqual(written.dropFirst().map(\.fields[0]), ["(intercept)", "age", "sex", "diameter_mm"])
        // A column the data lacks is named.
        XCTAssertThrowsError(try StudyRunner(configURL: url, overrides: ["clinical.columns=[age, weight]"], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()) {
            XCTAssertTrue("\($0)".contains("no column 'weight'"), "\($0)")
        }
    }

    func testAManifestsExtraColumnsAreItsClinicalVariables() throws {
        try PNG.write(ImageArray(repeating: 0, shape: [4, 4, 1]), to: directory.appendingPathComponent("a.png"))
        let manifest = try write("m.csv", "path,label,age,note\na.png,x,61.5,n/a\n")
        let dataset = try ManifestDataset(manifest: manifest)
        XCTAssertEqual(dataset.clinicalColumns, ["age", "note"])
        XCTAssertEqual(dataset.clinicalValue("age", at: 0), 61.5)
        XCTAssertNil(dataset.clinicalValue("note", at: 0))
    }
}

/// Issue 20.1: named external test sets, evaluated with the validation threshold.
final class ExternalTestSetTests: FolderTestCase {
    func testExternalSetsAreEvaluatedAndComparedWithTheValidationThreshold() throws {
        let url = try write("external.yaml", """
            experiment: external
            data:
              source: phantom
              phantom: {kind: lidc_nodules, count: 40, size: 32}
              split: {method: stratified, train: 0.6, validation: 0.2, test: 0.2}
              test_sets:
                center2: {source: phantom, phantom: {kind: lidc_nodules, count: 20, size: 32, seed: 99}, scanner: {gain: 0.9, offset: 8, noise: 4}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 10}
            eval: {threshold: youden}
            sweep: {architectures: [small_cnn, {name: resnet18, set: {data.preprocessing: tf}}]}
            """)
        let runs = directory.appendingPathComponent("runs")
        let report = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()[0]
        let first = report.results[0]
        let external = try XCTUnwrap(first.external.first)
        XCTAssertEqual(external.name, "center2")
        XCTAssertEqual(external.predictions.ids.count, 20)
        XCTAssertTrue(external.predictions.ids.allSatisfy { $0.hasPrefix("center2/") })
        let side = try XCTUnwrap(first.metrics.external.first?.side)
        XCTAssertEqual(side.threshold, first.metrics.threshold?.value, "the validation threshold, not one chosen on the set")
        XCTAssertTrue(report.markdown.contains("| small_cnn | center2 |"), report.markdown)
        XCTAssertEqual(report.externalSets.map(\.name), ["center2"])
        // Issue 20.3: decision curves per set, the numbers of ZooMetrics' DecisionCurve.
        let curve = try DecisionCurve(try XCTUnwrap(external.predictions.binaryScores))
        let at = curve.thresholds.firstIndex { abs($0 - 0.2) < 1e-9 }!
        XCTAssertTrue(report.markdown.contains("Decision curve analysis, center2"), report.markdown)
        XCTAssertTrue(report.markdown.contains(String(format: "%.3f", curve.model[at])), report.markdown)
        for file in ["dca.svg", "dca-center2.svg", "roc-center2.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: runs.appendingPathComponent("external/\(file)").path), file)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: first.run.externalPredictions("center2").path))
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: first.run.metrics)) as? [String: Any])
        XCTAssertNotNil(metrics["center2"])
        // Read back and restored, the same numbers.
        let again = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()[0]
        XCTAssertEqual(again.results[0].metrics.external.first?.side.auc?.auc, side.auc?.auc)
        XCTAssertEqual(try RestoredRun(first.run.url).evaluate().external.first?.side.auc?.auc, side.auc?.auc)
    }

    func testAnExternalSetWithTheTrainingPatientsOrOtherClassesIsRefusedBeforeTraining() throws {
        func config(_ set: String) throws -> ExperimentConfig {
            try ExperimentConfig(try ConfigValue.parse(yaml: """
                data: {source: phantom, phantom: {kind: lidc_nodules, count: 20, size: 32}, test_sets: {again: \(set)}}
                model: {name: small_cnn, input_shape: [32, 32, 1]}
                train: {epochs: 1, batch_size: 10}
                """, source: "x.yaml"), source: "x.yaml")
        }
        let runs = directory.appendingPathComponent("runs")
        XCTAssertThrowsError(try ExperimentRunner(config: try config("{source: phantom, phantom: {kind: lidc_nodules, count: 20, size: 32}}"), runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run(name: "same")) {
            XCTAssertTrue("\($0)".contains("shares patients with the training data: patient_0000"), "\($0)")
        }
        XCTAssertThrowsError(try ExperimentRunner(config: try config("{source: phantom, phantom: {kind: chest_ct, count: 20, size: 32, seed: 5}}"), runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run(name: "other")) {
            XCTAssertTrue("\($0)".contains("are not the model's"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("experiment/same/log.csv").path), "trained first")
    }
}

/// Issue 20.4: patient-level results, image-level beside.
final class PatientLevelTests: FolderTestCase {
    func testImagesCombinePerPatientByTheRule() throws {
        var p = Predictions()
        p.ids = ["a1", "a2", "b1", "c1"]
        p.labels = [1, 1, 0, 0]
        p.probabilities = [[0.4, 0.6], [0.8, 0.2], [0.7, 0.3], [0.1, 0.9]]
        let groups = ["a1": "A", "a2": "A", "b1": "B"]
        let mean = try PatientAggregation(rule: .mean).aggregate(p, groups: groups)
        XCTAssertEqual(mean.ids, ["A", "B", "c1"])
        XCTAssertEqual(mean.probabilities[0][1], 0.4, accuracy: 1e-12)
        XCTAssertEqual(try PatientAggregation(rule: .max).aggregate(p, groups: groups).probabilities[0], [0.4, 0.6])
        let largest = try PatientAggregation(rule: .largestROI).aggregate(p, groups: groups, roiSizes: ["a1": 0.1, "a2": 0.3, "b1": 1, "c1": 1])
        XCTAssertEqual(largest.probabilities[0], [0.8, 0.2])
        XCTAssertThrowsError(try PatientAggregation(rule: .largestROI).aggregate(p, groups: groups)) { XCTAssertTrue("\($0)".contains("largest_roi"), "\($0)") }
        p.labels = [1, 0, 0, 0]
        XCTAssertThrowsError(try PatientAggregation(rule: .mean).aggregate(p, groups: groups)) { XCTAssertTrue("\($0)".contains("patient 'A'"), "\($0)") }
    }

    /// Two images per patient (of one class): a run reports patients, images beside.
    func testARunReportsPatientsWithImagesBeside() throws {
        let phantom = NodulePatchPhantom(count: 48, seed: 6, size: 32)
        var byClass = [Int: [Int]]()
        for index in 0..<phantom.count { byClass[phantom.info(at: index).label!, default: []].append(index) }
        var lines = ["path,label,patient_id"]
        for (label, indices) in byClass.sorted(by: { $0.key < $1.key }) {
            for (position, index) in indices.enumerated() where position / 2 < indices.count / 2 {
                try PNG.write(try phantom.sample(at: index).image, to: directory.appendingPathComponent("images/\(index).png"))
                lines.append("images/\(index).png,\(phantom.classNames[label]),p\(label)_\(position / 2)")
            }
        }
        let manifest = try write("patients.csv", lines.joined(separator: "\n") + "\n")
        let config = try ExperimentConfig(try ConfigValue.parse(yaml: """
            data: {source: csv, csv: {path: \(manifest.path)}, split: {method: stratified, train: 0.5, validation: 0.25, test: 0.25}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 8}
            eval: {threshold: youden, aggregate: {by: patient, rule: mean}}
            """, source: "p.yaml"), source: "p.yaml")
        let result = try ExperimentRunner(config: config, runsRoot: directory, progress: Progress(interactive: false, write: { _ in })).run(name: "patients")
        XCTAssertTrue(result.test.ids.allSatisfy { $0.hasPrefix("p") && !$0.hasSuffix(".png") }, "\(result.test.ids)")
        let images = try Evaluation.readPredictions(from: result.run.url.appendingPathComponent("predictions-images.csv"))
        XCTAssertEqual(images.ids.count, 2 * result.test.ids.count, "two nodules per patient")
        let report = try String(contentsOf: result.run.report, encoding: .utf8)
        XCTAssertTrue(report.contains("| test (patients) |") && report.contains("| test (images) |"), report)
        XCTAssertTrue(report.contains("evaluated per patient"), report)
        let again = try ExperimentRunner.finished(result.run, eval: config.eval, seed: config.seed)
        XCTAssertEqual(again.imageMetrics?.test.auc?.auc, result.imageMetrics?.test.auc?.auc)
        XCTAssertEqual(again.metrics.test.auc?.auc, result.metrics.test.auc?.auc)
        // zoo eval evaluates per patient too.
        let evaluated = try RestoredRun(result.run.url).evaluateRun()
        XCTAssertEqual(evaluated.metrics.test.auc?.auc, result.metrics.test.auc?.auc)
        XCTAssertEqual(evaluated.imageMetrics?.test.auc?.auc, result.imageMetrics?.test.auc?.auc)
    }
}

/// Issue 20.2: readers without and with the model, beside the models.
final class ReaderStudyTests: FolderTestCase {
    func testSimulatedReadersAreTabledPerSetWithTheirAgreement() throws {
        let url = try write("readers.yaml", """
            experiment: readers
            data:
              source: phantom
              phantom: {kind: lidc_nodules, count: 60, size: 32}
              split: {method: stratified, train: 0.5, validation: 0.2, test: 0.3}
              test_sets: {center2: {source: phantom, phantom: {kind: lidc_nodules, count: 30, size: 32, seed: 77}}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 10}
            eval: {threshold: youden}
            readers:
              - {name: a, simulated: {auc: 0.7, assisted_auc: 0.85}, seed: 1}
              - {name: b, simulated: {auc: 0.75, assisted_auc: 0.8}, seed: 2}
              - {name: c, simulated: {auc: 0.65, assisted_auc: 0.8}, seed: 3}
            sweep: {architectures: [small_cnn]}
            """)
        let runs = directory.appendingPathComponent("runs")
        let report = try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()[0]
        let markdown = report.markdown
        XCTAssertTrue(markdown.contains("Readers on the test set") && markdown.contains("Readers on center2"), markdown)
        XCTAssertTrue(markdown.contains("Fleiss' kappa"), markdown)
        // Reader a on the test set, recomputed from the CSV the study wrote.
        let test = report.results[0].test
        let alone = try ReaderStudy.read(runs.appendingPathComponent("readers/readers/a-alone.csv"), reader: "a", truth: Dictionary(uniqueKeysWithValues: zip(test.ids, test.labels)).merging(
            Dictionary(uniqueKeysWithValues: zip(report.results[0].external[0].predictions.ids, report.results[0].external[0].predictions.labels)), uniquingKeysWith: { a, _ in a }))
        let auc = try DeLong.confidenceInterval(try BinaryScores(scores: test.ids.map { alone[$0]!.score }, labels: test.labels))
        XCTAssertTrue(markdown.contains(String(format: "| a | %.3f (%.3f-%.3f) |", auc.auc, auc.lower, auc.upper)), markdown)
        XCTAssertTrue(FileManager.default.fileExists(atPath: runs.appendingPathComponent("readers/dca-center2.svg").path))
    }

    func testAReaderFileWithOtherIdsStopsTheStudyBeforeTraining() throws {
        try write("a-alone.csv", "id,score\nnodule_99999,0.5\n")
        let url = try write("bad.yaml", """
            experiment: bad
            data: {source: phantom, phantom: {kind: lidc_nodules, count: 20, size: 32}}
            model: {name: small_cnn, input_shape: [32, 32, 1]}
            train: {epochs: 1, batch_size: 10}
            readers: [{name: a, alone: a-alone.csv, assisted: a-alone.csv}]
            sweep: {architectures: [small_cnn]}
            """)
        let runs = directory.appendingPathComponent("runs")
        XCTAssertThrowsError(try StudyRunner(configURL: url, overrides: [], runsRoot: runs, progress: Progress(interactive: false, write: { _ in })).run()) {
            XCTAssertTrue("\($0)".contains("reader a's ids do not match the test sets: 1 unknown (nodule_99999)"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: runs.appendingPathComponent("bad/small_cnn").path), "trained first")
    }
}
