import ZooData

/// The dataset a config's `data:` section describes.
public enum DataSources {
    public static func make(_ data: DataConfig, seed: UInt64) throws -> Dataset {
        let options = try ConfigReader(data.options, source: "config", path: "data.\(data.source)")
        switch data.source {
        case "phantom":
            let kinds = ["chest_ct", "lung_ultrasound", "parotid_ultrasound", "ct_volume", "lidc"]
            let kind = try options.choice("kind", kinds, default: "lidc")!
            let count = try options.int("count", default: 200, minimum: 1)
            let phantomSeed = UInt64(try options.int("seed", default: Int(seed % UInt64(Int.max)), minimum: 0))
            let dataset: Dataset
            switch kind {
            case "chest_ct": dataset = ChestCTPhantom(count: count, seed: phantomSeed, size: try options.int("size", default: 224, minimum: 32))
            case "lung_ultrasound": dataset = LungUltrasoundPhantom(count: count, seed: phantomSeed, size: try options.int("size", default: 224, minimum: 32))
            case "parotid_ultrasound": dataset = ParotidUltrasoundPhantom(count: count, seed: phantomSeed, size: try options.int("size", default: 224, minimum: 32))
            case "ct_volume": dataset = CTVolumePhantom(count: count, seed: phantomSeed, shape: try options.ints("shape") ?? [64, 64, 64])
            default: dataset = NodulePatchPhantom(count: count, seed: phantomSeed, size: try options.int("size", default: 124, minimum: 16))
            }
            try options.finish()
            return dataset
        default:
            throw ConfigError(source: "config", path: "data.source", "'\(data.source)' is read by ZooData's dataset factory, which this build does not wire yet")
        }
    }
}
