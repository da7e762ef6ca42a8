import ArgumentParser
import Foundation
import ModelZoo
import ZooData
import ZooExplain
import ZooPlots
import ZooHDF5
import ZooKeras
import ZooKit
import ZooCore
import ZooNN

@main
struct Zoo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "Train, compare and evaluate medical-imaging CNNs from YAML experiment configs.",
        discussion: """
            Experiments live under zoo/ (one folder per study); each runs as it is on built-in phantom data, and on your own data by changing its data: section. Runs are written to runs/.

            Examples:
              zoo list --models "resnet*"
              zoo train zoo/lidc/lidc.yaml --set train.epochs=5
              zoo sweep zoo/quickstart.yaml
              zoo predict runs/quickstart/resnet18 images/ --output predictions.csv
              zoo compare runs/quickstart/small_cnn/predictions.csv runs/quickstart/resnet18/predictions.csv
              zoo data export zoo/lidc/lidc.yaml --output lidc-phantom/
              zoo bench --workload w2_resnet18_train
              zoo inspect weights.h5
              zoo gradcam runs/quickstart/resnet18 --samples 2
              zoo export-keras runs/quickstart/resnet18 --output resnet18.h5
            """,
        subcommands: [
            List.self, Train.self, Sweep.self, Evaluate.self, Predict.self, Compare.self, GradCAMCommand.self, Inspect.self,
            ImportKeras.self, ExportKeras.self, DataCommand.self, BenchCommand.self,
        ])

    // Not the configuration's `version:`: that string is built when the arguments are parsed,
    // for every command, and building it starts the engine (OpenBLAS, oneDNN, the thread
    // count). `zoo bench --threads N` then came too late, and ran on every core.
    @Flag(help: "Print Zoo's version and the numeric setup a result depends on (BLAS kernel, convolution plans, CPU, threads), then exit.")
    var version = false

    func run() throws {
        guard version else { throw CleanExit.helpRequest(self) }
        print(ZooVersion.description)
    }
}

/// Options every training command shares.
struct ExperimentOptions: ParsableArguments {
    @Argument(help: "The experiment config (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set train.optimizer.lr=3e-4 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Where run directories go.")
    var runs: String = "runs"

    var configURL: URL { URL(fileURLWithPath: config) }
    var runsURL: URL { URL(fileURLWithPath: runs) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the architectures of the catalog with their parameter counts, or one architecture's layers.",
        discussion: """
            Examples:
              zoo list --models "densenet*"
              zoo list --summary resnet50    (Keras's model.summary(): layers, output shapes, parameters, connections)
            """)

    @Option(help: "A glob over catalog names (* and ?).")
    var models: String = "*"

    @Option(help: ArgumentHelp("Print the layer table of one architecture at its default input, as Keras's model.summary() does.", valueName: "name"))
    var summary: String?

    func run() throws {
        guard let summary else { return print(ModelZoo.table(matching: models)) }
        let variant = try ModelZoo.variant(summary)
        print(try ModelSummary(BuildContext.run(seed: 0) { try variant.make() }))
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train one model as a config describes, then evaluate it on the test split.",
        discussion: """
            Writes runs/<experiment>/<run>/: config.json, pipeline.txt (the training and evaluation pipelines), split.json, checkpoints (best, last), log.csv, predictions (train, validation, test), metrics.json (with the threshold and the split it was chosen on), report.md and report.html with their figures (training curves, ROC, confusion matrix, Grad-CAM of eval.gradcam). Ctrl-C saves the last checkpoint; --resume RUN continues it with the run's own config (no config argument needed). Ensembles and pipelines run with zoo sweep.

            Data-parallel over MPI (a zoo built with `swift build -c release --traits MPI`): under mpirun or srun --mpi=pmix each rank trains on its shard of every global batch (train.batch_size), the gradients are summed over the ranks before every optimizer step, batch normalization keeps per-rank statistics (train.sync_batch_norm: true sums them over the ranks), and rank 0 alone writes the run; --resume RUN resumes every rank from rank 0's checkpoint. The loss must be a mean over samples (cross_entropy, binary_cross_entropy).

            Examples:
              zoo train zoo/lidc/lidc.yaml --set train.epochs=5 --set data.phantom.count=200
              zoo train --resume runs/lidc/small_cnn-20261127-101500
              mpirun -np 4 zoo train zoo/lidc/lidc.yaml
            """)

    @Argument(help: "The experiment config (YAML); with --resume the run's own config is used.")
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a config key, e.g. --set train.optimizer.lr=3e-4 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Where run directories go.")
    var runs: String = "runs"

    @Option(help: "Continue an interrupted run directory from its last checkpoint, with the config it recorded.")
    var resume: String?

    @Option(help: "Name of the run directory (default: architecture and time).")
    var name: String?

    func run() throws {
        let resumed = try resume.map { try RunDirectory.existing(URL(fileURLWithPath: $0)) }
        let config: ExperimentConfig
        if let resumed {
            config = try resumed.experimentConfig
            if let path = self.config {
                // A config given with --resume must be the run's: resuming under another
                // protocol would mix two in one run.
                let given = try ExperimentConfig.load(URL(fileURLWithPath: path), overrides: overrides)
                let differences = try ConfigValue.differences(config.resolved, given.resolved)
                guard differences.isEmpty else {
                    throw ValidationError(
                        "\(path) differs from the config \(resumed.url.path) ran with (\(differences.prefix(5).joined(separator: ", "))); "
                            + "--resume continues a run as it was configured: leave out the config, or start a new run")
                }
            } else if !overrides.isEmpty {
                throw ValidationError("--set cannot change a resumed run; it continues with the config it recorded (\(resumed.config.path))")
            }
        } else {
            guard let path = self.config else { throw ValidationError("zoo train needs a config (or --resume RUN)") }
            config = try ExperimentConfig.load(URL(fileURLWithPath: path), overrides: overrides)
        }
        guard config.ensemble == nil, config.stages.isEmpty else {
            throw ValidationError("\(self.config ?? "the config") is an ensemble or a pipeline of stages; run it with `zoo sweep`")
        }
        // Under mpirun or srun every rank trains its shard; rank 0 alone speaks and writes.
        let speaks = ParallelLaunch.rank() == 0
        let runner = ExperimentRunner(
            config: config, runsRoot: URL(fileURLWithPath: runs), progress: speaks ? Progress() : Progress(interactive: false, write: { _ in }))
        let result = try runner.run(name: name, resume: resumed)
        guard speaks else { return }
        print(try Report(experiment: config.experiment, results: [result], metrics: config.eval.metrics).markdown)
        print("run: \(result.run.url.path)")
    }
}

struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a study: a sweep over architectures, an ensemble, or a pipeline of stages, and compare.",
        discussion: """
            A sweep: section trains one protocol per architecture (sweep.workers > 1 runs them as that many processes sharing the cores); an ensemble: section trains its members on one split and evaluates their averaged probabilities; a stages: section runs a pipeline (segmentation, then classification of the regions the best segmentation model finds). Finished trials are read back, not retrained. Prints and writes runs/<experiment>/report.md and report.html: AUC with 95% CI and threshold metrics on train and test, training and inference time, pairwise DeLong p-values, NRI and IDI of the best model against each other, and the ROC figure (roc.svg); Dice and per-scan detection for segmentation.

            Examples:
              zoo sweep zoo/quickstart.yaml
              zoo sweep zoo/lung_ultrasound/lung_ultrasound.yaml --set train.epochs=20 --set sweep.workers=2
              zoo sweep zoo/parotid_ultrasound/parotid_ultrasound.yaml --set train.epochs=4
              zoo sweep zoo/lung_ultrasound/lung_ultrasound.yaml --only resnet50

            On a SLURM cluster (sweep.backend: slurm, or --backend slurm; resources in sweep.slurm: partition, time, cpus_per_task, mem, account, array_limit, extra), the unfinished trials are one job array, index i running `zoo sweep CONFIG --only TRIAL_i` in the shared runs folder; zoo waits for it and writes the same report. The zoo executable, the config and the runs folder must be on a file system every node sees. A trial that failed is named with its state and log (runs/<experiment>/slurm/<job>_<index>.log), no report is written, and the next `zoo sweep` submits only the unfinished trials.
              zoo sweep zoo/lung_ultrasound/lung_ultrasound.yaml --backend slurm --set sweep.slurm.partition=gpu
              zoo sweep zoo/lung_ultrasound/lung_ultrasound.yaml --backend slurm --no-wait   (then --collect)
              zoo sweep zoo/lung_ultrasound/lung_ultrasound.yaml --backend slurm --dry-run   (prints the sbatch script)
            """)

    @OptionGroup var experiment: ExperimentOptions

    @Option(help: "Run only this sweep trial (repeatable); the report is left to the full run.")
    var only: [String] = []

    @Option(help: "Where the trials run: local or slurm (sets sweep.backend).")
    var backend: String?

    @Flag(help: "With slurm: submit the job array and return; --collect writes the report later.")
    var noWait = false

    @Flag(help: "With slurm: submit nothing; write the report if every trial has finished, else name the unfinished ones.")
    var collect = false

    @Flag(help: "With slurm: print the sbatch script that would be submitted, and submit nothing.")
    var dryRun = false

    func validate() throws {
        if let backend, !SweepConfig.Backend.allCases.map(\.rawValue).contains(backend) {
            throw ValidationError("--backend \(backend) is not one of \(SweepConfig.Backend.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if [noWait, collect, dryRun].filter({ $0 }).count > 1 {
            throw ValidationError("--no-wait, --collect and --dry-run exclude each other")
        }
    }

    func run() throws {
        let overrides = experiment.overrides + (backend.map { ["sweep.backend=\($0)"] } ?? [])
        let study = try StudyRunner(configURL: experiment.configURL, overrides: overrides, runsRoot: experiment.runsURL)
        study.only = Set(only)
        study.workerExecutable = Bundle.main.executableURL
        if noWait || collect || dryRun {
            guard study.config.sweep?.backend == .slurm else {
                throw ValidationError("--no-wait, --collect and --dry-run apply to sweep.backend: slurm (add --backend slurm)")
            }
        }
        if dryRun {
            print(try study.slurmScript(), terminator: "")
            return
        }
        study.clusterAction = noWait ? .submit : collect ? .collect : .submitAndWait
        Interrupt.install()
        if study.config.crossValidation != nil {
            print(try study.runCrossValidation().markdown)
            return
        }
        for report in try study.run() { print(report.markdown) }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a weight file's format, layers, and every weight's path, shape and dtype; for a whole Keras model, its layer table too.",
        discussion: "Example: zoo inspect runs/lidc/small_cnn/checkpoints/best.h5")

    @Argument(help: "A Keras .h5 / .weights.h5 / .keras file or a Zoo checkpoint.")
    var file: String

    func run() throws {
        let url = URL(fileURLWithPath: file)
        print(try inspectWeightFile(url))
        // A .keras archive or a full-model .h5 also describes the model: its summary follows.
        if let config = try KerasModelFile.modelConfig(url) {
            let model = try BuildContext.run(seed: 0) { try KerasModelImport.build(config: config) }
            print("\n" + (try ModelSummary(model)).description)
        }
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a run's checkpoint again, or any model file on a config's data, and print the metrics.",
        discussion: """
            A run directory (or one of its checkpoints) is evaluated on its own sets: the run's table (every set, the threshold and where it was chosen, the per-class table and decision curve of the test set); --format json prints metrics.json's layout at full precision.

            A model file (.keras, full-model .h5, or a Zoo checkpoint from zoo import-keras) with --config is evaluated on that config's data, split and evaluation pipeline without training: the threshold is chosen on the config's validation part by its eval.threshold rule (or --threshold T), and every set gets AUC with its DeLong CI, the threshold metrics, ROC and confusion matrix (Dice and volumes for segmentation). The evaluation is written as a run (runs/<experiment>/eval-<model>-<time>/: report.md, report.html, figures, predictions, the model's weights as its checkpoint), which zoo predict, zoo gradcam and zoo export-keras take like any run. Set data.preprocessing and data.interpolation (pillow_bilinear as Keras's loaders) to the model's.

            Examples:
              zoo eval runs/lidc/small_cnn-20261127-101500
              zoo eval colleague.keras --config zoo/lung_ultrasound/lung_ultrasound.yaml --set data.preprocessing=tf
              zoo eval colleague.keras --config my-test-data.yaml --threshold 0.5
              zoo eval colleague.keras --data test-images/ --preprocessing rescale:0.00392156862745098 --threshold 0.5

            With --data (a folder of class subfolders, or a CSV of path and label), every image is evaluated, resized to the model's input by Pillow's rules (--interpolation) and preprocessed as --preprocessing says, at --threshold (default 0.5: there is no validation part to choose one on).
            """)

    @Argument(help: "A run directory or checkpoint, or a model file (with --config).")
    var model: String

    @Option(help: "Model files: the config whose data, split and evaluation are used.")
    var config: String?

    @Option(help: "Model files: a folder of class subfolders or a CSV (path, label) to evaluate on, every image (instead of --config).")
    var data: String?

    @OptionGroup var file: FilePipelineOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("Model files: override a key of --config (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Model files: the threshold (a probability, youden or sensitivity:S; default: the config's eval.threshold).")
    var threshold: String?

    @Option(help: "Model files: where the evaluation run is written.")
    var runs: String = "runs"

    @Option(help: "text (tables) or json (every number).")
    var format: OutputFormat = .text

    func run() throws {
        let result: RunResult
        let metrics: [ReportMetric]?
        var written = false
        switch try ModelArgument(model) {
        case .run(let restored):
            guard config == nil, data == nil, overrides.isEmpty, threshold == nil, file.given.isEmpty else {
                throw ValidationError("\(model) is a run: it is evaluated with its own config, data and threshold (--config, --data, --set, --threshold and the image options are for model files)")
            }
            result = try restored.evaluateRun()
            metrics = restored.config.eval.metrics
        case .file(let imported):
            let evaluation: ExperimentConfig
            switch (config, data) {
            case (let config?, nil):
                guard file.given.isEmpty else {
                    throw ValidationError("\(file.given.joined(separator: ", ")): with --config the config's data section prepares the images (set data.preprocessing, data.interpolation with --set)")
                }
                let base = try ExperimentConfig.load(URL(fileURLWithPath: config), overrides: overrides)
                evaluation = try base.evaluating(modelFile: imported.file, threshold: threshold)
            case (nil, let data?):
                guard overrides.isEmpty else { throw ValidationError("--set changes a --config; with --data the options say how images are prepared") }
                evaluation = try ExperimentConfig.evaluating(
                    modelFile: imported.file, data: URL(fileURLWithPath: data), pipeline: try file.pipeline(), threshold: threshold ?? "0.5")
            default:
                throw ValidationError("\(model) is a model file: give the data to evaluate it on with --config CONFIG (its data, split and evaluation pipeline) or --data FOLDER|CSV")
            }
            result = try ExperimentRunner(config: evaluation, runsRoot: URL(fileURLWithPath: runs)).run(evaluateOnly: true)
            metrics = evaluation.eval.metrics
            written = true
        }
        switch format {
        case .json: print(try result.metrics.json, terminator: "")
        case .text:
            // The tables only: the figures are in the run's report.
            var document = try Report(experiment: result.run.url.lastPathComponent, results: [result], metrics: metrics).document
            document.blocks = document.blocks.filter { if case .figure = $0 { return false } else { return true } }
            print(document.markdown)
            if written { print("run: \(result.run.url.path)") }
        }
    }
}

struct GradCAMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcam",
        abstract: "Write Grad-CAM overlays (PNG) for test samples of a run, or for images with any model file, at any named layer.",
        discussion: """
            Each sample gets a figure (SVG: the image, the map over it and the map alone with its colour bar, at least 256 pixels wide each, titled with the true class, the predicted class and its probability, and the layer; volumes as three slices through the map's maximum) and the overlay alone (PNG). The default layer is the last one whose map is at least 7x7 at the input's size (ResNet's last block at 224 pixels); Keras names work (conv5_block3_out, or a unit prefix such as conv5_block3_2). A volume's PNG overlay is its mid-slice montage. A model file's images are prepared by the same options as zoo predict's (--size, --channels, --interpolation, --preprocessing, --classes); the class explained is the predicted one, or --class.

            Examples:
              zoo gradcam runs/ct/resnet50 --layer conv5_block3_2 --samples 4 --output gradcam/
              zoo gradcam colleague.keras images/ --layer conv5_block3_out --preprocessing caffe --output gradcam/
            """)

    @Argument(help: "A run directory or checkpoint, or a model file.")
    var model: String

    @Argument(help: "Model files: the images to explain (files, folders, CSVs with a path column).")
    var images: [String] = []

    @Option(help: "The layer (Keras name); default: the last convolutional layer.")
    var layer: String?

    @Option(help: "Runs: how many test samples.")
    var samples: Int = 4

    @Option(name: .customLong("class"), help: "The class to explain (index or --classes name; default: the predicted class).")
    var explainedClass: String?

    @Option(help: "The folder for the figures (SVG: image, overlay, map with its colour bar, titled) and the overlays (PNG).")
    var output: String = "gradcam"

    @Option(help: "viridis (perceptually uniform) or jet.")
    var colormap: String = "viridis"

    @Option(help: "gradcam or gradcam++.")
    var method: String = "gradcam"

    @OptionGroup var file: FilePipelineOptions

    func run() throws {
        let folder = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch try ModelArgument(model) {
        case .run(let restored):
            try ModelArgument.refuse(fileOptions: file.given + (images.isEmpty ? [] : ["images"]), forRun: model)
            let gradCAM = GradCAM(model: restored.model)
            let names = restored.dataset.classNames
            let classIndex = try explainedClass.map { try Self.classIndex($0, names: names) }
            for index in try restored.indices("test").prefix(samples) {
                let sample = try restored.prepared(index)
                let map = try gradCAM.explain(sample.image, layer: layer, classIndex: classIndex, method: try chosenMethod())
                try write(map, on: sample.image, id: sample.id, trueClass: sample.label.map { GradCAMFigure.className($0, in: names) }, names: names, to: folder)
            }
        case .file(let imported):
            guard !images.isEmpty else { throw ValidationError("\(model) is a model file: name the images to explain") }
            let inputs = try FileModelInputs(model: imported, inputs: images.map { URL(fileURLWithPath: $0) }, pipeline: try file.pipeline())
            guard !inputs.segmentation else { throw ValidationError("\(model): Grad-CAM explains classifiers; this model segments") }
            guard inputs.vectorInputs.isEmpty else {
                throw ValidationError("\(model): Grad-CAM explains a model of one image input; this one also takes \(inputs.vectorInputs.map(\.name).joined(separator: ", "))")
            }
            FileHandle.standardError.write(Data((inputs.header + "\n").utf8))
            let gradCAM = GradCAM(model: imported)
            let classIndex = try explainedClass.map { try Self.classIndex($0, names: inputs.columns) }
            for index in 0..<inputs.files.count {
                let sample = try inputs.sample(index)
                let map = try gradCAM.explain(sample.input.image, layer: layer, classIndex: classIndex, method: try chosenMethod())
                try write(map, on: sample.resized.image, id: sample.original.id, trueClass: nil, names: inputs.columns, to: folder)
            }
        }
    }

    func write(_ map: GradCAMMap, on image: ImageArray, id: String, trueClass: String?, names: [String], to folder: URL) throws {
        guard let colors = Colormap(rawValue: colormap) else { throw ValidationError("--colormap '\(colormap)': viridis or jet") }
        let stem = URL(fileURLWithPath: id).deletingPathExtension().deletingPathExtension().lastPathComponent
        let base = folder.appendingPathComponent("\(stem)-\(map.layer)-class\(map.classIndex)")
        let title = GradCAMFigure.title(
            sample: stem, trueClass: trueClass, predictedClass: GradCAMFigure.className(map.classIndex, in: names), probability: map.probability)
        try GradCAMFigure.write(map, on: image, title: title, to: base, colormap: colors)
        print("\(base.path).svg: layer \(map.layer), class \(map.classIndex), score \(map.score)")
    }

    func chosenMethod() throws -> GradCAMMethod {
        guard let chosen = GradCAMMethod(rawValue: method) else { throw ValidationError("--method '\(method)': gradcam or gradcam++") }
        return chosen
    }

    static func classIndex(_ text: String, names: [String]) throws -> Int {
        if let position = names.firstIndex(of: text) { return position }
        if let number = Int(text), number >= 0, names.isEmpty || number < names.count { return number }
        throw ValidationError("--class '\(text)': not one of \(names.joined(separator: ", ")) or their indices")
    }
}

struct ExportKeras: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-keras",
        abstract: "Write a run's trained model for Keras: a .keras archive, a full-model .h5, or a Keras 2 weights file.",
        discussion: """
            --format keras (default for a .keras output) writes what keras.saving.load_model reads: the architecture and the weights. --format h5 writes the same as a full-model .h5 (model.save("x.h5")). --format weights (default otherwise) writes the weights alone, for keras.Model.load_weights on the same architecture. A catalog model ends in logits, as Zoo trains it (probabilities are their softmax); a model fine-tuned from a file (model.from) goes back with the file's own softmax or sigmoid.

            Examples:
              zoo export-keras runs/ct/resnet50 --output resnet50-finetuned.keras
              zoo export-keras runs/ct/resnet50 --output resnet50-finetuned.h5 --format h5
            """)

    @Argument(help: "A run directory.")
    var runDirectory: String

    @Option(help: "The file to write.")
    var output: String

    @Option(help: "keras, h5 or weights (default: keras for a .keras output, else weights).")
    var format: KerasModelExport.Format?

    func run() throws {
        let restored = try RestoredRun(URL(fileURLWithPath: runDirectory))
        let url = URL(fileURLWithPath: output)
        let chosen = format ?? (url.pathExtension == "keras" ? .keras : .weights)
        if let imported = restored.model as? ImportedModel {
            // A model fine-tuned from a file goes back as the file defined it (its softmax or
            // sigmoid in place).
            try imported.asFileModel { try KerasModelExport.save($0, to: url, format: chosen) }
        } else {
            try KerasModelExport.save(restored.model, to: url, format: chosen)
        }
        print("wrote \(output) (\(chosen.rawValue)): \(restored.model.namedParameters.count) weights of \(restored.variant.name)")
    }
}

extension KerasModelExport.Format: ExpressibleByArgument {}

struct ImportKeras: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-keras",
        abstract: "Rebuild a model from a Keras .keras archive or full-model .h5 and save it as a Zoo checkpoint.",
        discussion: "The checkpoint records the architecture beside the weights, so zoo predict, zoo eval, zoo gradcam and model.from take it as they take the Keras file.\nExample: zoo import-keras finetuned.keras --output finetuned-zoo.h5")

    @Argument(help: "A .keras archive or a full-model .h5 file.")
    var file: String

    @Option(help: "The Zoo checkpoint to write.")
    var output: String

    func run() throws {
        let (model, report) = try ImportedModel.writeCheckpoint(of: URL(fileURLWithPath: file), to: URL(fileURLWithPath: output))
        print(report)
        print("wrote \(output): \(model.layers.count) layers, \(model.parameterCounts.total) parameters")
    }
}
