import Foundation
import ZIPFoundation
import ZooCore

/// One weight as a file holds it, before it is matched to a model.
struct SourceWeight {
    /// How the weight is named inside its layer.
    enum Key: Equatable, CustomStringConvertible {
        /// Keras 2 names (`kernel`, `moving_mean`).
        case name(String)
        /// Keras 3 position in the layer's `vars`, which is Zoo's parameter order.
        case index(Int)
        var description: String {
            switch self {
            case .name(let name): return name
            case .index(let index): return "vars/\(index)"
            }
        }
    }

    /// The dataset's path in the file (in messages and `inspect`).
    let location: String
    /// The layer: a name path (`conv2d`, `backbone/stem_conv`) or, for Keras 3 weights
    /// files, a class key (`conv2d_1`, `functional/batch_normalization`).
    var layer: String
    var key: Key
    let shape: [Int]
    let dataType: HDF5DataType
    /// The values, read as Float32; nil when the dataset is neither floating point nor integer.
    let values: [Float]?
}

/// Every weight of a file, read into memory (so nothing touches the model until all of it
/// has been read and checked), and how its layers are identified.
struct WeightSource {
    let url: URL
    let format: KerasFileFormat
    var weights: [SourceWeight]
    /// File layers in the file's order (Keras 2: `layer_names`), weightless ones included.
    var layers: [String]
    /// Whether `layer` holds names (Keras 2, `.keras`) rather than Keras 3 class keys.
    let namedLayers: Bool

    /// Reads the file at `url`, whatever its format.
    static func read(_ url: URL, readValues: Bool = true) throws -> WeightSource {
        switch try FileSignature(url: url) {
        case .zip: return try readArchive(url, readValues: readValues)
        case .hdf5, .unknown:
            let file: HDF5File
            do {
                file = try HDF5File.open(url)
            } catch let error as HDF5Error {
                throw WeightLoadError(url, error, stack: true)
            }
            let root = try file.root
            let format = try detectHDF5Layout(root)
            return try readHDF5(root, format: format, url: url, readValues: readValues)
        }
    }

    static func readHDF5(_ root: HDF5Group, format: KerasFileFormat, url: URL, readValues: Bool) throws -> WeightSource {
        do {
            switch format {
            case .keras2Weights, .zooCheckpoint:
                return try readKeras2(root, format: format, url: url, readValues: readValues)
            case .kerasFullModel:
                return try readKeras2(try root.group("model_weights"), format: format, url: url, readValues: readValues)
            case .keras3Weights, .kerasArchive:
                return try readKeras3(root, format: format, url: url, readValues: readValues)
            }
        } catch let error as HDF5Error {
            throw WeightLoadError(file: url.path, problems: ["\(error.path): \(error.message)" + (error.stack.isEmpty ? "" : " (HDF5: \(error.stack.joined(separator: "; ")))")])
        }
    }

    /// Keras reads string-list attributes that outgrew HDF5's 64 KiB header limit as chunks
    /// `name0`, `name1`, ...; so does Zoo.
    static func stringList(_ object: HDF5Object, _ name: String) throws -> [String] {
        if object.hasAttribute(name) { return try object.stringsAttribute(name) }
        var result = [String]()
        var chunk = 0
        while object.hasAttribute("\(name)\(chunk)") {
            result += try object.stringsAttribute("\(name)\(chunk)")
            chunk += 1
        }
        return result
    }

    static func readDataset(_ dataset: HDF5Dataset, readValues: Bool) throws -> ([Int], HDF5DataType, [Float]?) {
        let type = dataset.dataType
        let values = readValues && (type.isFloatingPoint || type.isInteger) ? try dataset.readFloats() : nil
        return (dataset.shape, type, values)
    }

    /// Keras 2 layout: `layer_names` in `model.layers` order; in each layer's group,
    /// `weight_names` gives the datasets' relative paths (`conv2d/kernel:0`, or Keras 3's
    /// legacy writer's `sequential/conv2d/kernel`; a nested model's group lists its layers'
    /// weights as `stem_conv/kernel:0`).
    static func readKeras2(_ group: HDF5Group, format: KerasFileFormat, url: URL, readValues: Bool) throws -> WeightSource {
        let layerNames = try stringList(group, "layer_names")
        var weights = [SourceWeight]()
        var problems = [String]()
        for layerName in layerNames {
            guard group.kind(of: layerName) == .group else {
                problems.append("\(group.child(layerName)): listed in layer_names but there is no such group")
                continue
            }
            let layerGroup = try group.group(layerName)
            for weightName in try stringList(layerGroup, "weight_names") {
                guard layerGroup.kind(of: weightName) == .dataset else {
                    problems.append("\(layerGroup.child(weightName)): listed in weight_names but there is no such dataset")
                    continue
                }
                let (shape, type, values) = try readDataset(try layerGroup.dataset(weightName), readValues: readValues)
                var components = weightName.split(separator: "/").map(String.init)
                if let last = components.last, let colon = last.lastIndex(of: ":"), Int(last[last.index(after: colon)...]) != nil {
                    components[components.count - 1] = String(last[..<colon])
                }
                let name = components.removeLast()
                // The layer path: from the layer's own name on when the weight name repeats
                // it (`sequential/conv2d/kernel` in group `conv2d`), else inside the group (a
                // nested model's `stem_conv/kernel` in group `backbone`).
                let layerPath: String
                if let start = components.firstIndex(of: layerName) {
                    layerPath = components[start...].joined(separator: "/")
                } else {
                    layerPath = ([layerName] + components).joined(separator: "/")
                }
                weights.append(SourceWeight(
                    location: layerGroup.child(weightName), layer: layerPath, key: .name(name), shape: shape, dataType: type, values: values))
            }
        }
        if !problems.isEmpty { throw WeightLoadError(file: url.path, problems: problems) }
        return WeightSource(url: url, format: format, weights: weights, layers: layerNames, namedLayers: true)
    }

    /// Keras 3 layout: `layers/<class>[_n]/vars/<i>`, nested models as
    /// `layers/<class>[_n]/layers/...`. The class key is the layer's identity.
    static func readKeras3(_ root: HDF5Group, format: KerasFileFormat, url: URL, readValues: Bool) throws -> WeightSource {
        var weights = [SourceWeight]()
        var layers = [String]()
        func walk(_ group: HDF5Group, prefix: String) throws {
            for member in try group.memberNames() where group.kind(of: member) == .group {
                let layer = try group.group(member)
                let key = prefix + member
                layers.append(key)
                if layer.kind(of: "vars") == .group {
                    let vars = try layer.group("vars")
                    let indices = try vars.memberNames().compactMap(Int.init).sorted()
                    for index in indices {
                        let (shape, type, values) = try readDataset(try vars.dataset(String(index)), readValues: readValues)
                        weights.append(SourceWeight(
                            location: vars.child(String(index)), layer: key, key: .index(index), shape: shape, dataType: type, values: values))
                    }
                }
                if layer.kind(of: "layers") == .group { try walk(try layer.group("layers"), prefix: key + "/") }
            }
        }
        if root.kind(of: "layers") == .group { try walk(try root.group("layers"), prefix: "") }
        return WeightSource(url: url, format: format, weights: weights, layers: layers, namedLayers: false)
    }

    /// A `.keras` archive: `model.weights.h5` (Keras 3 layout) read through a temporary copy,
    /// its class keys turned into layer names with `config.json`.
    static func readArchive(_ url: URL, readValues: Bool) throws -> WeightSource {
        let archive = try KerasArchive.open(url)
        if archive.contains(where: { $0.path.hasSuffix("/data.pkl") || $0.path == "data.pkl" }) {
            throw WeightLoadError(
                file: url.path,
                problems: ["a PyTorch file (torch.save zip), not a .keras archive: convert a torchvision ResNet18/34 state_dict with tools/torch_to_zoo.py"])
        }
        var problems = [String]()
        if archive["config.json"] == nil { problems.append("config.json: missing from the .keras archive") }
        if archive["model.weights.h5"] == nil { problems.append("model.weights.h5: missing from the .keras archive") }
        guard problems.isEmpty, let weightsEntry = archive["model.weights.h5"],
              let configData = try KerasArchive.read("config.json", from: archive, of: url) else {
            throw WeightLoadError(file: url.path, problems: problems)
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-\(UUID().uuidString).weights.h5")
        // Removing a temporary file that may not exist: nothing to report either way.
        defer { try? FileManager.default.removeItem(at: temporary) }
        try KerasArchive.copy(weightsEntry, from: archive, of: url, to: temporary)
        var source: WeightSource
        do {
            let file = try HDF5File.open(temporary)
            source = try readHDF5(try file.root, format: .kerasArchive, url: url, readValues: readValues)
        } catch let error as HDF5Error {
            throw WeightLoadError(file: url.path, problems: ["model.weights.h5: \(error.message)"])
        } catch let error as WeightLoadError {
            throw WeightLoadError(file: url.path, problems: error.problems.map { "model.weights.h5: " + $0 })
        }
        let names: [String: String]
        do {
            names = try KerasConfig.layerNamesByKey(configData)
        } catch {
            throw WeightLoadError(file: url.path, problems: ["config.json: \(error)"])
        }
        var unnamed = [String]()
        for index in source.weights.indices {
            if let name = names[source.weights[index].layer] { source.weights[index].layer = name } else { unnamed.append(source.weights[index].layer) }
        }
        if !unnamed.isEmpty {
            throw WeightLoadError(file: url.path, problems: Set(unnamed).sorted().map { "model.weights.h5: layers/\($0): no layer of config.json has this key" })
        }
        source.layers = source.layers.map { names[$0] ?? $0 }
        return WeightSource(url: url, format: .kerasArchive, weights: source.weights, layers: source.layers, namedLayers: true)
    }
}

/// Keras 3's class keys, computed from `config.json` or from a Zoo model the same way.
enum KerasConfig {
    /// Class key (`functional/conv2d_1`) to layer name path (`backbone/stem_conv`).
    static func layerNamesByKey(_ data: Data) throws -> [String: String] {
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError("not a JSON object")
        }
        var result = [String: String]()
        func walk(_ model: [String: Any], keyPrefix: String, namePrefix: String) {
            let className = model["class_name"] as? String ?? ""
            let config = model["config"] as? [String: Any] ?? [:]
            var counts = [String: Int]()
            for layer in config["layers"] as? [[String: Any]] ?? [] {
                let layerClass = layer["class_name"] as? String ?? ""
                // A Sequential model's config lists its input, which `model.layers` does not.
                if className == "Sequential" && layerClass == "InputLayer" { continue }
                let layerConfig = layer["config"] as? [String: Any] ?? [:]
                let name = layerConfig["name"] as? String ?? ""
                let key = keyPrefix + classKey(snakeCase(layerClass), &counts)
                result[key] = namePrefix + name
                if layerConfig["layers"] != nil {
                    walk(layer, keyPrefix: key + "/", namePrefix: namePrefix + name + "/")
                }
            }
        }
        walk(json, keyPrefix: "", namePrefix: "")
        return result
    }

    /// `conv2d`, then `conv2d_1`, `conv2d_2`: Keras 3 numbers each class within its container.
    static func classKey(_ base: String, _ counts: inout [String: Int]) -> String {
        let index = counts[base, default: 0]
        counts[base] = index + 1
        return index == 0 ? base : "\(base)_\(index)"
    }
}
