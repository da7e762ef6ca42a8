import Foundation
import ZIPFoundation
import ZooCore

/// Whole Keras model files, as files: the model configuration that a Keras 3 `.keras` archive
/// (`config.json`) or a full-model `.h5` (`model_config`) holds, and writing both forms. What
/// the configuration means (layers and their wiring) is ZooKeras's.
public enum KerasModelFile {
    /// The model configuration JSON of a `.keras` archive or a full-model `.h5` file.
    public static func readConfig(_ url: URL) throws -> Data {
        guard let config = try modelConfig(url) else {
            switch try FileSignature(url: url) {
            case .zip:
                throw WeightLoadError(file: url.path, problems: ["config.json: missing from the .keras archive"])
            case .hdf5, .unknown:
                // Only names the file's kind in the message; unknown is said as such.
                let format = (try? detectHDF5Layout(HDF5File.open(url).root)).map { "a \($0)" } ?? "not a Keras model file"
                throw WeightLoadError(
                    file: url.path,
                    problems: ["'/': no 'model_config' attribute: \(format), weights without the architecture; build the model in Zoo and use KerasWeights.load"])
            }
        }
        return config
    }

    /// The model configuration a file holds, or nil for a file of weights only (a `.keras`
    /// archive without `config.json`, an `.h5` file without `model_config`).
    public static func modelConfig(_ url: URL) throws -> Data? {
        switch try FileSignature(url: url) {
        case .zip:
            return try KerasArchive.read("config.json", from: try KerasArchive.open(url), of: url)
        case .hdf5, .unknown:
            do {
                let root = try HDF5File.open(url).root
                guard root.hasAttribute("model_config") else { return nil }
                return Data(try root.stringAttribute("model_config").utf8)
            } catch let error as HDF5Error {
                throw WeightLoadError(url, error)
            }
        }
    }

    /// Writes a Keras 3 `.keras` archive: `config.json` (`config`), `metadata.json` (the
    /// Keras version whose layout this is, and the time saved) and `model.weights.h5` with
    /// `model`'s weights in the Keras 3 layout. Written to a temporary file beside `url` and
    /// renamed into place.
    public static func writeArchive(config: Data, kerasVersion: String, model: Module, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let weights = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).weights.h5")
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        defer {
            // Cleanup of the temporaries: a failure to remove one changes nothing written.
            try? FileManager.default.removeItem(at: weights)
            try? FileManager.default.removeItem(at: temporary)
        }
        try AtomicFile.write(to: weights) { file in try KerasWeights.writeKeras3Layout(model, into: try file.root) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd@HH:mm:ss"
        let metadata = try JSONSerialization.data(
            withJSONObject: ["keras_version": kerasVersion, "date_saved": formatter.string(from: Date())], options: [.sortedKeys])
        do {
            let archive = try Archive(url: temporary, accessMode: .create)
            for (name, data) in [("metadata.json", metadata), ("config.json", config)] {
                try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
            try archive.addEntry(with: "model.weights.h5", fileURL: weights, compressionMethod: .none)
        } catch let error as WeightLoadError {
            throw error
        } catch {
            throw WeightLoadError(file: url.path, problems: ["cannot write the .keras archive: \(error)"])
        }
        if rename(temporary.path, url.path) != 0 {
            throw WeightLoadError(file: url.path, problems: ["cannot rename the written archive into place: \(String(cString: strerror(errno)))"])
        }
    }

    /// Writes a full-model `.h5` as Keras's `model.save("x.h5")` does: root attributes
    /// `model_config` (`config`), `keras_version` and `backend`, and the weights in the Keras 2
    /// layout under `model_weights`.
    public static func writeFullModelH5(config: Data, kerasVersion: String, model: Module, to url: URL) throws {
        try AtomicFile.write(to: url, largeAttributes: true) { file in
            let root = try file.root
            try root.setAttribute("model_config", string: String(decoding: config, as: UTF8.self))
            try root.setAttribute("keras_version", string: kerasVersion)
            try root.setAttribute("backend", string: "tensorflow")
            try KerasWeights.writeKeras2Layout(model, into: try root.createGroup("model_weights"), kerasVersion: kerasVersion)
        }
    }
}
