import Foundation
import ZooCore
import ZooData
import ZooHDF5
import ZooMetrics
import ZooNN
import ZooTensor

/// One epoch's numbers, as the log CSV holds them.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// AUC for classification (macro one-vs-rest beyond two classes), Dice for segmentation.
    public var validationScore: Double?
    public var seconds: Double

    static let header = "epoch,learning_rate,loss,accuracy,val_loss,val_accuracy,val_score,seconds"

    var csvLine: String {
        func cell(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "" }
        return "\(epoch),\(cell(learningRate)),\(cell(trainLoss)),\(cell(trainAccuracy)),\(cell(validationLoss)),"
            + "\(cell(validationAccuracy)),\(cell(validationScore)),\(String(format: "%.2f", seconds))"
    }

    /// The value of a monitored quantity (`val_loss`, `val_accuracy`, `val_score`, `loss`).
    func value(of monitor: String) -> Double? {
        switch monitor {
        case "val_loss": return validationLoss
        case "val_accuracy": return validationAccuracy
        case "val_score", "val_auc", "val_dice": return validationScore
        case "loss": return trainLoss
        default: return nil
        }
    }
}

/// The epoch loop: forward, loss, backward, update; validation, the log, checkpoints, early
/// stopping, learning-rate schedules; resumable, interruptible, and stopped with a clear
/// message by a loss that is not finite.
public final class Trainer {
    public let model: Model
    public let task: ArchitectureTask
    public let loss: Loss
    public let optimizer: GradientOptimizer
    public let schedule: TrainingFactory.ScheduleChoice
    public let epochs: Int
    public let earlyStopping: EarlyStopping?
    public let monitor: String
    public let run: RunDirectory
    public let progress: Progress
    public let configJSON: String
    /// Epochs between saves of the last checkpoint (the final epoch is always saved).
    public let checkpointEvery: Int
    /// Whether a best checkpoint is kept: only with a validation split, where "best" means the
    /// best monitored validation value (training loss does not select a model).
    public let keepsBest: Bool
    /// Validation of whole volumes window by window (segmentation with eval.sliding_window).
    public var slidingWindow: SlidingWindow?
    /// The epoch (1-based) of the best checkpoint, when one was written.
    public private(set) var bestEpoch: Int?
    public private(set) var history: [EpochRecord] = []
    private var baseLearningRate: Float
    /// The processes this training is spread over (data-parallel over MPI); one by default.
    public var communicator: Communicator = SingleProcess()
    /// With several processes: batch normalization with the global batch's statistics.
    public var syncBatchNorm = false

    public init(
        model: Model, task: ArchitectureTask, loss: Loss, optimizer: GradientOptimizer,
        schedule: TrainingFactory.ScheduleChoice, epochs: Int, earlyStopping: EarlyStopping?, monitor: String,
        run: RunDirectory, progress: Progress, configJSON: String, checkpointEvery: Int = 1, keepsBest: Bool = true
    ) {
        self.model = model
        self.task = task
        self.loss = loss
        self.optimizer = optimizer
        self.schedule = schedule
        self.epochs = epochs
        self.earlyStopping = earlyStopping
        self.monitor = monitor
        self.run = run
        self.progress = progress
        self.configJSON = configJSON
        self.checkpointEvery = checkpointEvery
        self.keepsBest = keepsBest
        baseLearningRate = optimizer.learningRate
    }

    /// The model in inference mode over `loader`'s samples (epoch 0 order).
    public func predict(_ loader: DataLoader) throws -> Predictions {
        try Predictor(models: [model], task: task, loss: loss, slidingWindow: slidingWindow).predict(loader)
    }

    /// Trains from `startEpoch` (the completed epochs of a resumed run) to `epochs`.
    @discardableResult
    public func fit(train: DataLoader, validation: DataLoader?, startEpoch: Int = 0, startStep: Int = 0) throws -> [EpochRecord] {
        Interrupt.install()
        var step = startStep
        var plateau = schedule.plateau
        var bestValue: Double?
        let higherIsBetter = monitor != "val_loss" && monitor != "loss"
        model.setTraining(true)
        let sync = communicator.size > 1 ? GradientSync(communicator: communicator) : nil
        try sync?.broadcastFromRankZero(model)
        if sync != nil, syncBatchNorm {
            let communicator = self.communicator
            BatchNormSync.sum = { try communicator.allReduceSum($0) }
        }
        defer { BatchNormSync.sum = nil }
        for epoch in startEpoch..<epochs {
            let started = Date()
            if schedule.unit == .epoch, let rate = schedule.schedule?.learningRate(at: epoch) { optimizer.learningRate = rate }
            let batches = train.epoch(epoch)
            var (lossSum, correct, seen, index) = (0.0, 0, 0, 0)
            while let batch = try batches.next() {
                if schedule.unit == .step, let rate = schedule.schedule?.learningRate(at: step) { optimizer.learningRate = rate }
                model.zeroGradients()
                let (number, count, hits, interrupted) = try trainStep(batch, sync: sync)
                guard number.isFinite else {
                    batches.cancel()
                    throw RunError(
                        "the loss became \(number) at epoch \(epoch + 1), step \(index + 1); training stopped. "
                            + "The last good checkpoint is \(run.lastCheckpoint.path) (if an epoch finished). "
                            + "Lower the learning rate or raise Adam's epsilon.")
                }
                try optimizer.step(model.trainableParameters)
                lossSum += Double(number) * Double(count)
                seen += count
                correct += hits
                step += 1
                index += 1
                progress.batch(epoch: epoch + 1, epochs: epochs, step: index, steps: train.batchCount, loss: lossSum / Double(seen), elapsed: Date().timeIntervalSince(started))
                if interrupted {
                    batches.cancel()
                    try save(to: run.lastCheckpoint, completedEpochs: epoch, step: step)
                    throw RunError("interrupted at epoch \(epoch + 1), step \(index); the checkpoint \(run.lastCheckpoint.path) holds the weights so far (resume repeats this epoch)")
                }
            }
            var record = EpochRecord(
                epoch: epoch + 1, learningRate: Double(optimizer.learningRate), trainLoss: lossSum / Double(Swift.max(seen, 1)),
                trainAccuracy: task == .classification ? Double(correct) / Double(Swift.max(seen, 1)) : .nan, seconds: 0)
            if let validation {
                let predictions = try predict(validation)
                record.validationLoss = predictions.loss
                record.validationAccuracy = predictions.accuracy
                record.validationScore = task == .segmentation ? predictions.meanDice : predictions.auc
            }
            record.seconds = Date().timeIntervalSince(started)
            history.append(record)
            try appendLog(record)
            progress.epoch(describe(record))
            let monitored = record.value(of: monitor) ?? record.trainLoss
            // Early stopping's own rule (with its min_delta) decides what "better" is when it
            // is configured, so the best checkpoint is the epoch it would restore.
            let stop = earlyStopping?.observe(epoch: epoch, value: monitored, model: model) ?? false
            let improved = earlyStopping.map { $0.bestEpoch == epoch }
                ?? (bestValue == nil || (higherIsBetter ? monitored > bestValue! : monitored < bestValue!))
            if improved {
                bestValue = monitored
                if keepsBest {
                    try save(to: run.bestCheckpoint, completedEpochs: epoch + 1, step: step)
                    bestEpoch = epoch + 1
                }
            }
            if stop || epoch + 1 == epochs || (epoch + 1) % checkpointEvery == 0 {
                try save(to: run.lastCheckpoint, completedEpochs: epoch + 1, step: step)
            }
            if var current = plateau {
                optimizer.learningRate = current.update(value: monitored, learningRate: optimizer.learningRate)
                plateau = current
            }
            if stop {
                progress.message("early stopping after epoch \(epoch + 1): no improvement of \(monitor) for \(earlyStopping!.patience) epochs")
                break
            }
        }
        // The weights stay the final epoch's; the runner loads the checkpoint it evaluates.
        return history
    }

    /// Forward and backward over `batch` (or, with several processes, over this process's shard
    /// of it, then the gradients summed): the batch's mean loss, its sample count, the correct
    /// classifications, and whether Ctrl-C was pressed (on any process). A loss that is not
    /// finite is returned before any gradient is computed.
    func trainStep(_ batch: Batch, sync: GradientSync?) throws -> (loss: Float, count: Int, correct: Int, interrupted: Bool) {
        guard let sync else {
            let logits = try model(batch.images)
            let value = try loss(logits, batch.targets(for: task))
            let number = try value.item()
            guard number.isFinite else { return (number, batch.ids.count, 0, false) }
            try value.backward(retainGraph: false)
            return (number, batch.ids.count, try correctCount(logits, batch), Interrupt.requested)
        }
        if syncBatchNorm, batch.ids.count < communicator.size {
            // Every rank sees this global batch's size, so every rank stops here, none waiting
            // in a batch normalization's sum that a rank without samples never starts.
            throw RunError(
                "a training batch of \(batch.ids.count) samples leaves some of the \(communicator.size) processes without one, "
                    + "and train.sync_batch_norm needs every process in every batch normalization: raise train.batch_size")
        }
        let part = try batch.rows(sync.shard(of: batch.ids.count))
        let share = Float(part.ids.count) / Float(batch.ids.count)
        // Forward first; the step's statistics are summed before any gradient, so a loss that
        // is not finite anywhere stops every process before the backward pass.
        var (number, hits): (Float, Int) = (0, 0)
        var value: Tensor?
        if !part.ids.isEmpty {
            let logits = try model(part.images)
            let loss = try self.loss(logits, part.targets(for: task))
            number = try loss.item()
            hits = try correctCount(logits, part)
            value = loss
        }
        let statistics = try sync.reduceStatistics([
            number * Float(part.ids.count), Float(hits), Float(part.ids.count), Interrupt.requested ? 1 : 0,
        ])
        let total = Int(statistics[2])
        let mean = statistics[0] / Float(Swift.max(total, 1))
        guard mean.isFinite else { return (mean, total, 0, false) }
        let sum = GradientSum(communicator: communicator, parameters: model.trainableParameters)
        if let value {
            // When every process has samples, all run the same backward pass and sum the
            // gradients as they complete; when one has none, all sum after their passes.
            let overlap = batch.ids.count >= communicator.size
            try (value * share).backward(nil, retainGraph: false, leafGradient: overlap ? sum.gradientReady : nil)
        }
        try sum.finish()
        return (mean, total, Int(statistics[1]), statistics[3] > 0)
    }

    func correctCount(_ logits: Tensor, _ batch: Batch) throws -> Int {
        guard task == .classification else { return 0 }
        return zip(try withoutGrad { try logits.argmax(axis: -1) }, batch.labels).filter { $0 == $1 }.count
    }

    func describe(_ r: EpochRecord) -> String {
        var text = String(format: "epoch %d/%d  lr %.3g  loss %.4f", r.epoch, epochs, r.learningRate, r.trainLoss)
        if task == .classification { text += String(format: "  acc %.3f", r.trainAccuracy) }
        if let v = r.validationLoss { text += String(format: "  val_loss %.4f", v) }
        if let v = r.validationAccuracy { text += String(format: "  val_acc %.3f", v) }
        if let v = r.validationScore { text += String(format: task == .segmentation ? "  val_dice %.3f" : "  val_auc %.3f", v) }
        return text + String(format: "  (%.1fs)", r.seconds)
    }

    func appendLog(_ record: EpochRecord) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: run.log.path) {
            try (EpochRecord.header + "\n").write(to: run.log, atomically: true, encoding: .utf8)
        }
        let handle = try FileHandle(forWritingTo: run.log)
        defer { try? handle.close() }  // the line was written; a failing close loses nothing
        try handle.seekToEnd()
        try handle.write(contentsOf: (record.csvLine + "\n").data(using: .utf8)!)
    }

    func save(to url: URL, completedEpochs: Int, step: Int) throws {
        try Checkpoint.save(
            model: model, optimizer: optimizer,
            training: TrainingState(epoch: completedEpochs, scheduleStep: step, config: configJSON), to: url)
    }
}
