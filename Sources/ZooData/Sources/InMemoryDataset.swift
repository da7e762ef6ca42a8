import ZooCore

/// A view of some of another dataset's samples, in the given order.
public struct Subset: Dataset {
    /// The underlying dataset.
    public let base: Dataset
    /// Indices into `base`.
    public let indices: [Int]

    public init(_ base: Dataset, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var classNames: [String] { base.classNames }
    public func info(at index: Int) -> SampleInfo { base.info(at: indices[index]) }
    public func sample(at index: Int) throws -> Sample { try base.sample(at: indices[index]) }
}

/// Samples held in memory (tests, small experiments, arrays read from elsewhere).
public struct InMemoryDataset: Dataset {
    /// The samples.
    public var samples: [Sample]
    public let classNames: [String]

    public init(samples: [Sample], classNames: [String]) {
        self.samples = samples
        self.classNames = classNames
    }

    public var count: Int { samples.count }
    public func info(at index: Int) -> SampleInfo {
        var info = samples[index].info
        info.label = samples[index].label
        return info
    }
    public func sample(at index: Int) throws -> Sample { samples[index] }
}
