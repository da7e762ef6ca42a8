import Foundation
import ZooCore
import ZooTensor

/// A sample that a loader skipped, and why.
public struct SkippedSample: Equatable, Sendable {
    public let index: Int
    public let id: String
    public let reason: String
}

/// Batches from a dataset: per-epoch shuffling from the seed, decoding and augmentation on
/// background threads with bounded prefetch.
///
/// Order and content depend only on (seed, epoch): the shuffle is drawn from (seed, epoch),
/// and each sample's augmentation generator from (seed, epoch, dataset index, draw), so
/// any number of worker threads gives the same batches.
public final class DataLoader {
    /// Loader settings.
    public struct Options: Sendable {
        /// Samples per batch (dataset items; with `samplesPerItem` > 1 a batch holds
        /// batchSize x samplesPerItem samples).
        public var batchSize: Int
        /// Shuffle each epoch (from the seed).
        public var shuffle: Bool
        /// Drop a last, smaller batch.
        public var dropLast: Bool
        /// Background threads (0 decodes on the caller's thread).
        public var workers: Int
        /// Batches prepared ahead of the consumer, at most.
        public var prefetch: Int
        /// Skip samples that fail to decode or transform, and list them in `skipped`,
        /// instead of stopping at the first.
        public var skipBadSamples: Bool
        /// Transformed draws per decoded item (patches per volume, as MONAI's `num_samples`).
        public var samplesPerItem: Int

        public init(batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, workers: Int = 2, prefetch: Int = 2,
                    skipBadSamples: Bool = false, samplesPerItem: Int = 1) {
            self.batchSize = batchSize
            self.shuffle = shuffle
            self.dropLast = dropLast
            self.workers = workers
            self.prefetch = prefetch
            self.skipBadSamples = skipBadSamples
            self.samplesPerItem = samplesPerItem
        }
    }

    public let dataset: Dataset
    /// The dataset indices this loader draws from (a split's part).
    public let indices: [Int]
    public let transform: SampleTransform?
    public let options: Options
    public let seed: UInt64

    public init(dataset: Dataset, indices: [Int]? = nil, transform: SampleTransform? = nil, options: Options, seed: UInt64) throws {
        guard options.batchSize > 0, options.prefetch > 0, options.samplesPerItem > 0, options.workers >= 0 else {
            throw DataError("loader", "batch size, prefetch and samples per item must be positive, workers >= 0")
        }
        self.dataset = dataset
        self.indices = indices ?? Array(0..<dataset.count)
        self.transform = transform
        self.options = options
        self.seed = seed
    }

    /// Batches per epoch.
    public var batchCount: Int {
        options.dropLast ? indices.count / options.batchSize : (indices.count + options.batchSize - 1) / options.batchSize
    }

    /// The dataset indices of an epoch, in visiting order.
    public func order(epoch: Int) -> [Int] {
        var order = indices
        if options.shuffle {
            var random = RandomGenerator(seed: SeedMix.mix(seed, UInt64(epoch), 0x5348_5546))
            Splitter.shuffle(&order, &random)
        }
        return order
    }

    /// The batches of an epoch.
    public func epoch(_ epoch: Int) -> EpochBatches { EpochBatches(loader: self, epoch: epoch) }

    /// Decodes and transforms item `index` (its `samplesPerItem` draws).
    func load(index: Int, epoch: Int) throws -> [Sample] {
        let sample = try dataset.sample(at: index)
        guard let transform else { return Array(repeating: sample, count: options.samplesPerItem) }
        return try (0..<options.samplesPerItem).map { draw in
            var random = RandomGenerator(seed: SeedMix.mix(seed, UInt64(epoch), UInt64(index), UInt64(draw)))
            return try transform.apply(sample, random: &random)
        }
    }

    /// Builds one batch from dataset indices; returns nil when every sample was skipped.
    func build(_ batchIndices: [Int], epoch: Int) throws -> (batch: Batch?, skipped: [SkippedSample]) {
        var samples: [Sample] = [], kept: [Int] = [], skipped: [SkippedSample] = []
        for index in batchIndices {
            do {
                let draws = try load(index: index, epoch: epoch)
                samples += draws
                kept += Array(repeating: index, count: draws.count)
            } catch {
                guard options.skipBadSamples else { throw error }
                skipped.append(SkippedSample(index: index, id: dataset.info(at: index).id, reason: "\(error)"))
            }
        }
        return (samples.isEmpty ? nil : try Batch(samples: samples, indices: kept), skipped)
    }
}

/// Mixes words into one seed (SplitMix64 finalizer on a running hash).
public enum SeedMix {
    /// A seed that depends on every word and their order.
    public static func mix(_ words: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for word in words {
            h ^= word &+ 0x9E37_79B9_7F4A_7C15 &+ (h << 6) &+ (h >> 2)
            var z = h
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            h = z ^ (z >> 31)
        }
        return h
    }
}
