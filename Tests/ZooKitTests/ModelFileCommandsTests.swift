import Foundation
import XCTest
import ZooCore
import ZooData
import ZooExplain
import ZooHDF5
import ZooKeras
import ZooNN
import ZooTensor
import ZooTestSupport

@testable import ZooKit

/// Model files are first-class (#16): every kind of MODEL (a `.keras` archive, a full-model
/// `.h5`, a Zoo checkpoint from `zoo import-keras`, a run, one of a run's checkpoints) predicts,
/// evaluates and explains; a Keras file fine-tunes from a config and goes back to Keras. The
/// models and Keras's own outputs come from Tests/Fixtures/keras_model_files.py.
final class ModelFileCommandsTests: XCTestCase {
    let quiet = Progress(interactive: false, write: { _ in })
    let generator = "Tests/Fixtures/keras_model_files.py"
    let rescale = FileModelPipeline.Preprocessing.rescale(scale: 1 / 255, offset: 0)

    func fixture(_ name: String) throws -> URL { try fixtureFile("keras_model_files", name, generator: generator) }

    func expected() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: try fixture("expected.json"))) as? [String: Any])
    }

    /// The three model files of one Keras model: `.keras`, `.h5`, and the checkpoint
    /// `zoo import-keras` writes (with its architecture).
    func everyKind(_ name: String) throws -> [URL] {
        let checkpoint = try temporaryFolder(self).appendingPathComponent("\(name).zoo.h5")
        try ImportedModel.writeCheckpoint(of: try fixture("\(name).keras"), to: checkpoint)
        return [try fixture("\(name).keras"), try fixture("\(name).h5"), checkpoint]
    }

    // MARK: - predict

    /// A binary classifier ending in one sigmoid unit predicts Keras's sigmoid as [1 - p, p],
    /// from each kind of file.
    func testEveryKindOfModelFilePredictsWhatKerasPredicts() throws {
        let reference = try XCTUnwrap(try expected()["binary_cnn"] as? [String: Double])
        let images = try fixture("images").appendingPathComponent("binary_cnn")
        for file in try everyKind("binary_cnn") {
            guard case .file(let model) = try ModelArgument(file.path) else { return XCTFail("\(file.lastPathComponent) is a model file") }
            XCTAssertEqual(model.fileOutput, .sigmoid)
            let result = try ModelFilePrediction.predict(
                model: model, inputs: [images], pipeline: FileModelPipeline(preprocessing: rescale, classes: ["benign", "malignant"]))
            XCTAssertEqual(result.ids.count, 3)
            for (id, row) in zip(result.ids, result.outputs) {
                let keras = try XCTUnwrap(reference[URL(fileURLWithPath: id).lastPathComponent])
                XCTAssertEqual(Double(row[1]), keras, accuracy: 1e-6, "\(file.lastPathComponent) \(id)")
                XCTAssertEqual(Double(row[0] + row[1]), 1, accuracy: 1e-6)
            }
            XCTAssertTrue(result.header.contains("sigmoid as [1 - p, p]"), result.header)
        }
    }

    /// 2D: the masks and probability maps of a softmax U-Net are Keras's; written on the input's
    /// grid (an input of another size gets maps of its own size).
    func testA2DSegmentationModelFileWritesKerasMasksAndProbabilities() throws {
        let reference = try XCTUnwrap(try expected()["unet2d"] as? [String: [[[Double]]]])
        let images = try fixture("images").appendingPathComponent("unet2d")
        let folder = try temporaryFolder(self)
        let (masks, probabilities) = (folder.appendingPathComponent("masks"), folder.appendingPathComponent("p"))
        let model = try ImportedModel(contentsOf: try fixture("unet2d.keras"))
        let result = try ModelFilePrediction.predict(
            model: model, inputs: [images], pipeline: FileModelPipeline(preprocessing: rescale), masks: masks, probabilities: probabilities)
        XCTAssertEqual(result.segmented.count, 2)
        for row in result.segmented {
            let name = URL(fileURLWithPath: row.id).lastPathComponent
            let keras = try XCTUnwrap(reference[name])
            let stem = URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
            let map = try ImageFile.read(probabilities.appendingPathComponent("\(stem)-p1.png"), bitDepth: 16).image
            let mask = try ImageFile.read(masks.appendingPathComponent("\(stem)-mask.png")).image
            XCTAssertEqual(map.shape, [16, 16, 1])
            var foreground = 0
            for y in 0..<16 {
                for x in 0..<16 {
                    let p = keras[y][x][1]
                    XCTAssertEqual(Double(map.values[y * 16 + x]) / 65535, p, accuracy: 1e-5, "\(name) (\(y), \(x))")
                    // A pixel at 0.5 within float noise could go either way; none is that close here.
                    XCTAssertEqual(mask.values[y * 16 + x], p > keras[y][x][0] ? 255 : 0, "\(name) (\(y), \(x))")
                    if p > keras[y][x][0] { foreground += 1 }
                }
            }
            XCTAssertEqual(row.voxels, [256 - foreground, foreground])
        }
        // Another size: resized in, the maps resized back to 20x24.
        let odd = folder.appendingPathComponent("odd.png")
        try PNG.write(ImageArray(shape: [20, 24, 1], values: (0..<480).map { Float(($0 * 37) % 256) }), to: odd)
        let resized = try ModelFilePrediction.predict(model: model, inputs: [odd], pipeline: FileModelPipeline(preprocessing: rescale), masks: masks)
        XCTAssertEqual(try ImageFile.read(masks.appendingPathComponent("odd-mask.png")).image.shape, [20, 24, 1])
        XCTAssertEqual(resized.segmented[0].voxels.reduce(0, +), 480)
    }

    /// 3D: a NIfTI volume through a sigmoid 3D U-Net: Keras's probabilities, written as float32
    /// NIfTI with the input's geometry (its affine), and a mask beside them.
    func testA3DSegmentationModelFileWritesNIfTIWithTheInputsGeometry() throws {
        let volume = try readNumpy(try fixture("unet3d.volume.npy"))
        let keras = try readNumpy(try fixture("unet3d.output.npy"))
        let folder = try temporaryFolder(self)
        var geometry = NIfTIGeometry()
        geometry.pixdim = [1, 0.8, 0.8, 2.5]
        geometry.sformCode = 1
        geometry.sform = [-0.8, 0, 0, 120.5, 0, 0.8, 0, -98, 0, 0, 2.5, 40]
        geometry.quaternion = [0, 0, 1, 120.5, -98, 40]
        let input = folder.appendingPathComponent("scan.nii.gz")
        try NIfTI.write(ImageArray(shape: volume.shape, values: volume.scalars), as: .float32, geometry: geometry, to: input)
        let (masks, probabilities) = (folder.appendingPathComponent("masks"), folder.appendingPathComponent("p"))
        for file in try everyKind("unet3d") {
            let model = try ImportedModel(contentsOf: file)
            XCTAssertEqual(model.fileOutput, .sigmoid)
            let result = try ModelFilePrediction.predict(model: model, inputs: [input], pipeline: FileModelPipeline(), masks: masks, probabilities: probabilities)
            let written = try NIfTI.read(probabilities.appendingPathComponent("scan-p1.nii.gz"))
            XCTAssertEqual(written.geometry, geometry, file.lastPathComponent)
            XCTAssertEqual(written.datatype, 16)
            XCTAssertEqual(written.image.shape, [8, 16, 16, 1])
            let difference = zip(written.image.values, keras.scalars).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(difference, 1e-5, file.lastPathComponent)
            let mask = try NIfTI.read(masks.appendingPathComponent("scan-mask.nii.gz"))
            XCTAssertEqual(mask.geometry, geometry)
            XCTAssertEqual(result.segmented[0].voxels[1], keras.scalars.filter { $0 > 0.5 }.count)
            XCTAssertEqual(mask.image.values.filter { $0 == 1 }.count, result.segmented[0].voxels[1])
        }
    }

    /// What the model cannot take is an error naming the file and the shapes.
    func testInputsAModelFileCannotTakeAreErrors() throws {
        let unet3d = try ImportedModel(contentsOf: try fixture("unet3d.keras"))
        let images = try fixture("images").appendingPathComponent("binary_cnn")
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: unet3d, inputs: [images], pipeline: FileModelPipeline())) { error in
            XCTAssertTrue("\(error)".contains("binary_cnn_0.png") && "\(error)".contains("2D input") && "\(error)".contains("3D inputs"), "\(error)")
        }
        let binary = try ImportedModel(contentsOf: try fixture("binary_cnn.keras"))
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: binary, inputs: [images], pipeline: FileModelPipeline(), masks: URL(fileURLWithPath: "/tmp"))) { error in
            XCTAssertTrue("\(error)".contains("segmentation models"), "\(error)")
        }
        XCTAssertThrowsError(try ImportedModel(contentsOf: try fixture("binary_cnn.keras"), headFrom: "pool9", head: HeadSpec(parsing: ["dense 2"]))) { error in
            XCTAssertTrue("\(error)".contains("binary_cnn.keras") && "\(error)".contains("'pool9'") && "\(error)".contains("gap"), "\(error)")
        }
        let weightsOnly = try fixtureFile("keras_weight_files", "small_cnn.weights.h5", generator: "Tests/Fixtures/keras_weight_files.py")
        XCTAssertThrowsError(try ModelArgument(weightsOnly.path)) { error in
            XCTAssertTrue("\(error)".contains("small_cnn.weights.h5") && "\(error)".contains("without the architecture"), "\(error)")
        }
    }

    /// A model of an image and clinical variables through every layer class of item 5: Keras's
    /// probabilities from both file kinds, the variables read from --tabular; missing ones are
    /// errors naming the file and the column.
    func testAModelOfAnImageAndClinicalVariablesThroughEveryNewLayerPredictsAsKeras() throws {
        let reference = try XCTUnwrap(try expected()["layer_zoo"] as? [String: [Double]])
        let images = try fixture("images").appendingPathComponent("layer_zoo")
        let tabular = try fixture("layer_zoo.tabular.csv")
        for file in [try fixture("layer_zoo.keras"), try fixture("layer_zoo.h5")] {
            let model = try ImportedModel(contentsOf: file)
            XCTAssertEqual(model.fileOutput, .softmax, "a final Softmax layer")
            let result = try ModelFilePrediction.predict(model: model, inputs: [images], pipeline: FileModelPipeline(tabular: tabular))
            XCTAssertEqual(result.ids.count, 3)
            for (id, row) in zip(result.ids, result.outputs) {
                let keras = try XCTUnwrap(reference[URL(fileURLWithPath: id).lastPathComponent])
                for (ours, theirs) in zip(row, keras) { XCTAssertEqual(Double(ours), theirs, accuracy: 1e-5, "\(file.lastPathComponent) \(id)") }
            }
            XCTAssertTrue(result.header.contains("+ clinical (3)"), result.header)
        }
        let model = try ImportedModel(contentsOf: try fixture("layer_zoo.keras"))
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: model, inputs: [images], pipeline: FileModelPipeline())) { error in
            XCTAssertTrue("\(error)".contains("--tabular") && "\(error)".contains("clinical_0, clinical_1, clinical_2"), "\(error)")
        }
        let broken = try temporaryFolder(self).appendingPathComponent("broken.csv")
        try "path,clinical_0,clinical_1\n\(images.path)/layer_zoo_0.png,1,2\n".write(to: broken, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: model, inputs: [images], pipeline: FileModelPipeline(tabular: broken))) { error in
            XCTAssertTrue("\(error)".contains("broken.csv") && "\(error)".contains("'clinical_2'") && "\(error)".contains("'clinical'"), "\(error)")
        }
        try "path,clinical_0,clinical_1,clinical_2\n\(images.path)/layer_zoo_0.png,1,2,3\n".write(to: broken, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFilePrediction.predict(model: model, inputs: [images], pipeline: FileModelPipeline(tabular: broken))) { error in
            XCTAssertTrue("\(error)".contains("no row for") && "\(error)".contains("layer_zoo_1.png"), "\(error)")
        }
    }

    /// The new layers go back to Keras: the export of each model is re-imported with the same
    /// outputs, and left for keras_model_check.py (two inputs: `input.npy`, `input1.npy`).
    func testModelsOfEveryNewLayerExportForKeras() throws {
        let volume = try readNumpy(try fixture("volume_layers.input.npy"))
        let volumeModel = try ImportedModel(contentsOf: try fixture("volume_layers.keras"))
        let kerasVolume = try readNumpy(try fixture("volume_layers.output.npy"))
        XCTAssertLessThanOrEqual(
            zip(try withoutGrad { try volumeModel(volume).softmax() }.scalars, kerasVolume.scalars).map { abs($0 - $1) }.max() ?? 1, 1e-5,
            "Cropping3D and SpatialDropout3D as Keras computes them")
        let layerZoo = try ImportedModel(contentsOf: try fixture("layer_zoo.keras"))
        var random = RandomGenerator(seed: 3)
        let image = Tensor.randomUniform([2, 20, 20, 3], low: 0, high: 255, using: &random)
        let clinical = try Tensor(shape: [2, 3], scalars: [62, 1.2, 24, 55, 0.4, 30])
        let folder = try temporaryFolder(self)
        let exportFolder = ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"].map { URL(fileURLWithPath: $0) }
        for (name, model, inputs) in [("volume_layers", volumeModel, [volume]), ("layer_zoo", layerZoo, [image, clinical])] {
            try model.asFileModel { fileModel in
                let expected = try withoutGrad { try fileModel(inputs)[0] }
                for format in [KerasModelExport.Format.keras, .h5] {
                    let url = folder.appendingPathComponent("\(name).zoo-model.\(format == .keras ? "keras" : "h5")")
                    try KerasModelExport.save(fileModel, to: url, format: format)
                    let back = try KerasModelImport.load(url).model
                    let output = try withoutGrad { try back(inputs)[0] }
                    XCTAssertLessThanOrEqual(zip(output.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 1, 1e-6, "\(name) \(format)")
                    if let exportFolder { try FileManager.default.copyItem(at: url, to: exportFolder.appendingPathComponent(url.lastPathComponent)) }
                }
                if let exportFolder {
                    for (index, input) in inputs.enumerated() {
                        try writeNumpy(input, to: exportFolder.appendingPathComponent("\(name).zoo-model.input\(index == 0 ? "" : String(index)).npy"))
                    }
                    try writeNumpy(expected, to: exportFolder.appendingPathComponent("\(name).zoo-model.output.npy"))
                }
            }
        }
    }

    // MARK: - gradcam

    /// Grad-CAM of a model file, at a named layer: the same map from every kind of file.
    func testGradCAMExplainsEveryKindOfModelFile() throws {
        let images = try fixture("images").appendingPathComponent("binary_cnn")
        var maps = [[Float]]()
        for file in try everyKind("binary_cnn") {
            let model = try ImportedModel(contentsOf: file)
            let inputs = try FileModelInputs(model: model, inputs: [images], pipeline: FileModelPipeline(preprocessing: rescale))
            let map = try GradCAM(model: model).explain(try inputs.sample(0).input.image, layer: "conv2")
            XCTAssertEqual(map.layer, "conv2")
            XCTAssertEqual(map.heatmap.shape.prefix(2), [24, 24])
            XCTAssertGreaterThan(map.heatmap.values.max() ?? 0, 0, "a map of zeros explains nothing")
            maps.append(map.heatmap.values)
        }
        for other in maps.dropFirst() {
            XCTAssertLessThanOrEqual(zip(other, maps[0]).map { abs($0 - $1) }.max() ?? .infinity, 1e-5)
        }
    }

    // MARK: - eval and fine-tuning from a config

    /// Classes of 24x24 gray PNG images (brighter ones are class b), 12 of each.
    func imageFolder(_ classes: [(String, Double)] = [("a", 60), ("b", 150)]) throws -> URL {
        let folder = try temporaryFolder(self).appendingPathComponent("images")
        var random = RandomGenerator(seed: 5)
        for (label, base) in classes {
            let classFolder = folder.appendingPathComponent(label)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for index in 0..<12 {
                let values = (0..<576).map { _ in Float(Swift.min(255, Swift.max(0, base + 60 * (Double(random.nextUnit()) - 0.5))).rounded()) }
                try PNG.write(ImageArray(shape: [24, 24, 1], values: values), to: classFolder.appendingPathComponent("\(label)\(index).png"))
            }
        }
        return folder
    }

    func config(_ data: URL, model: String, epochs: Int = 2) throws -> ExperimentConfig {
        try ExperimentConfig(
            try ConfigValue.parse(
                yaml: """
                    experiment: files
                    data:
                      source: folder
                      folder: {path: \(data.path)}
                      split: {method: stratified, train: 0.5, validation: 0.25, test: 0.25}
                      preprocessing: none
                      transforms: {eval: [{name: scale, factor: 0.00392156862745098}]}
                    model: \(model)
                    train: {epochs: \(epochs), batch_size: 4, optimizer: {name: adam, lr: 0.01}}
                    eval: {threshold: youden}
                    """, source: "files.yaml"), source: "files.yaml")
    }

    /// `zoo eval MODEL --config`: the config's split and pipeline, no training; the test
    /// probabilities are the model's own (as zoo predict gives them), the threshold chosen on
    /// validation, and the evaluation is a run that predicts again.
    func testEvalOfAModelFileOnAConfigsDataWithoutTraining() throws {
        let data = try imageFolder()
        let file = try fixture("binary_cnn.keras")
        let base = try config(data, model: "{name: small_cnn}")
        let evaluation = try base.evaluating(modelFile: file)
        XCTAssertEqual(evaluation.model.from, file.standardizedFileURL.path)
        let runs = try temporaryFolder(self)
        let result = try ExperimentRunner(config: evaluation, runsRoot: runs, progress: quiet).run(evaluateOnly: true)
        XCTAssertTrue(result.history.isEmpty)
        XCTAssertNotNil(result.metrics.test.auc)
        XCTAssertEqual(result.metrics.threshold?.source, "validation")
        // The model's own probabilities on the same files.
        let model = try ImportedModel(contentsOf: file)
        let direct = try ModelFilePrediction.predict(
            model: model, inputs: result.test.ids.map { data.appendingPathComponent($0) }, pipeline: FileModelPipeline(preprocessing: rescale))
        for (ours, theirs) in zip(result.test.probabilities, direct.outputs) {
            XCTAssertEqual(ours[1], Double(theirs[1]), accuracy: 1e-6)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: result.run.url.appendingPathComponent("report.md").path))
        // The evaluation is a run: restored from its directory, it predicts the same.
        guard case .run(let restored) = try ModelArgument(result.run.url.path) else { return XCTFail("an evaluation run is a run") }
        XCTAssertEqual(try restored.evaluate().test.auc, result.metrics.test.auc)
        // A fixed threshold instead of the config's rule.
        let fixed = try ExperimentRunner(config: try base.evaluating(modelFile: file, threshold: "0.5"), runsRoot: runs, progress: quiet).run(evaluateOnly: true)
        XCTAssertEqual(fixed.metrics.threshold?.value, 0.5)
        // Every kind of model file gives the same evaluation.
        for other in try everyKind("binary_cnn").dropFirst() {
            let again = try ExperimentRunner(config: try base.evaluating(modelFile: other), runsRoot: runs, progress: quiet).run(evaluateOnly: true)
            XCTAssertEqual(try XCTUnwrap(again.metrics.test.auc).auc, try XCTUnwrap(result.metrics.test.auc).auc, accuracy: 1e-9, other.lastPathComponent)
        }
    }

    /// `zoo eval MODEL --data FOLDER`: every image, the file pipeline's preprocessing, a fixed
    /// threshold; the probabilities are zoo predict's.
    func testEvalOfAModelFileOnAFolderOfClasses() throws {
        let data = try imageFolder()
        let file = try fixture("binary_cnn.h5")
        let pipeline = FileModelPipeline(preprocessing: rescale)
        let config = try ExperimentConfig.evaluating(modelFile: file, data: data, pipeline: pipeline)
        let result = try ExperimentRunner(config: config, runsRoot: try temporaryFolder(self), progress: quiet).run(evaluateOnly: true)
        XCTAssertEqual(result.test.ids.count, 24, "every image")
        XCTAssertTrue(result.train.ids.isEmpty)
        XCTAssertEqual(result.metrics.threshold?.value, 0.5)
        XCTAssertNotNil(result.metrics.test.auc)
        let direct = try ModelFilePrediction.predict(
            model: try ImportedModel(contentsOf: file), inputs: result.test.ids.map { data.appendingPathComponent($0) }, pipeline: pipeline)
        for (ours, theirs) in zip(result.test.probabilities, direct.outputs) { XCTAssertEqual(ours[1], Double(theirs[1]), accuracy: 1e-6) }
        XCTAssertThrowsError(try ExperimentConfig.evaluating(modelFile: file, data: data.appendingPathComponent("nothing"), pipeline: pipeline)) { error in
            XCTAssertTrue("\(error)".contains("nothing") && "\(error)".contains("no such folder or CSV"), "\(error)")
        }
    }

    /// `model.from` with `head_from` and a new head, `freeze.up_to`: an ordinary run (checkpoints,
    /// restore, a run checkpoint as MODEL), the frozen layers keep the file's weights, and the
    /// export is a model Keras loads and predicts as Zoo does (keras_model_check.py).
    func testFineTuningAKerasFileUnderANewHeadIsAnOrdinaryRunThatKerasLoadsBack() throws {
        let data = try imageFolder()
        let file = try fixture("binary_cnn.keras")
        let config = try self.config(data, model: "{from: \(file.path), head_from: gap, head: [\"dropout 0.2\", \"dense 2\"], freeze: {up_to: conv2}}")
        let runs = try temporaryFolder(self)
        let result = try ExperimentRunner(config: config, runsRoot: runs, progress: quiet).run(name: "finetuned")
        XCTAssertEqual(result.history.count, 2)
        let restored = try RestoredRun(result.run.url)
        let imported = try XCTUnwrap(restored.model as? ImportedModel)
        XCTAssertEqual(imported.headLayers.map(\.name), ["dropout", "dense"], "the head's names do not repeat the file's")
        XCTAssertFalse(imported.layers.contains { $0.name == "score" }, "the file's top is replaced")
        let original = try ImportedModel(contentsOf: file)
        func weights(_ model: Model, _ layer: String) -> [Float] {
            model.layers.first { $0.name == layer }!.parameters.flatMap(\.value.scalars)
        }
        XCTAssertEqual(weights(imported, "conv1"), weights(original, "conv1"), "frozen up to conv2")
        XCTAssertEqual(weights(imported, "conv2"), weights(original, "conv2"), "frozen up to conv2")
        XCTAssertNotEqual(weights(imported, "bn2"), weights(original, "bn2"), "trained after conv2")
        // One of the run's checkpoints as MODEL is that run, with that checkpoint.
        guard case .run(let last) = try ModelArgument(result.run.lastCheckpoint.path) else { return XCTFail("a run's checkpoint is its run") }
        XCTAssertEqual(last.run.url.standardizedFileURL.path, result.run.url.standardizedFileURL.path)
        try exportForKeras(imported, name: "finetuned_binary_cnn_head")
    }

    /// `model.from` keeping the file's sigmoid top: trained as two-class logits, exported with
    /// the sigmoid back in place.
    func testFineTuningAKerasFileWithItsOwnSigmoidTop() throws {
        let data = try imageFolder()
        let file = try fixture("binary_cnn.h5")
        let config = try self.config(data, model: "{from: \(file.path), freeze: {fraction: 0.5}}")
        let result = try ExperimentRunner(config: config, runsRoot: try temporaryFolder(self), progress: quiet).run(name: "kept")
        let restored = try RestoredRun(result.run.url)
        let imported = try XCTUnwrap(restored.model as? ImportedModel)
        XCTAssertEqual(imported.fileOutput, .sigmoid)
        try exportForKeras(imported, name: "finetuned_binary_cnn_sigmoid")
        // Zoo's own import of the export: its sigmoid is the fine-tuned model's probability.
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("kept.keras")
        try imported.asFileModel { try KerasModelExport.save($0, to: url, format: .keras) }
        let back = try ImportedModel(contentsOf: url)
        XCTAssertEqual(back.fileOutput, .sigmoid)
        let x = try Tensor(shape: [2, 24, 24, 1], scalars: (0..<1152).map { Float($0 % 97) / 97 })
        let ours = try withoutGrad { try imported(x).softmax() }.scalars
        let theirs = try withoutGrad { try back(x).softmax() }.scalars
        XCTAssertLessThanOrEqual(zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity, 1e-6)
    }

    /// A config's model section: `from` with `name` or `weights`, `head_from` without `from`
    /// are refused; a head whose classes differ from the data's names the file.
    func testModelFromConfigMistakesAreErrors() throws {
        let data = try imageFolder()
        for (model, words) in [
            ("{name: resnet18, from: x.keras}", "not both"), ("{from: x.keras, weights: y.h5}", "own weights"),
            ("{name: small_cnn, head_from: gap}", "goes with model.from"),
        ] {
            XCTAssertThrowsError(try config(data, model: model), model) { error in XCTAssertTrue("\(error)".contains(words), "\(error)") }
        }
        let three = try imageFolder([("a", 40), ("b", 120), ("c", 200)])
        let file = try fixture("binary_cnn.keras")
        let config = try self.config(three, model: "{from: \(file.path)}")
        XCTAssertThrowsError(try ExperimentRunner(config: config, runsRoot: try temporaryFolder(self), progress: quiet).run(name: "x")) { error in
            XCTAssertTrue("\(error)".contains("binary_cnn.keras") && "\(error)".contains("2 classes") && "\(error)".contains("the data has 3"), "\(error)")
        }
    }

    /// Leaves `model` (as its file defines it) for Tests/Fixtures/keras_model_check.py when the
    /// test command asks (ZOO_EXPORT_DIR), with an input batch and Zoo's output on it.
    func exportForKeras(_ model: ImportedModel, name: String) throws {
        guard let folder = ProcessInfo.processInfo.environment["ZOO_EXPORT_DIR"].map({ URL(fileURLWithPath: $0) }) else { return }
        let x = try Tensor(shape: [2, 24, 24, 1], scalars: (0..<1152).map { Float(($0 * 7) % 255) / 255 })
        try model.asFileModel { fileModel in
            try KerasModelExport.save(fileModel, to: folder.appendingPathComponent("\(name).zoo-model.keras"), format: .keras)
            try writeNumpy(try withoutGrad { try fileModel(x) }, to: folder.appendingPathComponent("\(name).zoo-model.output.npy"))
        }
        try writeNumpy(x, to: folder.appendingPathComponent("\(name).zoo-model.input.npy"))
    }
}
