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
    /// nil when the run had no validation split.
    public var validation: Predictions?
    public var test: Predictions
    /// The external test sets' predictions, by name (`data.test_sets`).
    public var external: [(name: String, predictions: Predictions)] = []
    public var metrics: EvaluationMetrics
    /// With `eval.aggregate`, `metrics` and the predictions are per patient and these are the
    /// same metrics per image, reported beside them.
    public var imageMetrics: EvaluationMetrics?
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

    /// Checks everything that needs no data: the architecture name, the optimizer, loss,
    /// schedule, early stopping, threshold rule and transforms. A study checks every trial
    /// this way before the first one trains.
    public func preflight() throws {
        let variant = try config.architecture()
        // An input below the architecture's minimum fails when the model is built; a sweep
        // (on SLURM above all) must not learn that only once the trial's job runs.
        // (A shape of the other rank, 2D for a 3D network, is left to the data check, which says so.)
        if let shape = config.model.inputShape, shape.count == variant.defaultInput.count {
            _ = try variant.resolvedInput(ArchitectureOptions(classes: 2, inputShape: shape, classifierActivation: .linear))
        }
        // The train section was read into typed specs with the config; what depends on the
        // length of the training is checked here.
        _ = try config.train.schedule.make(learningRate: 1e-3, epochs: config.train.epochs, stepsPerEpoch: 1)
        let channels = variant.defaultInput.last!
        _ = try TransformPipeline(
            config.data, variant: variant, inputSize: Array(variant.defaultInput.dropLast()), sourceChannels: channels, channels: channels)
    }

    /// The config's dataset, cropped to the regions of interest when a stage has them.
    public func dataset() throws -> Dataset {
        let dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
        guard dataset.count > 0 else { throw RunError("the data source gives no samples") }
        return regionBoxes.map { RegionCropDataset(dataset, boxes: $0) } ?? dataset
    }

    /// `dataset` with every file opened once: an unreadable one stops the run here, naming
    /// the file, or is left out under `data.on_error: skip` (and returned, to be listed).
    public func checked(_ dataset: Dataset) throws -> (dataset: Dataset, skipped: [DataCheck.Unreadable]) {
        let unreadable = DataCheck.unreadable(dataset)
        guard !unreadable.isEmpty else { return (dataset, []) }
        guard config.data.onError == .skip else {
            let more = unreadable.count > 1 ? " (and \(unreadable.count - 1) more unreadable files; data.on_error: skip leaves them out)" : ""
            throw RunError("\(unreadable[0].message)\(more)")
        }
        let bad = Set(unreadable.map(\.id))
        let kept = (0..<dataset.count).filter { !bad.contains(dataset.info(at: $0).id) }
        guard !kept.isEmpty else { throw RunError("no file of the data source can be read; the first: \(unreadable[0].message)") }
        progress.message("skipped \(unreadable.count) unreadable files (data.on_error: skip), the first: \(unreadable[0].message)")
        return (Subset(dataset, indices: kept), unreadable)
    }

    /// The data this run trains on, as a fingerprint.
    public func fingerprint(of dataset: Dataset) -> RunFingerprint {
        var fingerprint = RunFingerprint(dataset: dataset, extra: regionBoxes.map(RegionCropDataset.csv) ?? "")
        fingerprint.model = RunFingerprint.files([config.model.from, config.model.weights].compactMap { $0 }.map(config.resolvedPath))
        return fingerprint
    }

    /// The model the config describes, with its weights file loaded and its layers frozen;
    /// every mismatch is reported before training starts.
    public func makeModel(classes: Int, inputShape: [Int], variant: ArchitectureVariant) throws -> Model {
        var options = ArchitectureOptions(classes: classes, inputShape: inputShape, classifierActivation: .linear)
        if let head = config.model.head {
            options.head = head
            options.includeTop = false
        }
        if let pooling = config.model.pooling { options.pooling = pooling }
        let model = try BuildContext.run(seed: config.seed) { try variant.make(options) }
        if let weights = config.model.weights {
            // A one-channel input takes the gray form of the preprocessing; the first kernel
            // is adapted to it (WeightLoadOptions.grayInput).
            let mode = config.data.preprocessing(for: variant)
            let gray = (mode == .none ? nil : mode).map {
                WeightLoadOptions.GrayInput(channelMeans: $0.channelMeans, channelDeviations: $0.channelDeviations, grayMean: $0.grayMean, grayDeviation: $0.grayDeviation)
            }
            let options = WeightLoadOptions(
                allowMissing: config.model.allowMissing, allowUnexpected: config.model.allowUnexpected,
                skipMismatch: config.model.skipMismatch, prefixMap: config.model.prefixMap.map { WeightLoadOptions.PrefixRule(from: $0.from, to: $0.to) },
                firstConvolution: variant.firstConvolution, grayInput: gray)
            let url = config.resolvedPath(weights)
            let report = try KerasWeights.load(into: model, from: url, options: options)
            for line in report.adapted { progress.message("weights: \(line)") }
            progress.message("weights: \(report.loaded.count) loaded from \(weights), \(report.missing.count) missing (new), \(report.unexpected.count) unused")
        }
        if let momentum = config.model.batchNormMomentum {
            for case let norm as BatchNormalization in model.layers { norm.momentum = Float(momentum) }
        }
        if let fraction = config.model.freezeFraction {
            // Counted over the backbone, as the studies' Keras code counts base_model.layers;
            // a head added on top is never part of the fraction.
            let backbone = (model as? BackboneSplit)?.backboneLayers ?? model.layers
            let frozen = try model.freeze(fraction: fraction, of: backbone)
            progress.message("freeze: the first \(frozen) of the backbone's \(backbone.count) layers (int(\(fraction) x \(backbone.count)), as Keras's base_model.layers[:int(\(fraction) * len)])")
        }
        if let last = config.model.trainableLast {
            let backbone = (model as? BackboneSplit)?.backboneLayers ?? model.layers
            guard last <= backbone.count else {
                throw RunError("model.freeze.trainable_last: \(last) is more than the backbone's \(backbone.count) layers")
            }
            for layer in backbone.dropLast(last) { layer.isFrozen = true }
            progress.message("freeze: all but the last \(last) of the backbone's \(backbone.count) layers (Keras's conv_base.layers[:-\(last)])")
        }
        if !config.model.freezeNames.isEmpty { try model.freeze(names: config.model.freezeNames) }
        if let prefix = config.model.freezePrefix { try model.freeze(prefix: prefix) }
        if let last = config.model.freezeUpTo {
            let frozen = try model.freeze(upTo: last)
            progress.message("freeze: the first \(frozen) layers, up to and including \(last)")
        }
        let layers = model.layers
        let frozen = layers.filter(\.isFrozen).count
        if frozen > 0 {
            let counts = model.parameterCounts
            progress.message("\(frozen) of \(layers.count) layers frozen, \(layers.count - frozen) trainable; \(counts.trainable) of \(counts.total) parameters trainable")
        }
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
        var channels = sampleShape.last! == 1 && config.data.preprocessing(for: variant).wantsRGB ? 3 : sampleShape.last!
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
        if s.method == .kfold {
            // The held-out fold is the test part and only ever that; a validation part for
            // model selection and the threshold is carved from the other folds.
            let grouped = s.group == .patient
            let folds = try Splitter.kFold(dataset, folds: s.folds, fold: s.fold, stratified: s.stratified, grouped: grouped, seed: config.seed)
            var parts = ["test": folds.parts["validation"] ?? []]
            let training = try folds.indices("train", in: dataset)
            if s.validation > 0 {
                let inner = try Splitter.split(
                    Subset(dataset, indices: training), fractions: [("train", 1 - s.validation), ("validation", s.validation)],
                    stratified: s.stratified, grouped: grouped, seed: config.seed &+ UInt64(s.fold) &+ 1)
                parts["train"] = inner.parts["train"]
                parts["validation"] = inner.parts["validation"]
            } else {
                parts["train"] = folds.parts["train"]
            }
            let description = "kfold fold \(s.fold + 1) of \(s.folds) held out as test\(s.stratified ? ", stratified" : "")\(grouped ? ", grouped by patient" : "")"
                + (s.validation > 0 ? ", validation \(s.validation) of the other folds" : "") + ", seed \(config.seed)"
            return Split(parts: parts, method: description)
        }
        if s.method == .column { return try Splitter.column(dataset) }
        let parts = [("train", s.train), ("validation", s.validation), ("test", s.test)].filter { $0.1 > 0 }
        return try Splitter.split(
            dataset, fractions: parts, stratified: s.method == .stratified || s.method == .grouped,
            grouped: true, seed: config.seed)
    }

    /// Trains and evaluates one run; `resume` continues a run directory from its last checkpoint.
    /// `evaluateOnly` evaluates the model the config builds as it is, without training (`zoo
    /// eval MODEL --config`: the config's `model.from` is the file).
    ///
    /// The steps, each a function of its own that a script may call alone: ``prepareData()``,
    /// ``buildModel(for:)``, ``openRun(name:resume:data:)``, ``split(_:in:saved:evaluateOnly:)``,
    /// ``train(_:data:split:in:resume:)``, ``evaluate(_:data:split:)`` and
    /// ``report(_:training:model:data:split:in:)``.
    public func run(name: String? = nil, resume: RunDirectory? = nil, evaluateOnly: Bool = false) throws -> RunResult {
        let data = try prepareData()
        try checkResumable(resume, data: data)
        let model = try buildModel(for: data)
        let runName = name ?? unusedRunName("\(evaluateOnly ? "eval-" : "")\(data.variant.name)-\(Self.timestamp())")
        let (run, scratch) = try openRun(name: runName, resume: resume, data: data)
        defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
        let split = try self.split(data, in: run, saved: resume.map { $0.split }, evaluateOnly: evaluateOnly)
        let training = evaluateOnly ? try keepGivenWeights(model, data: data, split: split, in: run) : try train(model, data: data, split: split, in: run, resume: resume != nil)
        progress.message("evaluating \(training.evaluated)")
        let evaluation = try evaluate(model, data: data, split: split)
        return try report(evaluation, training: training, model: model, data: data, split: split, in: run)
    }

    /// Step 1, the data: the config checked, the dataset read with every file opened once,
    /// the architecture, the model's input and the pipelines.
    public func prepareData() throws -> PreparedData {
        try preflight()
        let given = try dataset()
        let fingerprint = self.fingerprint(of: given)
        let (dataset, skipped) = try checked(given)
        let first = try dataset.sample(at: 0)
        let variant = try config.architecture()
        let input = try inputShape(variant: variant, sampleShape: first.image.shape)
        let window = config.eval.slidingWindow(input: input)
        if window != nil, variant.task != .segmentation {
            throw RunError("eval.sliding_window applies to segmentation; \(variant.name) classifies")
        }
        let pipeline = try TransformPipeline(
            config.data, variant: variant, inputSize: Array(input.dropLast()), sourceChannels: first.image.shape.last!,
            channels: input.last!, resizeForEvaluation: window == nil)
        return PreparedData(
            dataset: dataset, skipped: skipped, fingerprint: fingerprint, givenCount: given.count, variant: variant,
            classes: Swift.max(dataset.classNames.count, 2), inputShape: input, slidingWindow: window, pipeline: pipeline)
    }

    /// `stem`, or `stem-2`, `stem-3`, ...: the first name no run of the experiment has (two
    /// runs started within a second share a time stamp).
    func unusedRunName(_ stem: String) -> String {
        let folder = runsRoot.appendingPathComponent(config.experiment)
        var (name, suffix) = (stem, 2)
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
            (name, suffix) = ("\(stem)-\(suffix)", suffix + 1)
        }
        return name
    }

    /// A run is resumed only on the data and model files it started from.
    func checkResumable(_ resume: RunDirectory?, data: PreparedData) throws {
        guard let resume, let recorded = resume.recordedFingerprint else { return }
        if recorded.data != data.fingerprint.data {
            throw RunError(
                "\(resume.url.path) was trained on other data (\(recorded.samples) samples then, \(data.givenCount) now, or changed files); "
                    + "it cannot be resumed on this data")
        }
        if recorded.model != data.fingerprint.model {
            throw RunError("\(resume.url.path) started from other model files (model.from or model.weights changed since); it cannot be resumed from these")
        }
    }

    /// Step 2, the model: built for the data's classes and input, weights loaded, layers frozen.
    public func buildModel(for data: PreparedData) throws -> Model {
        let model = try makeModel(classes: data.classes, inputShape: data.inputShape, variant: data.variant)
        try GradCAMFigures.check(config.eval.gradcamLayers, model: model, task: data.variant.task)
        return model
    }

    /// Step 3, the run directory: created (or `resume`d) under `runsRoot`, with the resolved
    /// config, the data's fingerprint, the pipelines and the files left out. With several
    /// processes (data-parallel training) rank 0 alone writes the run; the others write theirs
    /// to a scratch folder, returned to be removed at the end, starting from rank 0's
    /// checkpoint when resuming.
    public func openRun(name: String, resume: RunDirectory?, data: PreparedData) throws -> (run: RunDirectory, scratch: URL?) {
        let communicator = try Communicators.make()
        var scratch: URL?
        let run: RunDirectory
        if communicator.rank == 0 {
            if resume == nil {
                // A new run never shares a folder with an old one: a stale metrics.json would mark
                // it finished, a stale skipped.csv or roi.csv would change what it is evaluated on.
                let folder = runsRoot.appendingPathComponent(config.experiment).appendingPathComponent(name)
                if let contents = try? FileManager.default.contentsOfDirectory(atPath: folder.path), !contents.isEmpty {
                    throw RunError("\(folder.path) already holds a run: resume it, name the new run otherwise, or delete the folder")
                }
            }
            run = try resume ?? RunDirectory.create(root: runsRoot, experiment: config.experiment, run: name)
        } else {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-rank\(communicator.rank)-\(UUID().uuidString)")
            scratch = folder
            run = try RunDirectory.create(root: folder, experiment: config.experiment, run: name)
            if let resume, FileManager.default.fileExists(atPath: resume.lastCheckpoint.path) {
                try FileManager.default.createDirectory(at: run.lastCheckpoint.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: resume.lastCheckpoint, to: run.lastCheckpoint)
            }
        }
        if resume == nil { try? FileManager.default.removeItem(at: run.log) }  // absent in a new run
        try config.resolved.json.write(to: run.config, atomically: true, encoding: .utf8)
        try JSONText.encode(data.fingerprint).write(to: run.fingerprint, atomically: true, encoding: .utf8)
        if let regionBoxes {
            try RegionCropDataset.csv(regionBoxes).write(to: run.regions, atomically: true, encoding: .utf8)
        }
        if let base = config.baseDirectory {
            try (base.standardizedFileURL.path + "\n").write(to: run.origin, atomically: true, encoding: .utf8)
        }
        if !data.skipped.isEmpty { try DataCheck.csv(data.skipped).write(to: run.skipped, atomically: true, encoding: .utf8) }
        let intensities = "images: PNG and JPEG files of \(config.data.bitDepth) bits, values as stored (0-\((1 << config.data.bitDepth) - 1))\n"
        try (intensities + data.pipeline.text).write(to: run.pipeline, atomically: true, encoding: .utf8)
        progress.message("pipelines (\(config.data.bitDepth)-bit images):\n" + data.pipeline.text.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
        return (run, scratch)
    }

    /// Step 4, the split: the config's (or the one `saved` by a run being resumed), kept in
    /// the run, and the external test sets, each read and checked against the training part
    /// before anything trains: a wrong class, a shared patient or an unreadable file stops the
    /// run here. In a stage with regions of interest, the external images are cropped to the
    /// boxes the segmentation model drew on them, as the internal ones.
    public func split(_ data: PreparedData, in run: RunDirectory, saved: URL? = nil, evaluateOnly: Bool = false) throws -> RunSplit {
        let dataset = data.dataset
        let split = try self.split(dataset, saved: saved)
        try split.save(to: run.split)
        // An evaluation of a model file on every image (zoo eval --data) has no training part.
        let trainIndices: [Int] = evaluateOnly && split.parts["train"] == nil ? [] : try split.indices("train", in: dataset)
        let validationIndices: [Int] = split.parts["validation"] != nil ? try split.indices("validation", in: dataset) : []
        let testIndices = split.parts["test"] != nil ? try split.indices("test", in: dataset) : validationIndices
        let externalSets = try ExternalTestSet.all(
            config, training: dataset, trainingIndices: trainIndices + validationIndices, croppedTo: regionBoxes)
        for set in externalSets {
            if let bad = DataCheck.unreadable(set).first { throw RunError("data.test_sets.\(set.name): \(bad.message)") }
        }
        return RunSplit(split: split, train: trainIndices, validation: validationIndices, test: testIndices, externalSets: externalSets)
    }

    /// The loader of `indices`: shuffled and augmented for training, in order through the
    /// evaluation pipeline otherwise (whole volumes, which differ in size, one at a time
    /// under a sliding window).
    func loader(_ indices: [Int], of dataset: Dataset, train: Bool, data: PreparedData) throws -> DataLoader {
        var options = DataLoader.Options(batchSize: train || data.slidingWindow == nil ? config.train.batchSize : 1, shuffle: train, workers: 2)
        if train { options.samplesPerItem = data.pipeline.samplesPerImage }
        return try DataLoader(
            dataset: dataset, indices: indices, transform: train ? data.pipeline.train : data.pipeline.eval, options: options, seed: config.seed)
    }

    /// The loss the config names, with the class weights of the training part.
    func loss(data: PreparedData, split: RunSplit) throws -> Loss {
        let labels = split.train.compactMap { data.dataset.info(at: $0).label }
        return try config.train.loss.make(classWeights: try config.train.classWeights.weights(labels: labels, classes: data.classes))
    }

    /// Step 5, training: the optimizer, schedule and early stopping the config names, from
    /// the run's last checkpoint when `resume`; the weights the report evaluates are then put
    /// into `model` (the best on validation, or the last; see `evaluatedWeights`).
    public func train(_ model: Model, data: PreparedData, split: RunSplit, in run: RunDirectory, resume: Bool = false) throws -> TrainingOutcome {
        let communicator = try Communicators.make()
        let indices = config.data.sampling == .oversample ? oversampled(split.train, in: data.dataset) : split.train
        let trainLoader = try loader(indices, of: data.dataset, train: true, data: data)
        let validationLoader = split.validation.isEmpty ? nil : try loader(split.validation, of: data.dataset, train: false, data: data)
        let loss = try self.loss(data: data, split: split)
        let optimizer = try config.train.optimizer.make()
        let schedule = try config.train.schedule.make(learningRate: optimizer.learningRate, epochs: config.train.epochs, stepsPerEpoch: trainLoader.batchCount)
        let stopping = config.train.earlyStopping?.make(hasValidation: validationLoader != nil)
        let monitor = EarlyStoppingSpec.monitor(config.train.earlyStopping, hasValidation: validationLoader != nil)
        let trainer = Trainer(
            model: model, task: data.variant.task, loss: loss, optimizer: optimizer, schedule: schedule,
            epochs: config.train.epochs, earlyStopping: stopping, monitor: monitor, run: run, progress: progress,
            configJSON: try config.resolved.json, checkpointEvery: config.train.checkpointEvery, keepsBest: validationLoader != nil)
        trainer.slidingWindow = data.slidingWindow
        if communicator.size > 1 {
            try GradientSync.requireMeanOverSamples(loss)
            trainer.communicator = communicator
            trainer.syncBatchNorm = config.train.syncBatchNorm
        }
        var (startEpoch, startStep) = (0, 0)
        if resume, FileManager.default.fileExists(atPath: run.lastCheckpoint.path) {
            let state = try Checkpoint.load(into: model, optimizer: optimizer, from: run.lastCheckpoint)
            (startEpoch, startStep) = (state.epoch, state.scheduleStep)
            progress.message("resuming \(run.url.lastPathComponent) after epoch \(startEpoch)")
        }
        progress.message(
            "\(data.variant.name): \(split.train.count) training, \(split.validation.count) validation, \(split.test.count) test samples; "
                + "\(model.parameterCounts.trainable) trainable parameters")
        let started = Date()
        let history = try trainer.fit(train: trainLoader, validation: validationLoader, startEpoch: startEpoch, startStep: startStep)
        let seconds = Date().timeIntervalSince(started)
        let evaluated = try evaluatedWeights(trainer: trainer, stopping: stopping, monitor: monitor, run: run)
        try JSONText.encode(evaluated).write(to: run.evaluated, atomically: true, encoding: .utf8)
        return TrainingOutcome(history: history, seconds: seconds, evaluated: evaluated)
    }

    /// Step 5 for `zoo eval MODEL --config`: the model file's weights as they are, nothing
    /// trained. They are kept as the run's checkpoint, so that the run predicts, explains and
    /// exports as any other.
    func keepGivenWeights(_ model: Model, data: PreparedData, split: RunSplit, in run: RunDirectory) throws -> TrainingOutcome {
        try Checkpoint.save(model: model, training: TrainingState(config: try config.resolved.json), to: run.lastCheckpoint)
        let file = config.model.from.map { URL(fileURLWithPath: $0).lastPathComponent } ?? data.variant.name
        let evaluated = EvaluatedCheckpoint(file: run.lastCheckpoint.lastPathComponent, epoch: 0, reason: "the weights of \(file) as given, not trained here")
        progress.message("\(data.variant.name): evaluated without training on \(split.validation.count) validation and \(split.test.count) test samples")
        try JSONText.encode(evaluated).write(to: run.evaluated, atomically: true, encoding: .utf8)
        return TrainingOutcome(history: [], seconds: 0, evaluated: evaluated)
    }

    /// Step 6, evaluation: `model` predicts every part and external set; the threshold is
    /// chosen on validation and applied to every set; with `eval.aggregate` the sets are
    /// combined per patient.
    public func evaluate(_ model: Model, data: PreparedData, split: RunSplit) throws -> RunEvaluation {
        var predictor = Predictor(
            models: [model], task: data.variant.task, loss: try loss(data: data, split: split), detection: config.eval.detectionCriteria,
            slidingWindow: data.slidingWindow)
        predictor.ignoreLabel = config.train.loss.ignoreLabel
        let dataset = data.dataset
        let (train, test, perImage) = try predictor.trainAndTest(
            train: try loader(split.train, of: dataset, train: false, data: data), test: try loader(split.test, of: dataset, train: false, data: data))
        let validation = split.validation.isEmpty ? nil : try predictor.predict(try loader(split.validation, of: dataset, train: false, data: data))
        let external = try split.externalSets.map { set -> (name: String, predictions: Predictions) in
            (set.name, try predictor.predict(try loader(Array(0..<set.count), of: set, train: false, data: data)))
        }
        let images = PredictionSets(train: train, validation: validation, test: test, external: external)
        let (sets, metrics, imageMetrics) = try images.evaluated(
            task: data.variant.task, eval: config.eval, seed: config.seed, datasets: [dataset] + split.externalSets, boxes: regionBoxes)
        if let threshold = metrics.threshold { progress.message("threshold \(threshold)") }
        return RunEvaluation(images: images, sets: sets, metrics: metrics, imageMetrics: imageMetrics, millisecondsPerImage: perImage)
    }

    /// Step 7, the files: predictions, timing, Grad-CAM figures, the report, and metrics.json
    /// last (its presence marks the run finished).
    public func report(
        _ evaluation: RunEvaluation, training: TrainingOutcome, model: Model, data: PreparedData, split: RunSplit, in run: RunDirectory
    ) throws -> RunResult {
        let sets = evaluation.sets
        let metrics: EvaluationMetrics = evaluation.metrics
        let variant = data.variant
        let dataset = data.dataset
        if evaluation.imageMetrics != nil {
            try Evaluation.writePredictions(evaluation.images, classNames: dataset.classNames, in: run, perImage: true)
        }
        try Evaluation.writePredictions(sets, classNames: dataset.classNames, in: run)
        let timing = RunTiming(
            architecture: variant.name, task: variant.task.rawValue, trainingSeconds: training.seconds, msPerImage: evaluation.millisecondsPerImage)
        try JSONText.encode(timing).write(to: run.timing, atomically: true, encoding: .utf8)
        let result = RunResult(
            run: run, architecture: variant.name, history: training.history, train: sets.train, validation: sets.validation,
            test: sets.test, external: sets.external, metrics: metrics, imageMetrics: evaluation.imageMetrics,
            trainingSeconds: training.seconds, millisecondsPerImage: evaluation.millisecondsPerImage)
        var summary = "\(variant.name) (\(model.parameterCounts.total) parameters, \(model.parameterCounts.trainable) trainable) "
        if let rule = config.eval.aggregateRule {
            let patients = "\(sets.train.ids.count) training, \(sets.validation?.ids.count ?? 0) validation, \(sets.test.ids.count) test patients"
            summary += "evaluated per patient (images combined by \(rule.rawValue); per-image rows beside): \(patients); "
        }
        summary += "on \(config.data.sourceName) data: \(split.train.count) training, \(split.validation.count) validation, "
        summary += "\(split.test.count) test samples" + evaluation.images.external.map { "; \($0.predictions.ids.count) in \($0.name)" }.joined()
        summary += "; \(training.history.count) epochs of batch \(config.train.batchSize)."
        summary += " Evaluated: \(training.evaluated)."
        if let threshold = metrics.threshold { summary += " Threshold \(threshold), applied to every set." }
        if !data.skipped.isEmpty {
            summary += " \(data.skipped.count) unreadable files were left out (data.on_error: skip; listed in skipped.csv)."
        }
        let gradCAM = try GradCAMFigures.write(
            layers: config.eval.gradcamLayers, average: config.eval.gradcamAverage, colormap: config.eval.gradcamColormap,
            method: config.eval.gradcamMethod, model: model, dataset: dataset, indices: split.test,
            transform: data.pipeline.eval, seed: config.seed, run: run)
        try RunReport(
            experiment: config.experiment, result: result, summary: summary, metrics: config.eval.metrics, extraFigures: gradCAM,
            classNames: dataset.classNames
        ).write()
        // metrics.json last: its presence marks the run finished.
        try (try metrics.json).write(to: run.metrics, atomically: true, encoding: .utf8)
        return result
    }

    /// `data.sampling: oversample`: the training indices with every class's repeated (in a
    /// seeded order) up to the largest class's count, so each epoch sees the classes equally
    /// often. Samples without a label are kept once.
    func oversampled(_ indices: [Int], in dataset: Dataset) -> [Int] {
        var byClass = [Int: [Int]]()
        var unlabelled = [Int]()
        for index in indices {
            if let label = dataset.info(at: index).label { byClass[label, default: []].append(index) } else { unlabelled.append(index) }
        }
        let largest = byClass.values.map(\.count).max() ?? 0
        var random = RandomGenerator(seed: SeedMix.mix(config.seed, 0x0FE5))
        var result = unlabelled
        for label in byClass.keys.sorted() {
            var members = byClass[label]!
            result += members
            var extra = [Int]()
            while extra.count < largest - members.count {
                Splitter.shuffle(&members, &random)
                extra += members.prefix(largest - members.count - extra.count)
            }
            result += extra
        }
        progress.message("oversampling: \(indices.count) training samples drawn as \(result.count) (every class \(largest) times per epoch)")
        return result
    }

    /// Puts the weights the report evaluates into the trainer's model and says which they
    /// are: with a validation split, the best checkpoint (the best monitored validation
    /// value), unless `early_stopping.restore_best: false` asks for the final weights; without
    /// one there is no "best", and the final weights (the last checkpoint) are evaluated.
    func evaluatedWeights(trainer: Trainer, stopping: EarlyStopping?, monitor: String, run: RunDirectory) throws -> EvaluatedCheckpoint {
        let (file, reason): (URL, String)
        if !trainer.keepsBest {
            if stopping?.restoreBest == true {
                progress.message("early_stopping.restore_best needs a validation split to choose by; the final weights are evaluated")
            }
            (file, reason) = (run.lastCheckpoint, "the final weights; no validation split, so no best checkpoint")
        } else if config.eval.checkpoint == .last {
            (file, reason) = (run.lastCheckpoint, "the final weights (eval.checkpoint: last)")
        } else if stopping?.restoreBest == false {
            (file, reason) = (run.lastCheckpoint, "the final weights (early_stopping.restore_best: false)")
        } else {
            (file, reason) = (run.bestCheckpoint, "the best \(monitor) on the validation split")
        }
        // Loaded from the file, so the evaluated weights are exactly the ones later commands load.
        let state = try Checkpoint.load(into: trainer.model, from: file)
        return EvaluatedCheckpoint(file: file.lastPathComponent, epoch: state.epoch, reason: reason)
    }

    /// A finished run read back from its files (a sweep skips trials that have finished).
    public static func finished(_ run: RunDirectory, eval: EvalConfig, seed: UInt64, testSets: [String] = []) throws -> RunResult {
        let timing = try run.timingRecord
        guard let task = ArchitectureTask(rawValue: timing.task) else {
            throw RunError("\(run.timing.path): unknown task '\(timing.task)'; delete the run to train it again")
        }
        // The sets as the run wrote them; a run evaluated per patient also wrote their per-image twins.
        func read(_ name: (URL) -> URL) throws -> PredictionSets {
            let validation = FileManager.default.fileExists(atPath: run.validationPredictions.path)
            return PredictionSets(
                train: try Evaluation.readPredictions(from: name(run.trainPredictions)),
                validation: validation ? try Evaluation.readPredictions(from: name(run.validationPredictions)) : nil,
                test: try Evaluation.readPredictions(from: name(run.predictions)),
                external: try testSets.map { (name: $0, predictions: try Evaluation.readPredictions(from: name(run.externalPredictions($0)))) })
        }
        let sets = try read { $0 }
        let imageMetrics = eval.aggregateRule == nil ? nil : try EvaluationMetrics(try read(run.perImage), task: task, eval: eval, seed: seed)
        return RunResult(
            run: run, architecture: timing.architecture, history: [], train: sets.train, validation: sets.validation, test: sets.test,
            external: sets.external, metrics: try EvaluationMetrics(sets, task: task, eval: eval, seed: seed), imageMetrics: imageMetrics,
            trainingSeconds: timing.trainingSeconds, millisecondsPerImage: timing.msPerImage)
    }

    static func timestamp() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
