import Foundation
import ModelZoo
import ZooCore
import ZooData
import ZooHDF5
import ZooMetrics
import ZooNN
import ZooTensor

/// What one run produced.
public struct RunResult {
    public var run: RunDirectory
    public var architecture: String
    public var history: [EpochRecord]
    public var train: Predictions
    public var test: Predictions
    public var metrics: EvaluationMetrics
    public var trainingSeconds: Double
    /// Inference time per image on the test set (batched, this machine).
    public var millisecondsPerImage: Double
}

/// Runs an experiment config: data, split, model, training, evaluation, files.
public final class ExperimentRunner {
    public let config: ExperimentConfig
    public let runsRoot: URL
    public let progress: Progress
    /// A split to use instead of making one (the stages and members of a study share one).
    public var presetSplit: Split?
    /// Regions of interest by sample id: every image is cropped to its box (the second stage
    /// of a pipeline); kept with the run as roi.csv.
    public var regionBoxes: [String: RegionBox]?

    public init(config: ExperimentConfig, runsRoot: URL, progress: Progress = Progress()) {
        self.config = config
        self.runsRoot = runsRoot
        self.progress = progress
    }

    /// The model the config describes, with its weights file loaded and its layers frozen;
    /// every mismatch is reported before training starts.
    public func makeModel(classes: Int, inputShape: [Int], variant: ArchitectureVariant) throws -> Model {
        var options = ArchitectureOptions(classes: classes, inputShape: inputShape, classifierActivation: .linear)
        if let head = config.model.head {
            options.head = try HeadSpec(parsing: head)
            options.includeTop = false
        }
        if let pooling = config.model.pooling { options.pooling = GlobalPoolingMode(rawValue: pooling) }
        let model = try BuildContext.run(seed: config.seed) { try variant.make(options) }
        if let weights = config.model.weights {
            let options = WeightLoadOptions(strict: false, firstConvolution: variant.firstConvolution)
            let report = try KerasWeights.load(into: model, from: URL(fileURLWithPath: weights), options: options)
            progress.message("weights: \(report.loaded.count) loaded from \(weights), \(report.missing.count) missing (new), \(report.unexpected.count) unused")
        }
        if let momentum = config.model.batchNormMomentum {
            for case let norm as BatchNormalization in model.layers { norm.momentum = Float(momentum) }
        }
        if let fraction = config.model.freezeFraction { try model.freeze(fraction: fraction) }
        if !config.model.freezeNames.isEmpty { try model.freeze(names: config.model.freezeNames) }
        if let prefix = config.model.freezePrefix { try model.freeze(prefix: prefix) }
        return model
    }

    /// The model's input (spatial..., channels) for samples of `sampleShape`: the config's
    /// input shape or the variant's default size, with the channels the pipeline produces.
    public func inputShape(variant: ArchitectureVariant, sampleShape: [Int]) throws -> [Int] {
        let spatialDims = variant.defaultInput.count - 1
        guard sampleShape.count == spatialDims + 1 else {
            throw RunError(
                "model \(variant.name) takes \(spatialDims)D input like \(variant.defaultInput), but the data gives "
                    + "\(sampleShape.count - 1)D samples \(sampleShape)")
        }
        let spatial = config.model.inputShape.map { Array($0.prefix(spatialDims)) } ?? Array(variant.defaultInput.dropLast())
        let mode = config.data.preprocessing == "auto" ? variant.preprocessing.rawValue : config.data.preprocessing
        var channels = sampleShape.last! == 1 && (mode == "caffe" || mode == "torch") ? 3 : sampleShape.last!
        if let requested = config.model.inputShape, requested.count == spatialDims + 1 {
            // The pipeline converts gray to RGB (or back) when the model asks for it.
            guard [1, 3].contains(requested.last!), [1, 3].contains(sampleShape.last!) || requested.last == sampleShape.last else {
                throw RunError("model.input_shape \(requested) asks for \(requested.last!) channels; the data has \(sampleShape.last!)")
            }
            channels = requested.last!
        }
        return spatial + [channels]
    }

    /// The split of `dataset` the config asks for (or the one a resumed run saved).
    public func split(_ dataset: Dataset, saved: URL? = nil) throws -> Split {
        if let saved, FileManager.default.fileExists(atPath: saved.path) { return try Split.load(from: saved) }
        if let presetSplit { return presetSplit }
        let s = config.data.split
        if s.method == "kfold" {
            return try Splitter.kFold(dataset, folds: s.folds, fold: s.fold, seed: config.seed)
        }
        let parts = [("train", s.train), ("validation", s.validation), ("test", s.test)].filter { $0.1 > 0 }
        return try Splitter.split(
            dataset, fractions: parts, stratified: s.method == "stratified" || s.method == "grouped",
            grouped: true, seed: config.seed)
    }

    /// Trains and evaluates one run; `resume` continues a run directory from its last checkpoint.
    public func run(name: String? = nil, resume: RunDirectory? = nil) throws -> RunResult {
        var dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
        guard dataset.count > 0 else { throw RunError("the data source gives no samples") }
        if let regionBoxes { dataset = RegionCropDataset(dataset, boxes: regionBoxes) }
        let first = try dataset.sample(at: 0)
        let classes = Swift.max(dataset.classNames.count, 2)
        let variant = try ModelZoo.variant(config.model.name)
        let input = try inputShape(variant: variant, sampleShape: first.image.shape)
        let model = try makeModel(classes: classes, inputShape: input, variant: variant)
        try GradCAMFigures.check(config.eval.gradcamLayers, model: model, task: variant.task)
        let run = try resume ?? RunDirectory.create(
            root: runsRoot, experiment: config.experiment, run: name ?? "\(variant.name)-\(Self.timestamp())")
        if resume == nil { try? FileManager.default.removeItem(at: run.log) }
        try config.resolved.json.write(to: run.config, atomically: true, encoding: .utf8)
        if let regionBoxes {
            try RegionCropDataset.csv(regionBoxes).write(to: run.regions, atomically: true, encoding: .utf8)
        }
        if let base = config.baseDirectory {
            try (base.standardizedFileURL.path + "\n").write(to: run.origin, atomically: true, encoding: .utf8)
        }
        let split = try self.split(dataset, saved: resume.map { $0.split })
        try split.save(to: run.split)
        let trainIndices = try split.indices("train", in: dataset)
        let validationIndices = split.parts["validation"] != nil ? try split.indices("validation", in: dataset) : []
        let testIndices = split.parts["test"] != nil ? try split.indices("test", in: dataset) : validationIndices

        let pipeline = try TransformPipeline(
            config.data, variant: variant, inputSize: Array(input.dropLast()), sourceChannels: first.image.shape.last!,
            channels: input.last!)
        let batch = config.train.batchSize
        func loader(_ indices: [Int], train: Bool) throws -> DataLoader {
            try DataLoader(
                dataset: dataset, indices: indices, transform: train ? pipeline.train : pipeline.eval,
                options: .init(batchSize: batch, shuffle: train, workers: 2), seed: config.seed)
        }
        let trainLoader = try loader(trainIndices, train: true)
        let validationLoader = validationIndices.isEmpty ? nil : try loader(validationIndices, train: false)

        let source = "config"
        let labels = trainIndices.compactMap { dataset.info(at: $0).label }
        let weights = try TrainingFactory.classWeights(config.train.classWeights, labels: labels, classes: classes, source: source)
        let loss = try TrainingFactory.loss(config.train.loss, classWeights: weights, source: source)
        let optimizer = try TrainingFactory.optimizer(config.train.optimizer, source: source)
        let schedule = try TrainingFactory.schedule(
            config.train.schedule, learningRate: optimizer.learningRate, epochs: config.train.epochs,
            stepsPerEpoch: trainLoader.batchCount, source: source)
        let (stopping, monitor) = try TrainingFactory.earlyStopping(config.train.earlyStopping, hasValidation: validationLoader != nil, task: variant.task, source: source)
        let trainer = Trainer(
            model: model, task: variant.task, loss: loss, optimizer: optimizer, schedule: schedule,
            epochs: config.train.epochs, earlyStopping: stopping, monitor: monitor, run: run, progress: progress,
            configJSON: config.resolved.json)
        var (startEpoch, startStep) = (0, 0)
        if resume != nil, FileManager.default.fileExists(atPath: run.lastCheckpoint.path) {
            let state = try Checkpoint.load(into: model, optimizer: optimizer, from: run.lastCheckpoint)
            (startEpoch, startStep) = (state.epoch, state.scheduleStep)
            progress.message("resuming \(run.url.lastPathComponent) after epoch \(startEpoch)")
        }
        progress.message("\(variant.name): \(trainIndices.count) training, \(validationIndices.count) validation, \(testIndices.count) test samples; \(model.parameterCounts.trainable) trainable parameters")
        let started = Date()
        let history = try trainer.fit(train: trainLoader, validation: validationLoader, startEpoch: startEpoch, startStep: startStep)
        let trainingSeconds = Date().timeIntervalSince(started)
        if stopping == nil || !(stopping!.restoreBest), FileManager.default.fileExists(atPath: run.bestCheckpoint.path), validationLoader != nil {
            _ = try Checkpoint.load(into: model, from: run.bestCheckpoint)
        }
        let (trainPredictions, testPredictions, perImage) = try Predictor(models: [model], task: variant.task, loss: loss).trainAndTest(
            train: try loader(trainIndices, train: false), test: try loader(testIndices, train: false))
        let metrics = try EvaluationMetrics(train: trainPredictions, test: testPredictions, task: variant.task, eval: config.eval, seed: config.seed)
        try Evaluation.writePredictions(train: trainPredictions, test: testPredictions, classNames: dataset.classNames, in: run)
        let timing = String(format: "{\"architecture\": \"%@\", \"training_seconds\": %.3f, \"ms_per_image\": %.3f, \"task\": \"%@\"}\n", variant.name, trainingSeconds, perImage, variant.task.rawValue)
        try timing.write(to: run.timing, atomically: true, encoding: .utf8)
        let result = RunResult(
            run: run, architecture: variant.name, history: history, train: trainPredictions, test: testPredictions,
            metrics: metrics, trainingSeconds: trainingSeconds, millisecondsPerImage: perImage)
        let summary = "\(variant.name) (\(model.parameterCounts.total) parameters, \(model.parameterCounts.trainable) trainable) "
            + "on \(config.data.source) data: \(trainIndices.count) training, \(validationIndices.count) validation, "
            + "\(testIndices.count) test samples; \(history.count) epochs of batch \(batch); threshold rule \(config.eval.threshold)."
        let gradCAM = try GradCAMFigures.write(
            layers: config.eval.gradcamLayers, model: model, variant: variant, dataset: dataset, indices: testIndices,
            transform: pipeline.eval, seed: config.seed, run: run)
        try RunReport(experiment: config.experiment, result: result, summary: summary, metrics: config.eval.metrics, extraFigures: gradCAM).write()
        // metrics.json last: its presence marks the run finished.
        try metrics.json.write(to: run.metrics, atomically: true, encoding: .utf8)
        return result
    }

    /// A finished run read back from its files (a sweep skips trials that have finished).
    public static func finished(_ run: RunDirectory, eval: EvalConfig, seed: UInt64) throws -> RunResult {
        guard let data = try? Data(contentsOf: run.timing),
            let timing = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let architecture = timing["architecture"] as? String,
            let task = (timing["task"] as? String).flatMap(ArchitectureTask.init(rawValue:))
        else { throw RunError("\(run.url.path) has no readable timing.json; delete the run to train it again") }
        let train = try Evaluation.readPredictions(from: run.trainPredictions)
        let test = try Evaluation.readPredictions(from: run.predictions)
        return RunResult(
            run: run, architecture: architecture, history: [], train: train, test: test,
            metrics: try EvaluationMetrics(train: train, test: test, task: task, eval: eval, seed: seed),
            trainingSeconds: timing["training_seconds"] as? Double ?? 0, millisecondsPerImage: timing["ms_per_image"] as? Double ?? 0)
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
