import Foundation
import ModelZoo
import ZooCore
import ZooData
import ZooHDF5
import ZooNN
import ZooTensor

/// A finished (or interrupted) run brought back: its config, data, split, the model with its
/// best checkpoint (the last if no best was kept), and the evaluation pipeline.
public struct RestoredRun {
    public let run: RunDirectory
    public let config: ExperimentConfig
    public let dataset: Dataset
    public let split: Split
    public let variant: ArchitectureVariant
    public let model: Model
    public let pipeline: TransformPipeline
    /// The channels of the run's images as read (the pipeline converts them for the model).
    public let sourceChannels: Int
    /// Sliding-window inference of whole volumes, when the run's config asks for it.
    public let slidingWindow: SlidingWindow?

    /// The run in `url` with its evaluated checkpoint, or `checkpoint` (one of its own).
    public init(_ url: URL, checkpoint: URL? = nil) throws {
        run = try RunDirectory.existing(url)
        // members.txt exists only in an ensemble's evaluation folder.
        if let members = try? String(contentsOf: run.members, encoding: .utf8) {
            throw RunError(
                "\(url.path) is an ensemble's evaluation, not a trained model; its members are "
                    + members.split(separator: "\n").joined(separator: ", ") + " (restore one of them, or run the study again with zoo sweep)")
        }
        let config = try run.experimentConfig
        self.config = config
        let runner = ExperimentRunner(config: config, runsRoot: url.deletingLastPathComponent(), progress: Progress(interactive: false, write: { _ in }))
        var dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
        if FileManager.default.fileExists(atPath: run.regions.path) {
            dataset = RegionCropDataset(dataset, boxes: try RegionCropDataset.readBoxes(from: run.regions))
        }
        if FileManager.default.fileExists(atPath: run.skipped.path) {
            // The files the run left out (data.on_error: skip) stay out, as in training.
            let rows = CSV.parse(try String(contentsOf: run.skipped, encoding: .utf8)).dropFirst()
            let skipped = Set(rows.compactMap(\.fields.first))
            let all = dataset
            dataset = Subset(all, indices: (0..<all.count).filter { !skipped.contains(all.info(at: $0).id) })
        }
        self.dataset = dataset
        split = try Split.load(from: run.split)
        variant = try config.architecture()
        let first = try dataset.sample(at: 0)
        let input = try runner.inputShape(variant: variant, sampleShape: first.image.shape)
        model = try runner.makeModel(classes: Swift.max(dataset.classNames.count, 2), inputShape: input, variant: variant)
        _ = try Checkpoint.load(into: model, from: try checkpoint ?? run.evaluatedCheckpoint)
        model.setTraining(false)
        sourceChannels = first.image.shape.last!
        slidingWindow = config.eval.slidingWindow(input: input)
        pipeline = try TransformPipeline(
            config.data, variant: variant, inputSize: Array(input.dropLast()), sourceChannels: first.image.shape.last!, channels: input.last!,
            resizeForEvaluation: slidingWindow == nil)
    }

    /// The run's model in inference mode as its evaluation used it (detection rule, sliding
    /// window), averaged with `others` for an ensemble.
    public func predictor(with others: [Model] = []) -> Predictor {
        var predictor = Predictor(
            models: [model] + others, task: variant.task, loss: nil, detection: config.eval.detectionCriteria, slidingWindow: slidingWindow)
        predictor.ignoreLabel = config.train.loss.ignoreLabel
        return predictor
    }

    /// The indices of a split part (`test`, or `validation` when the run had no test part).
    public func indices(_ part: String) throws -> [Int] {
        if split.parts[part] != nil { return try split.indices(part, in: dataset) }
        return try split.indices("validation", in: dataset)
    }

    /// Sample `index` as the model sees it (the evaluation pipeline applied).
    public func prepared(_ index: Int) throws -> Sample {
        var random = RandomGenerator(seed: config.seed)
        return try pipeline.eval.apply(try dataset.sample(at: index), random: &random)
    }

    /// Samples `indices` of `dataset` (the run's own by default) through the evaluation
    /// pipeline, in order, in the run's batch size.
    public func evaluationLoader(_ indices: [Int], dataset: Dataset? = nil) throws -> DataLoader {
        try DataLoader(
            dataset: dataset ?? self.dataset, indices: indices, transform: pipeline.eval,
            options: .init(batchSize: slidingWindow == nil ? config.train.batchSize : 1, shuffle: false), seed: config.seed)
    }

    /// The run's metrics recomputed from its checkpoint on the training, validation and test
    /// parts (the threshold chosen on validation again, as the run chose it).
    public func evaluate() throws -> EvaluationMetrics { try evaluateRun().metrics }

    /// The run evaluated again from its checkpoint: predictions and metrics of every set, per
    /// patient with the per-image metrics beside when the run aggregates (`eval.aggregate`).
    /// `adding` external test sets are evaluated after the run's own, checked as they are.
    public func evaluateRun(adding extra: [TestSetConfig] = []) throws -> RunResult {
        let predictor = self.predictor()
        let validation = split.parts["validation"] != nil ? try predictor.predict(try evaluationLoader(try indices("validation"))) : nil
        let boxes = FileManager.default.fileExists(atPath: run.regions.path) ? try RegionCropDataset.readBoxes(from: run.regions) : nil
        var config = self.config
        for set in extra {
            guard !config.data.testSets.contains(where: { $0.name == set.name }) else {
                throw RunError("the run already has a test set named '\(set.name)' (data.test_sets); name the new one otherwise")
            }
            config.data.testSets.append(set)
        }
        let sets = try ExternalTestSet.all(config, training: dataset, trainingIndices: try split.trainingIndices(in: dataset), croppedTo: boxes)
        let images = PredictionSets(
            train: try predictor.predict(try evaluationLoader(try indices("train"))), validation: validation,
            test: try predictor.predict(try evaluationLoader(try indices("test"))),
            external: try sets.map { (name: $0.name, predictions: try predictor.predict(try evaluationLoader(Array(0..<$0.count), dataset: $0))) })
        let (levels, metrics, imageMetrics) = try images.evaluated(
            task: variant.task, eval: config.eval, seed: config.seed, datasets: [dataset] + sets, boxes: boxes)
        return RunResult(
            run: run, architecture: variant.name, history: [], train: levels.train, validation: levels.validation, test: levels.test,
            external: levels.external, metrics: metrics, imageMetrics: imageMetrics, trainingSeconds: 0, millisecondsPerImage: 0)
    }
}
