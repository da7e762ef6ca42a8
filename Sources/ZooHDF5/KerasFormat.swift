import Foundation

/// The kinds of weight file Zoo reads, told apart by content, never by file name.
public enum KerasFileFormat: String, Sendable, CustomStringConvertible {
    /// Keras 2 `model.save_weights("x.h5")` (also Keras 3's legacy writer): root attribute
    /// `layer_names`, per-layer groups with `weight_names`.
    case keras2Weights = "Keras 2 weights file (.h5)"
    /// A Zoo checkpoint: a Keras 2 weights file plus a `zoo_training` group.
    case zooCheckpoint = "Zoo checkpoint (Keras 2 weights layout + zoo_training)"
    /// Keras `model.save("x.h5")`: the same layout under `model_weights/`, plus the config.
    case kerasFullModel = "Keras full-model file (.h5, model_weights/)"
    /// Keras 3 `model.save_weights("x.weights.h5")`: `layers/<class>[_n]/vars/<i>`.
    case keras3Weights = "Keras 3 weights file (.weights.h5)"
    /// Keras 3 `model.save("x.keras")`: a zip of `config.json` and `model.weights.h5`.
    case kerasArchive = "Keras 3 archive (.keras)"

    public var description: String { rawValue }
}

/// The first bytes of the file: a zip archive, an HDF5 file, or neither.
enum FileSignature {
    case zip, hdf5, unknown

    init(url: URL) throws {
        if let problem = InputFile.problem(url) {
            throw WeightLoadError(file: url.path, problems: [problem])
        }
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            // Closing a file opened for reading cannot lose data.
            defer { try? handle.close() }
            // The throwing `read(upToCount:)`: `readData(ofLength:)` traps on a read error.
            head = [UInt8](try handle.read(upToCount: 8) ?? Data())
        } catch {
            throw WeightLoadError(file: url.path, problems: ["cannot read the file: \(error.localizedDescription)"])
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .zip
        } else if head == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .hdf5
        } else {
            // HDF5 allows a user block before the signature (at 512, 1024, ...); the library
            // looks for it there.
            self = .unknown
        }
    }
}

/// Which HDF5 layout a file holds.
func detectHDF5Layout(_ root: HDF5Group) throws -> KerasFileFormat {
    if root.hasAttribute("layer_names") {
        return root.kind(of: "zoo_training") == .group ? .zooCheckpoint : .keras2Weights
    }
    if root.kind(of: "model_weights") == .group, try root.group("model_weights").hasAttribute("layer_names") {
        return .kerasFullModel
    }
    if root.kind(of: "layers") == .group || root.kind(of: "vars") == .group {
        return .keras3Weights
    }
    // Only decorates the message: a group that cannot be listed still is not a Keras file.
    let members = (try? root.memberNames()) ?? []
    throw WeightLoadError(
        file: root.file.url.path,
        problems: ["'/': not a Keras weight file: no 'layer_names' attribute, no 'model_weights/' or 'layers/' group (members: \(members))"])
}

extension KerasFileFormat {
    /// The format of the file at `url`, from its content (an error names the file when it is
    /// none of Zoo's formats).
    public init(contentsOf url: URL) throws {
        switch try FileSignature(url: url) {
        case .zip: self = .kerasArchive
        case .hdf5, .unknown:
            do {
                self = try detectHDF5Layout(try HDF5File.open(url).root)
            } catch let error as HDF5Error {
                throw WeightLoadError(url, error)
            }
        }
    }
}
