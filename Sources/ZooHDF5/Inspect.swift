import Foundation
import ZIPFoundation

/// A weight file's detected format, what it says about itself (Keras version, the model its
/// configuration describes, a checkpoint's training state), its layers and every weight's
/// location, shape and dtype, as text (what `zoo inspect` prints).
///
/// Every format Zoo reads is described (Keras 2 weights, Zoo checkpoint, Keras full-model
/// `.h5`, Keras 3 `.weights.h5`, `.keras`); a PyTorch `.pth` archive is named as such (with
/// the converter to use), and any other HDF5 file is listed dataset by dataset.
public func inspectWeightFile(_ url: URL) throws -> String {
    let signature = try FileSignature(url: url)
    if signature == .zip, let summary = torchArchiveSummary(url) { return summary }
    let source: WeightSource
    do {
        source = try WeightSource.read(url, readValues: false)
    } catch let error as WeightLoadError {
        // A file that is not a Keras one may still be HDF5 worth listing; when it is not
        // even that, the weight reader's error is the one to report.
        guard signature != .zip, let listing = try? genericHDF5Listing(url) else { throw error }
        return listing
    }
    var lines = ["\(url.lastPathComponent): \(source.format)"]
    // Saturating: `inspect` reads shapes only, and a damaged file's shape may not be countable.
    let total = source.weights.reduce(0) { sum, weight in
        let (next, overflow) = sum.addingReportingOverflow(HDF5SizeLimits.elementCount(weight.shape) ?? Int.max)
        return overflow ? Int.max : next
    }
    lines.append("\(source.layers.count) layers, \(source.weights.count) weights, \(total) values")
    lines += fileDetails(url, format: source.format)
    var byLayer = [String: [SourceWeight]]()
    for weight in source.weights { byLayer[weight.layer, default: []].append(weight) }
    let order = source.layers + byLayer.keys.filter { !source.layers.contains($0) }.sorted()
    for layer in order {
        let weights = byLayer[layer] ?? []
        lines.append("  \(layer)" + (weights.isEmpty ? " (no weights)" : ""))
        for weight in weights {
            lines.append("    \(weight.key): \(weight.location) \(weight.shape) \(weight.dataType)")
        }
    }
    return lines.joined(separator: "\n")
}

/// What a file says about itself beyond its weights, one line each. Every item is optional
/// (files written by other tools lack some): one that cannot be read is left out, which is why
/// the reads below are `try?`. The weights, which matter, were read and checked before.
func fileDetails(_ url: URL, format: KerasFileFormat) -> [String] {
    var lines = [String]()
    func model(_ data: Data, from origin: String) {
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        let config = json["config"] as? [String: Any] ?? [:]
        let layers = (config["layers"] as? [Any])?.count ?? 0
        let name = config["name"] as? String ?? "?"
        lines.append("model: \(json["class_name"] as? String ?? "?") '\(name)', \(layers) layers (\(origin); KerasModelImport rebuilds it)")
    }
    if format == .kerasArchive {
        if let archive = try? KerasArchive.open(url) {
            for name in ["metadata.json", "config.json"] {
                guard let data = try? KerasArchive.read(name, from: archive, of: url) else { continue }
                if name == "config.json" {
                    model(data, from: "config.json")
                } else if let meta = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                    lines.append("keras_version: \(meta["keras_version"] as? String ?? "?")")
                }
            }
        }
        return lines
    }
    guard let root = try? HDF5File.open(url).root else { return lines }
    let top = format == .kerasFullModel ? (try? root.group("model_weights")) ?? root : root
    for name in ["keras_version", "backend"] {
        if let value = (try? top.stringAttribute(name)) ?? (try? root.stringAttribute(name)) { lines.append("\(name): \(value)") }
    }
    if format == .kerasFullModel, let config = try? root.stringAttribute("model_config") {
        model(Data(config.utf8), from: "model_config")
    }
    if format == .zooCheckpoint, let training = try? root.group("zoo_training") {
        var parts = [String]()
        for name in ["format_version", "epoch", "schedule_step"] {
            if let value = try? training.int64sAttribute(name).first { parts.append("\(name) \(value)") }
        }
        if let optimizer = try? training.group("optimizer") {
            let slots = (try? optimizer.datasetPaths().count) ?? 0
            parts.append("optimizer \((try? optimizer.stringAttribute("class")) ?? "?") (\(slots) state datasets)")
        }
        for group in ["random", "layer_random"] {
            if let paths = try? training.group(group).datasetPaths(), !paths.isEmpty { parts.append("\(group): \(paths.joined(separator: ", "))") }
        }
        if training.kind(of: "config") == .dataset { parts.append("experiment config") }
        lines.append("training state: " + parts.joined(separator: "; "))
    }
    return lines
}

/// A PyTorch `torch.save` zip (`<name>/data.pkl`): named, with the converter to use.
func torchArchiveSummary(_ url: URL) -> String? {
    // Only entry names are read here; an archive that cannot be opened is not a PyTorch
    // file, and the Keras reader that runs next reports why.
    guard let archive = try? Archive(url: url, accessMode: .read) else { return nil }
    let entries = archive.map(\.path)
    guard entries.contains(where: { $0.hasSuffix("/data.pkl") || $0 == "data.pkl" }) else { return nil }
    let tensors = entries.filter { $0.contains("/data/") }.count
    return [
        "\(url.lastPathComponent): PyTorch file (torch.save zip archive, \(tensors) tensor storages)",
        "Zoo does not read PyTorch pickles; a torchvision ResNet18/34 state_dict converts with",
        "  python tools/torch_to_zoo.py \(url.lastPathComponent) OUT.h5",
    ].joined(separator: "\n")
}

/// Any other HDF5 file: every dataset with its shape and dtype.
func genericHDF5Listing(_ url: URL) throws -> String {
    let root = try HDF5File.open(url).root
    let paths = try root.datasetPaths()
    var lines = ["\(url.lastPathComponent): HDF5 file, not a Keras weight file (\(paths.count) datasets)"]
    for path in paths {
        let dataset = try root.dataset(path)
        lines.append("  \(path): \(dataset.shape) \(dataset.dataType)")
    }
    return lines.joined(separator: "\n")
}
