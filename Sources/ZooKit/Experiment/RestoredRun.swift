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

    public init(_ url: URL) throws {
        run = try RunDirectory.existing(url)
        if let members = try? String(contentsOf: run.members, encoding: .utf8) {
            throw RunError(
                "\(url.path) is an ensemble's evaluation, not a trained model; its members are "
                    + members.split(separator: "\n").joined(separator: ", ") + " (restore one of them, or run the study again with zoo sweep)")
        }
        let document = try ConfigValue.parse(yaml: try String(contentsOf: run.config, encoding: .utf8), source: run.config.lastPathComponent)
        var config = try ExperimentConfig(document, source: run.config.lastPathComponent)
        config.model.weights = nil  // the checkpoint holds the trained weights
        config.baseDirectory = run.configDirectory
        self.config = config
        let runner = ExperimentRunner(config: config, runsRoot: url.deletingLastPathComponent(), progress: Progress(interactive: false, write: { _ in }))
        var dataset = try DataSources.make(config.data, seed: config.seed, base: config.baseDirectory)
        if FileManager.default.fileExists(atPath: run.regions.path) {
            dataset = RegionCropDataset(dataset, boxes: try RegionCropDataset.readBoxes(from: run.regions))
        }
        self.dataset = dataset
        split = try Split.load(from: run.split)
        variant = try ModelZoo.variant(config.model.name)
        let first = try dataset.sample(at: 0)
        let input = try runner.inputShape(variant: variant, sampleShape: first.image.shape)
        model = try runner.makeModel(classes: Swift.max(dataset.classNames.count, 2), inputShape: input, variant: variant)
        let checkpoint = FileManager.default.fileExists(atPath: run.bestCheckpoint.path) ? run.bestCheckpoint : run.lastCheckpoint
        _ = try Checkpoint.load(into: model, from: checkpoint)
        model.setTraining(false)
        sourceChannels = first.image.shape.last!
        pipeline = try TransformPipeline(
            config.data, variant: variant, inputSize: Array(input.dropLast()), sourceChannels: first.image.shape.last!, channels: input.last!)
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
            options: .init(batchSize: config.train.batchSize, shuffle: false), seed: config.seed)
    }

    /// The run's metrics recomputed from its checkpoint on the training and test parts.
    public func evaluate() throws -> EvaluationMetrics {
        let predictor = Predictor(models: [model], task: variant.task, loss: nil)
        return try EvaluationMetrics(
            train: try predictor.predict(try evaluationLoader(try indices("train"))),
            test: try predictor.predict(try evaluationLoader(try indices("test"))),
            task: variant.task, eval: config.eval, seed: config.seed)
    }
}
