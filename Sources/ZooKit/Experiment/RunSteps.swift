import Foundation
import ZooCore
import ZooData
import ZooNN

// What each step of `ExperimentRunner.run` hands to the next. A script that calls the steps
// alone (prepare the data, build the model, open the run, split, train, evaluate, report)
// holds these values between them.

/// The data a run trains and evaluates on (step 1): read, every file opened once, with the
/// architecture, the model's input and the pipelines that turn samples into that input.
public struct PreparedData {
    /// The readable samples (unreadable ones left out under `data.on_error: skip`).
    public let dataset: Dataset
    /// The files left out, each with its reason.
    public let skipped: [DataCheck.Unreadable]
    /// The data and model files as the run records them (a resumed run must match).
    public let fingerprint: RunFingerprint
    /// The samples the source gave, unreadable ones included.
    public let givenCount: Int
    public let variant: ArchitectureVariant
    /// The model's outputs: the data's classes, at least two.
    public let classes: Int
    /// The model's input: spatial sizes, then channels.
    public let inputShape: [Int]
    /// Sliding-window inference of whole volumes, when `eval.sliding_window` asks for it.
    public let slidingWindow: SlidingWindow?
    /// The training and evaluation pipelines.
    public let pipeline: TransformPipeline
}

/// The split of a run (step 4): the parts as dataset indices and the external test sets.
public struct RunSplit {
    public let split: Split
    public let train: [Int]
    public let validation: [Int]
    /// The test part; the validation part when the split has no test part.
    public let test: [Int]
    /// `data.test_sets`, read and checked against the training part.
    public let externalSets: [Dataset & NamedTestSet]
}

/// What training produced (step 5): the epochs, the time, and which weights the model now
/// holds for evaluation.
public struct TrainingOutcome {
    public let history: [EpochRecord]
    public let seconds: Double
    public let evaluated: EvaluatedCheckpoint
}

/// The evaluation of a run (step 6).
public struct RunEvaluation {
    /// The predictions of every image.
    public let images: PredictionSets
    /// The sets as reported: the images, or their patients under `eval.aggregate`.
    public let sets: PredictionSets
    public let metrics: EvaluationMetrics
    /// Under `eval.aggregate`, the per-image metrics reported beside the per-patient ones.
    public let imageMetrics: EvaluationMetrics?
    /// Inference time per test image, batched, on this machine.
    public let millisecondsPerImage: Double
}
