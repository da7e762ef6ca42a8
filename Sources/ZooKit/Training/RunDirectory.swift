import Foundation

/// `runs/<experiment>/<run>/`: the resolved config, the split, checkpoints, the epoch log,
/// predictions, metrics and the report of one training run.
public struct RunDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// Creates `root/<experiment>/<run>` (and its checkpoints folder).
    public static func create(root: URL, experiment: String, run: String) throws -> RunDirectory {
        let directory = RunDirectory(root.appendingPathComponent(experiment).appendingPathComponent(run))
        try FileManager.default.createDirectory(at: directory.checkpoints, withIntermediateDirectories: true)
        return directory
    }

    /// An existing run, or an error saying what is missing.
    public static func existing(_ url: URL) throws -> RunDirectory {
        let directory = RunDirectory(url)
        guard FileManager.default.fileExists(atPath: directory.config.path) else {
            throw RunError("\(url.path) is not a run directory: it has no \(directory.config.lastPathComponent)")
        }
        return directory
    }

    public var config: URL { url.appendingPathComponent("config.json") }
    public var split: URL { url.appendingPathComponent("split.json") }
    public var checkpoints: URL { url.appendingPathComponent("checkpoints") }
    public var lastCheckpoint: URL { checkpoints.appendingPathComponent("last.h5") }
    public var bestCheckpoint: URL { checkpoints.appendingPathComponent("best.h5") }
    public var log: URL { url.appendingPathComponent("log.csv") }
    public var predictions: URL { url.appendingPathComponent("predictions.csv") }
    public var trainPredictions: URL { url.appendingPathComponent("predictions-train.csv") }
    public var validationPredictions: URL { url.appendingPathComponent("predictions-validation.csv") }
    /// The predictions of an external test set (`data.test_sets`).
    public func externalPredictions(_ name: String) -> URL { url.appendingPathComponent("predictions-\(name).csv") }
    /// For a run evaluated per patient, the per-image twin of one of its predictions files
    /// (`predictions-train.csv` -> `predictions-images-train.csv`).
    public func perImage(_ predictions: URL) -> URL {
        url.appendingPathComponent(predictions.lastPathComponent.replacingOccurrences(of: "predictions", with: "predictions-images"))
    }
    /// The two data pipelines in words (training; validation, test and predict).
    public var pipeline: URL { url.appendingPathComponent("pipeline.txt") }
    /// What the run was trained on (config and data), for reuse decisions.
    public var fingerprint: URL { url.appendingPathComponent("fingerprint.json") }
    /// Which checkpoint the report evaluated, and why.
    public var evaluated: URL { url.appendingPathComponent("evaluated.json") }
    /// Files left out of the run because they could not be read (`data.on_error: skip`).
    public var skipped: URL { url.appendingPathComponent("skipped.csv") }
    public var timing: URL { url.appendingPathComponent("timing.json") }
    public var metrics: URL { url.appendingPathComponent("metrics.json") }
    public var report: URL { url.appendingPathComponent("report.md") }
    public var reportHTML: URL { url.appendingPathComponent("report.html") }
    /// The folder of the config the run came from: its relative data paths start there.
    /// The member runs of an ensemble's evaluation, one folder per line.
    public var members: URL { url.appendingPathComponent("members.txt") }
    /// The regions of interest the run's images were cropped to (pipeline stages).
    public var regions: URL { url.appendingPathComponent("roi.csv") }
    public var origin: URL { url.appendingPathComponent("origin.txt") }

    /// The config folder recorded by the run (nil for runs that recorded none).
    public var configDirectory: URL? {
        // Runs from configs built in code record no origin: their data paths are absolute.
        guard let text = try? String(contentsOf: origin, encoding: .utf8) else { return nil }
        let path = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : URL(fileURLWithPath: path, isDirectory: true)
    }

    /// The best validation score (AUC or Dice) of the epoch log, nil without one.
    public var bestValidationScore: Double? {
        // A run that has not finished an epoch has no log yet: no score.
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return nil }
        let rows = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        guard let column = rows.first?.firstIndex(of: "val_score") else { return nil }
        return rows.dropFirst().compactMap { $0.count > column ? Double($0[column]) : nil }.max()
    }

    /// Whether the run finished (its metrics were written).
    public var isFinished: Bool { FileManager.default.fileExists(atPath: metrics.path) }
}

/// An error of the experiment runner, in words a user acts on.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
