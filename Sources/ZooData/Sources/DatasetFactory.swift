import Foundation
import ZooCore

/// Builds a dataset from a source name and its options: what an experiment config's
/// `data.source` and `data.<source>` map say (``DataSourceSpec`` reads and checks them).
public enum DatasetFactory {
    /// The sources, in the order the docs list them.
    public static var sources: [String] { DataSourceSpec.names }

    /// The dataset `source` with `options` describes (``DataSourceSpec/make(classNames:seed:base:bitDepth:)``).
    public static func make(source: String, options: ConfigValue, classNames: [String]? = nil, seed: UInt64 = 0,
                            base: URL? = nil, bitDepth: Int = 8) throws -> Dataset {
        try DataSourceSpec(source: source, options: options).make(classNames: classNames, seed: seed, base: base, bitDepth: bitDepth)
    }

    /// A phantom of `kind`: `count` samples of `sizes` (one side, or a volume's three).
    static func phantom(_ kind: DataSourceSpec.PhantomKind, count: Int, sizes: [Int]?, seed: UInt64, classNames: [String]?) throws -> Dataset {
        let size = sizes?.first
        let dataset: Dataset
        switch kind {
        case .chestCT: dataset = ChestCTPhantom(count: count, seed: seed, size: size ?? 224)
        case .lungUltrasound: dataset = LungUltrasoundPhantom(count: count, seed: seed, size: size ?? 224)
        case .parotidUltrasound: dataset = ParotidUltrasoundPhantom(count: count, seed: seed, size: size ?? 224)
        case .lidcNodules: dataset = NodulePatchPhantom(count: count, seed: seed, size: size ?? 124)
        case .ctVolume:
            let shape = sizes.map { $0.count == 3 ? $0 : [$0[0], $0[0], $0[0]] } ?? [64, 64, 64]
            dataset = CTVolumePhantom(count: count, seed: seed, shape: shape)
        }
        if let classNames, classNames != dataset.classNames {
            throw DataError("data.classes", "the \(kind.rawValue) phantom's classes are \(dataset.classNames), not \(classNames)")
        }
        return dataset
    }
}
