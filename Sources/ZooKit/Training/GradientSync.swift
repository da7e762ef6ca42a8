import Foundation
import ZooCore
import ZooNN
import ZooTensor

/// Data-parallel training's collectives around one step. Each process back-propagates its
/// shard's mean loss times the shard's share of the global batch, so its gradients are its
/// part of the global batch's mean-loss gradient (and a synchronized batch normalization sees
/// the same output gradients as one process would); summed over the processes (`GradientSum`)
/// they are that gradient, and every process applies the same optimizer step. The step's
/// statistics travel first, in their own small sum: a loss that is not finite on one process,
/// or Ctrl-C on one, is then seen by all of them at the same step, and none is left waiting in
/// a collective the others never start.
struct GradientSync {
    let communicator: Communicator

    /// Sharding sums each process's gradient weighted by its share of the batch, which is the
    /// gradient of the global batch's loss only when the loss is a mean over samples. Dice
    /// (a ratio of sums over the batch) and a mean weighted by the weights' sum are not.
    static func requireMeanOverSamples(_ loss: Loss) throws {
        if let crossEntropy = loss as? SoftmaxCrossEntropy, crossEntropy.weightedMean == .batchSize { return }
        if loss is BinaryCrossEntropy { return }
        throw RunError(
            "train.loss: data-parallel training over several processes sums each one's gradient weighted by its share of "
                + "the batch, which needs a loss that is a mean over samples: cross_entropy (weighted_mean: batch_size) or "
                + "binary_cross_entropy; \(type(of: loss)) is not")
    }

    /// The global sums of `statistics` (the same on every process).
    func reduceStatistics(_ statistics: [Float]) throws -> [Float] {
        var values = statistics
        try values.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
        return values
    }

    /// Every process starts from rank 0's weights and statistics.
    func broadcastFromRankZero(_ model: Model) throws {
        for (_, parameter) in model.namedParameters {
            try parameter.value.withUnsafeMutableBufferPointer { try communicator.broadcast($0, root: 0) }
        }
    }

    /// This process's rows of a global batch of `count` samples: contiguous, in rank order,
    /// differing in size by at most one.
    func shard(of count: Int) -> Range<Int> {
        let (rank, size) = (communicator.rank, communicator.size)
        return (count * rank / size)..<(count * (rank + 1) / size)
    }
}

/// The gradient sum of one step, over the processes, in buckets of `Communicators.bucket`
/// floats. With `gradientReady` as the backward pass's leaf hook, it starts while the backward
/// pass still runs (PyTorch DDP's overlap): each parameter's gradient joins a bucket as soon as
/// it is complete, and a full bucket starts its non-blocking sum at once. `finish` adds the
/// parameters not added yet (zeros for those without a gradient, as on a process whose shard
/// was empty), starts the last bucket, waits for all and writes the sums back. Buckets fill in
/// the order gradients complete, which is the same on every process (the same graph); the
/// parameters left for `finish` follow in the model's order.
final class GradientSum {
    private let communicator: Communicator
    private let parameters: [(path: String, parameter: Parameter)]
    private var index: [ObjectIdentifier: Int] = [:]
    private var added: Set<Int> = []
    private var bucket: [Tensor] = []
    private var bucketCount = 0
    private var inFlight: [(buffer: UnsafeMutableBufferPointer<Float>, grads: [Tensor], reductions: [Reduction])] = []

    init(communicator: Communicator, parameters: [(path: String, parameter: Parameter)]) {
        self.communicator = communicator
        self.parameters = parameters
        for (position, entry) in parameters.enumerated() { index[ObjectIdentifier(entry.parameter.value)] = position }
    }

    deinit {
        for flight in inFlight { flight.buffer.deallocate() }
    }

    /// Called with each leaf whose gradient is complete.
    func gradientReady(_ leaf: Tensor) throws {
        guard let position = index[ObjectIdentifier(leaf)], !added.contains(position), let grad = leaf.grad else { return }
        try add(position, grad)
        for flight in inFlight {
            for reduction in flight.reductions { try reduction.poll() }
        }
    }

    private func add(_ position: Int, _ grad: Tensor) throws {
        added.insert(position)
        if bucketCount + grad.count > Communicators.bucket { try startBucket() }
        bucket.append(grad)
        bucketCount += grad.count
    }

    private func startBucket() throws {
        guard !bucket.isEmpty else { return }
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: bucketCount)
        var offset = 0
        for grad in bucket {
            grad.withUnsafeBufferPointer { values in
                (buffer.baseAddress! + offset).update(from: values.baseAddress!, count: values.count)
            }
            offset += grad.count
        }
        // A gradient larger than a bucket travels in pieces of at most a bucket each.
        var reductions = [Reduction]()
        var start = 0
        while start < bucketCount {
            let count = Swift.min(Communicators.bucket, bucketCount - start)
            reductions.append(try communicator.startAllReduceSum(UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + count)])))
            start += count
        }
        inFlight.append((buffer, bucket, reductions))
        bucket = []
        bucketCount = 0
    }

    /// Completes the step's sum: every parameter's gradient is the sum over the processes when
    /// this returns.
    func finish() throws {
        for (position, entry) in parameters.enumerated() where !added.contains(position) {
            if entry.parameter.value.grad == nil { entry.parameter.value.grad = Tensor(zeros: entry.parameter.value.shape) }
            try add(position, entry.parameter.value.grad!)
        }
        try startBucket()
        for flight in inFlight {
            for reduction in flight.reductions { try reduction.wait() }
            var offset = 0
            for grad in flight.grads {
                grad.withUnsafeMutableBufferPointer { target in
                    target.baseAddress!.update(from: flight.buffer.baseAddress! + offset, count: target.count)
                }
                offset += grad.count
            }
            flight.buffer.deallocate()
        }
        inFlight = []
    }
}
