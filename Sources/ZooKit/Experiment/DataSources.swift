import Foundation
import ZooCore
import ZooData

/// The dataset a config's `data:` section describes, built by ZooData's factory from the
/// section of the chosen source (`data.phantom`, `data.folder`, `data.csv`, `data.hdf5`,
/// `data.nifti`); relative paths are taken from the config's folder.
public enum DataSources {
    public static func make(_ data: DataConfig, seed: UInt64, base: URL?) throws -> Dataset {
        var options = [String: DataOption]()
        if case .map(let entries) = data.options {
            for (key, value) in entries {
                switch value {
                case .null: continue
                case .scalar(let text): options[key] = .value(text)
                case .list(let items):
                    options[key] = .list(try items.map { item in
                        guard case .scalar(let text) = item else {
                            throw ConfigError(source: "config", path: "data.\(data.source).\(key)", "must be a list of single values")
                        }
                        return text
                    })
                case .map:
                    throw ConfigError(source: "config", path: "data.\(data.source).\(key)", "must be a value or a list, not a map")
                }
            }
        } else if data.options != .null {
            throw ConfigError(source: "config", path: "data.\(data.source)", "must be a map of the source's options")
        }
        return try DatasetFactory.make(
            source: data.source, options: options, classNames: data.classes, seed: seed, base: base, bitDepth: data.bitDepth)
    }
}
