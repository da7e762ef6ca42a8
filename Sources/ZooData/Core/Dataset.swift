/// A collection of samples with random access: folders of images, a CSV manifest, NIfTI
/// volumes or a phantom generator. (It belongs in ZooCore with the other protocols; it lives
/// here until ZooCore takes it.)
///
/// `info(at:)` is cheap and never decodes; `sample(at:)` decodes and may throw a `DataError`
/// naming the file. Implementations must be safe to call from several threads at once.
public protocol Dataset {
    /// The number of samples.
    var count: Int { get }
    /// Class names, indexed by `SampleInfo.label` (empty for unlabelled data).
    var classNames: [String] { get }
    /// Identifier, label, group and path of sample `index`, without decoding.
    func info(at index: Int) -> SampleInfo
    /// Decodes sample `index`.
    func sample(at index: Int) throws -> Sample
}

extension Dataset {
    /// Every sample's info, in order.
    public var infos: [SampleInfo] { (0..<count).map { info(at: $0) } }

    /// Every sample's label (nil where a sample has none).
    public var labels: [Int?] { (0..<count).map { info(at: $0).label } }
}

/// A view of some of another dataset's samples, in the given order.
public struct Subset<Base: Dataset>: Dataset {
    /// The underlying dataset.
    public let base: Base
    /// Indices into `base`.
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
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
