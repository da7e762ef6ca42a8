import Foundation
import ZooHDF5
import ZooKeras

/// The MODEL of `zoo predict`, `zoo eval` and `zoo gradcam`: a run directory (its best
/// checkpoint and its own pipeline), one of a run's checkpoints (`run/checkpoints/last.h5`: the
/// run with that checkpoint), or a model file with its architecture (a Keras `.keras` archive
/// or full-model `.h5`, a Zoo checkpoint written by `zoo import-keras`), whose pipeline comes
/// from options.
public enum ModelArgument {
    case run(RestoredRun)
    case file(ImportedModel)

    public init(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw RunError("\(path): no such run directory or model file")
        }
        if isDirectory.boolValue {
            self = .run(try RestoredRun(url))
            return
        }
        let format = try KerasFileFormat(contentsOf: url)
        switch format {
        case .zooCheckpoint:
            let folder = url.deletingLastPathComponent()
            let run = folder.deletingLastPathComponent()
            if folder.lastPathComponent == "checkpoints", FileManager.default.fileExists(atPath: run.appendingPathComponent("config.json").path) {
                self = .run(try RestoredRun(run, checkpoint: url))
            } else {
                self = .file(try ImportedModel(contentsOf: url))
            }
        case .kerasArchive, .kerasFullModel:
            self = .file(try ImportedModel(contentsOf: url))
        case .keras2Weights, .keras3Weights:
            throw RunError(
                "\(path): a \(format), weights without the architecture; give a .keras archive or full-model .h5 (model.save), or load the weights into a catalog architecture with model.weights in a config")
        }
    }

    /// Options that only a model file takes, refused for the run at `path` (which has its own
    /// pipeline): `given` lists the options the user set, by flag.
    public static func refuse(fileOptions given: [String], forRun path: String) throws {
        guard !given.isEmpty else { return }
        throw RunError("\(path) is a run, which prepares images with its own pipeline; \(given.joined(separator: ", ")) apply to model files only")
    }
}
