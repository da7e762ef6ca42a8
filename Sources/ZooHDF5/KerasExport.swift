import Foundation
import ZooCore

extension KerasWeights {
    /// The `keras_version` written into exported files: the layout is Keras 2's, and Keras
    /// reads a missing or 1.x version as a Keras 1 file to convert.
    public static let exportedKerasVersion = "2.15.0"

    /// Writes `model`'s weights as a Keras 2 weights file (`model.save_weights("x.h5")` of
    /// tf-keras), which `keras.Model.load_weights` of Keras 2 and 3 accepts for the same
    /// architecture. Written to a temporary file beside `url` and renamed into place.
    public static func exportKeras2(_ model: Module, to url: URL) throws {
        try AtomicFile.write(to: url) { file in try writeKeras2Layout(model, into: try file.root) }
    }

    /// The Keras 2 layout, at `group`:
    /// - attributes `layer_names` (`model.layers`, a nested model as one entry; fixed-length
    ///   strings), `backend` ("tensorflow") and `keras_version`;
    /// - per entry, sorted by name as Keras writes them, a group with attribute
    ///   `weight_names` (`<layer>/<weight>:0`; a nested model's as `<inner layer>/<weight>:0`;
    ///   an empty float64 array when there are none) and each dataset at that relative path;
    /// - an empty `top_level_model_weights` group.
    /// Within a group, weights come before buffers (Keras's `trainable_weights +
    /// non_trainable_weights` of a trainable model), because Keras loads them by position.
    static func writeKeras2Layout(_ model: Module, into group: HDF5Group, kerasVersion: String = exportedKerasVersion) throws {
        let entries = ModelStructure.entries(model)
        try group.setAttribute("layer_names", strings: entries.map(\.name))
        try group.setAttribute("backend", string: "tensorflow")
        try group.setAttribute("keras_version", string: kerasVersion)
        for entry in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let layerGroup = try group.createGroup(entry.name)
            let parameters: [(name: String, parameter: Parameter)]
            if let layer = entry as? Layer {
                parameters = layer.parameters.map { ("\(layer.name)/\($0.name)", $0) }
            } else {
                parameters = entry.namedParameters.map { ($0.path, $0.parameter) }
            }
            let ordered = parameters.filter { $0.parameter.kind == .weight } + parameters.filter { $0.parameter.kind == .buffer }
            try layerGroup.setAttribute("weight_names", strings: ordered.map { $0.name + ":0" })
            for (name, parameter) in ordered {
                try layerGroup.createDataset(name + ":0", floats: parameter.value.scalars, shape: parameter.value.shape)
            }
        }
        try group.createGroup("top_level_model_weights").setAttribute("weight_names", strings: [])
    }
}

extension KerasWeights {
    /// The Keras 3 layout (`model.save_weights("x.weights.h5")`, and `model.weights.h5` in a
    /// `.keras` archive), at `group`: the model's own `vars` (its name as attribute `name`),
    /// then under `layers/` one group per entry of `model.layers`, keyed by the snake-case
    /// class numbered within its container (`conv2d`, `conv2d_1`, a nested model's
    /// `functional/layers/...`), each with `vars/<i>`: weights, then buffers, in creation
    /// order (Keras's `trainable + non_trainable` variables).
    static func writeKeras3Layout(_ module: Module, into group: HDF5Group) throws {
        let vars = try group.createGroup("vars")
        try vars.setAttribute("name", string: module.name)
        if let layer = module as? Layer {
            let ordered = layer.parameters.filter { $0.kind == .weight } + layer.parameters.filter { $0.kind == .buffer }
            for (index, parameter) in ordered.enumerated() {
                try vars.createDataset(String(index), floats: parameter.value.scalars, shape: parameter.value.shape)
            }
            return
        }
        let layers = try group.createGroup("layers")
        var counts = [String: Int]()
        for entry in ModelStructure.entries(module) {
            let key = KerasConfig.classKey(snakeCase(entry.kerasClassName), &counts)
            try writeKeras3Layout(entry, into: try layers.createGroup(key))
        }
    }
}

/// Writing a file so that a crash at any moment leaves either the old file or the new one:
/// the new one is written to a temporary file in the same folder (same file system, so the
/// rename is atomic), flushed, closed, synced to disk and renamed over the old one.
enum AtomicFile {
    static func write(to url: URL, largeAttributes: Bool = false, _ body: (HDF5File) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            let file = try HDF5File.create(temporary, largeAttributes: largeAttributes)
            try body(file)
            try file.flush()
            try file.close()
            // HDF5's flush hands the data to the kernel; fsync makes it durable before the
            // rename can be.
            let descriptor = open(temporary.path, O_RDONLY)
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
            }
            if rename(temporary.path, url.path) != 0 {
                throw HDF5Error(file: url.path, path: "", "cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            // Cleanup on the way out: the error being thrown is the one to report.
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
