import Foundation
import ZooCore
import ZooData
import ZooTensor

/// The dataset a config's `data:` section describes, built by ZooData's factory from the
/// section of the chosen source (`data.phantom`, `data.folder`, `data.csv`, `data.hdf5`,
/// `data.nifti`); relative paths are taken from the config's folder.
public enum DataSources {
    public static func make(_ data: DataConfig, seed: UInt64, base: URL?) throws -> Dataset {
        try make(try data.requiredSource(), data: data, seed: seed, base: base)
    }

    /// The dataset of `source` (the `data:` section's, or an external test set's) with the data
    /// section's classes and bit depth.
    static func make(_ source: DataSourceSpec, data: DataConfig, seed: UInt64, base: URL?) throws -> Dataset {
        try source.make(classNames: data.classes, seed: seed, base: base, bitDepth: data.bitDepth)
    }
}

/// A test set with a name (the reports' set column).
public protocol NamedTestSet {
    var name: String { get }
}

/// An external set cropped to regions of interest (a pipeline's classification stage).
struct CroppedTestSet: Dataset, NamedTestSet {
    let name: String
    let cropped: RegionCropDataset

    init(set: ExternalTestSet, boxes: [String: RegionBox]) {
        name = set.name
        cropped = RegionCropDataset(set, boxes: boxes)
    }

    var count: Int { cropped.count }
    var classNames: [String] { cropped.classNames }
    func info(at index: Int) -> SampleInfo { cropped.info(at: index) }
    func sample(at index: Int) throws -> Sample { try cropped.sample(at: index) }
}

/// An external test set as the evaluation sees it: its samples' ids and patients prefixed with
/// the set's name (another hospital's "P001" is not this one's), and, for simulated sets, the
/// scanner's intensity profile applied (gain, offset, Gaussian noise drawn per sample).
struct ExternalTestSet: Dataset, NamedTestSet {
    let name: String
    let base: Dataset
    let config: TestSetConfig

    var count: Int { base.count }
    var classNames: [String] { base.classNames }

    func info(at index: Int) -> SampleInfo {
        var info = base.info(at: index)
        info.id = "\(name)/\(info.id)"
        info.group = info.group.map { "\(name)/\($0)" }
        return info
    }

    func sample(at index: Int) throws -> Sample {
        var sample = try base.sample(at: index)
        sample.info = info(at: index)
        let (gain, offset, noise) = (Float(config.gain), Float(config.offset), Float(config.noise))
        guard gain != 1 || offset != 0 || noise != 0 else { return sample }
        var random = RandomGenerator(seed: SeedMix.mix(UInt64(index), 0x5CA7_7E55))
        sample.image.values = sample.image.values.map { $0 * gain + offset + (noise > 0 ? noise * random.nextNormal() : 0) }
        return sample
    }

    /// The config's external sets, each checked against the training data: the same classes,
    /// and no patient of the training or validation part among its patients. With `boxes` (a
    /// pipeline's ROI stage) each is cropped to the regions its prefixed ids have there.
    static func all(
        _ config: ExperimentConfig, training: Dataset, trainingIndices: [Int], croppedTo boxes: [String: RegionBox]?
    ) throws -> [Dataset & NamedTestSet] {
        try all(config, training: training, trainingIndices: trainingIndices).map { set -> Dataset & NamedTestSet in
            boxes.map { CroppedTestSet(set: set, boxes: $0) } ?? set
        }
    }

    /// The sets uncropped (what a segmentation stage draws the boxes on).
    static func all(_ config: ExperimentConfig, training: Dataset, trainingIndices: [Int]) throws -> [ExternalTestSet] {
        // A phantom's patients are its seed's: the same numbers under another seed are other
        // (simulated) people.
        func phantomSeed(_ source: DataSourceSpec?) -> String {
            guard let source, source.name == "phantom" else { return "" }
            return "seed \(source.phantomSeed ?? config.seed)/"
        }
        let trainingSeed = phantomSeed(config.data.source)
        let patients = Set(trainingIndices.compactMap { training.info(at: $0).group.map { trainingSeed + $0 } })
        return try config.data.testSets.map { set in
            let base = try DataSources.make(set.source, data: config.data, seed: config.seed, base: config.baseDirectory)
            guard base.count > 0 else { throw RunError("data.test_sets.\(set.name): the source gives no samples") }
            guard base.classNames == training.classNames else {
                let unknown = base.classNames.filter { !training.classNames.contains($0) }
                throw RunError(
                    "data.test_sets.\(set.name): its classes \(base.classNames) are not the model's \(training.classNames)"
                        + (unknown.isEmpty ? " (set data.classes to fix their order)" : "; the model does not know \(unknown.joined(separator: ", "))"))
            }
            // The same patient in training and in an external set would be no external test.
            let seed = phantomSeed(set.source)
            let shared = Set((0..<base.count).compactMap { base.info(at: $0).group.map { seed + $0 } }).intersection(patients)
            guard shared.isEmpty else {
                let names = shared.map { String($0.dropFirst(seed.count)) }.sorted()
                throw RunError("data.test_sets.\(set.name) shares patients with the training data: \(names.prefix(10).joined(separator: ", "))")
            }
            return ExternalTestSet(name: set.name, base: base, config: set)
        }
    }
}
