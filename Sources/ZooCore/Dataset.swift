/// A collection of samples with random access: folders of images, a CSV manifest, HDF5
/// arrays, NIfTI volumes or a phantom generator (ZooData holds the sources; the protocol is
/// here so that the layers above can take any of them without depending on ZooData).
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
