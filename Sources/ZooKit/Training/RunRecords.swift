import Foundation
import ZooCore

/// timing.json: what a run trained and how long it took.
public struct RunTiming: Codable, Equatable {
    public var architecture: String
    public var task: String
    public var trainingSeconds: Double
    /// Inference time per image on the test set (batched, this machine).
    public var msPerImage: Double

    enum CodingKeys: String, CodingKey {
        case architecture, task
        case trainingSeconds = "training_seconds"
        case msPerImage = "ms_per_image"
    }
}

/// evaluated.json: the checkpoint whose weights the run's report evaluated, so that `zoo eval`,
/// `predict`, `gradcam` and `export-keras` use that model and no other.
public struct EvaluatedCheckpoint: Codable, Equatable, CustomStringConvertible {
    /// `best.h5` or `last.h5`, in the run's checkpoints folder.
    public var file: String
    /// The completed epochs of those weights.
    public var epoch: Int
    public var reason: String

    public var description: String { "checkpoints/\(file) (epoch \(epoch): \(reason))" }
}

/// fingerprint.json: the data a run was trained on, so that a sweep reuses a trial only while
/// its data are still the ones it was trained with (its config is compared key by key with
/// config.json).
public struct RunFingerprint: Codable, Equatable {
    /// FNV-1a of every sample's id, label, group and file (path, size, modification time),
    /// and of the regions of interest when a pipeline stage crops to them.
    public var data: String
    public var samples: Int
    /// FNV-1a of the model files the run starts from (`model.from`, `model.weights`: path,
    /// size, modification time); nil without one.
    public var model: String?

    /// The fingerprint of `urls` (path, size and modification time of each), nil for none.
    static func files(_ urls: [URL]) -> String? {
        guard !urls.isEmpty else { return nil }
        var hasher = FNV1a()
        // A file that cannot be read hashes as -1; building the model reports it.
        for url in urls { hasher.add("\(url.standardizedFileURL.path)\t\(stamp(url.path))\n") }
        return hasher.hex
    }

    /// A file's size and modification time (`-1\t-1` for one that cannot be read): a file
    /// replaced in place keeps its name, not these.
    static func stamp(_ path: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let time = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        return "\(size)\t\(time)"
    }

    /// The fingerprint of `dataset` (with `extra` text, such as a stage's regions of
    /// interest, folded in).
    public init(dataset: Dataset, extra: String = "") {
        var hasher = FNV1a()
        for info in dataset.infos {
            hasher.add("\(info.id)\t\(info.label.map(String.init) ?? "")\t\(info.group ?? "")\t\(info.path ?? "")")
            if let path = info.path {
                // A file that cannot be read is reported by the data check, and hashes as -1 here.
                hasher.add("\t\(RunFingerprint.stamp(path))")
            }
            hasher.add("\n")
        }
        hasher.add(extra)
        data = hasher.hex
        samples = dataset.count
    }

    /// 64-bit FNV-1a: a stable hash (Swift's Hasher is seeded per process).
    struct FNV1a {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325
        mutating func add(_ text: String) {
            for byte in text.utf8 { state = (state ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        var hex: String { String(format: "%016llx", state) }
    }
}

extension RunDirectory {
    /// The checkpoint the report evaluated; for runs that recorded none (older, or not yet
    /// evaluated), the best checkpoint if there is one, else the last.
    public var evaluatedCheckpoint: URL {
        get throws {
            if FileManager.default.fileExists(atPath: evaluated.path) {
                let record: EvaluatedCheckpoint
                do {
                    record = try JSONDecoder().decode(EvaluatedCheckpoint.self, from: try Data(contentsOf: evaluated))
                } catch {
                    throw RunError("\(evaluated.path) is not readable: \(error)")
                }
                let url = checkpoints.appendingPathComponent(record.file)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw RunError("\(url.path), the checkpoint the run's report evaluated (\(record)), is missing")
                }
                return url
            }
            return FileManager.default.fileExists(atPath: bestCheckpoint.path) ? bestCheckpoint : lastCheckpoint
        }
    }

    public var timingRecord: RunTiming {
        get throws {
            do {
                return try JSONDecoder().decode(RunTiming.self, from: try Data(contentsOf: timing))
            } catch {
                throw RunError("\(timing.path) is not readable (\(error)); delete the run to train it again")
            }
        }
    }

    /// The fingerprint the run recorded (nil for runs of a Zoo that wrote none).
    public var recordedFingerprint: RunFingerprint? {
        // A missing or unreadable record means "unknown": the caller retrains.
        guard let data = try? Data(contentsOf: fingerprint) else { return nil }
        return try? JSONDecoder().decode(RunFingerprint.self, from: data)
    }

    /// The run's experiment as it ran: its config.json, with relative data paths taken from
    /// the folder of the config it came from (origin.txt) and no weights file to load (its
    /// checkpoints hold the weights).
    public var experimentConfig: ExperimentConfig {
        get throws {
            var config = try ExperimentConfig(try recordedConfig, source: self.config.path)
            config.model.weights = nil
            config.baseDirectory = configDirectory
            return config
        }
    }

    /// The resolved config the run recorded.
    public var recordedConfig: ConfigValue {
        get throws {
            try ConfigValue.parse(yaml: try UserFile.text(config, what: "run's config.json"), source: config.path)
        }
    }
}
