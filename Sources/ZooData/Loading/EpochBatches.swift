import Foundation
import ZooCore

/// The batches of one epoch, prepared by the loader's worker threads at most `prefetch`
/// batches ahead and handed out in order. Call `next()` until it returns nil; `skipped` then
/// lists the samples that were skipped (with `skipBadSamples`). Dropping the object stops
/// its workers.
public final class EpochBatches {
    let loader: DataLoader
    let epoch: Int
    let plan: [[Int]]
    private let queue: BatchQueue
    private var started = false
    private var current = 0
    /// Samples skipped so far, in epoch order.
    public private(set) var skipped: [SkippedSample] = []

    init(loader: DataLoader, epoch: Int) {
        self.loader = loader
        self.epoch = epoch
        let order = loader.order(epoch: epoch)
        let size = loader.options.batchSize
        plan = (0..<loader.batchCount).map { b in Array(order[(b * size)..<Swift.min(order.count, (b + 1) * size)]) }
        queue = BatchQueue(count: plan.count, prefetch: loader.options.prefetch)
    }

    deinit { queue.cancel() }

    /// Stops the workers (they finish the batch in hand).
    public func cancel() { queue.cancel() }

    private func startWorkers() {
        started = true
        // The workers hold the queue and the loader, not this object, so that dropping it
        // cancels them.
        let (queue, loader, plan, epoch) = (self.queue, self.loader, self.plan, self.epoch)
        for _ in 0..<loader.options.workers {
            let thread = Thread {
                while let b = queue.claim() {
                    queue.deliver(b, Result { try loader.build(plan[b], epoch: epoch) })
                }
            }
            thread.stackSize = 1 << 22
            thread.start()
        }
    }

    /// The next batch, or nil at the end of the epoch. A sample that fails (without
    /// `skipBadSamples`) ends the epoch with its error.
    public func next() throws -> Batch? {
        while current < plan.count {
            let b = current
            current += 1
            let result: BatchQueue.Built
            if loader.options.workers == 0 {
                result = Result { try loader.build(plan[b], epoch: epoch) }
            } else {
                if !started { startWorkers() }
                result = queue.take(b)
            }
            switch result {
            case .failure(let error):
                queue.cancel()
                current = plan.count
                throw error
            case .success(let built):
                skipped += built.skipped
                if let batch = built.batch { return batch }
            }
        }
        return nil
    }

    /// Every remaining batch (convenient in tests and for small data).
    public func all() throws -> [Batch] {
        var batches: [Batch] = []
        while let batch = try next() { batches.append(batch) }
        return batches
    }
}

/// Hand-over between workers and the consumer: which batch to build next, the finished
/// ones, and the prefetch bound.
final class BatchQueue {
    typealias Built = Result<(batch: Batch?, skipped: [SkippedSample]), Error>
    private let condition = NSCondition()
    private let count: Int, prefetch: Int
    private var nextToBuild = 0, consumed = 0
    private var cancelled = false
    private var results: [Int: Built] = [:]

    init(count: Int, prefetch: Int) {
        self.count = count
        self.prefetch = prefetch
    }

    /// The next batch number to build, waiting while the consumer is `prefetch` behind;
    /// nil when done or cancelled.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextToBuild < count && nextToBuild >= consumed + prefetch { condition.wait() }
        guard !cancelled, nextToBuild < count else { return nil }
        nextToBuild += 1
        return nextToBuild - 1
    }

    func deliver(_ b: Int, _ result: Built) {
        condition.lock()
        results[b] = result
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for batch `b` and takes it.
    func take(_ b: Int) -> Built {
        condition.lock()
        defer { condition.unlock() }
        while results[b] == nil { condition.wait() }
        consumed = b + 1
        condition.broadcast()
        return results.removeValue(forKey: b)!
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
