import Foundation
import ZooCore
import ZooNN
import ZooHDF5
import ZooTensor

/// Whole-model import: a Zoo model rebuilt from a Keras model's configuration, then its
/// weights loaded.
///
/// The configuration is a `.keras` archive's `config.json` or a full-model `.h5` file's
/// `model_config` attribute (Keras 3 and tf-keras 2 forms). Sequential and Functional models
/// are rebuilt layer by layer as functional graphs (`Model(inputs:outputs:)`), whose layers'
/// own shape inference checks every connection; a nested model (a `keras.applications`
/// backbone called as one layer under a custom head) becomes a nested scoped model named as
/// in Keras, so its weights keep their paths (`mobilenetv2_1.00_32/Conv1/kernel`). Every layer
/// type ZooNN has is accepted (`KerasModelImport.supportedLayers`); any other layer type is an
/// error naming it and the layer. Only channels-last data and layers called once (no shared
/// layers) are rebuilt.
public enum KerasModelImport {
    /// The Keras layer classes Zoo rebuilds (and `Sequential`, `Functional`, `Model`): the
    /// layer table's.
    public static let supportedLayers: [String] = ["InputLayer"] + KerasLayerTable.codecs.flatMap(\.classNames)

    /// Rebuilds the model a `.keras` archive or full-model `.h5` file describes and loads its
    /// weights (strictly by default). Returns the model in inference mode and the load report.
    public static func load(_ url: URL, options: WeightLoadOptions = .strict) throws -> (model: Model, report: WeightLoadReport) {
        let model = try build(config: try KerasModelFile.readConfig(url), file: url)
        let report = try KerasWeights.load(into: model, from: url, options: options)
        model.setTraining(false)
        return (model, report)
    }

    /// Builds (fresh weights, seed 0) the model the configuration of file `url` describes; an
    /// error names the file and `place`, where in it the configuration is.
    static func build(config: Data, file url: URL, at place: String = "") throws -> Model {
        do {
            return try BuildContext.run(seed: 0) { try build(config: config) }
        } catch let error as ModelError {
            throw ModelError("\(url.path): \(place)\(error.message)")
        }
    }

    /// Builds (with fresh initial weights) the model a Keras configuration describes.
    public static func build(config data: Data) throws -> Model {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ModelError("the model configuration is not valid JSON: \(error.localizedDescription)")
        }
        guard let json = parsed as? [String: Any] else {
            throw ModelError("the model configuration is not a JSON object")
        }
        return try buildModel(json, inputShape: nil, isScope: false)
    }

    // MARK: - Models

    typealias JSON = [String: Any]

    /// A Sequential or Functional configuration as a functional model; `inputShape` (without
    /// the batch) is what the caller feeds a nested model.
    static func buildModel(_ json: JSON, inputShape: [Int?]?, isScope: Bool) throws -> Model {
        let className = json["class_name"] as? String ?? ""
        let config = json["config"] as? JSON ?? [:]
        let name = config["name"] as? String ?? (className == "Sequential" ? "sequential" : "functional")
        switch className {
        case "Sequential":
            return try buildSequential(config, name: name, inputShape: inputShape, isScope: isScope)
        case "Functional", "Model":
            return try buildFunctional(config, name: name, inputShape: inputShape, isScope: isScope)
        default:
            throw ModelError("model '\(name)': class \(className.isEmpty ? "(none)" : className) is not a Sequential or Functional model")
        }
    }

    static func buildSequential(_ config: JSON, name: String, inputShape: [Int?]?, isScope: Bool) throws -> Model {
        let layers = config["layers"] as? [JSON] ?? []
        var shape = inputShape
        var input: SymbolicTensor?
        var output: SymbolicTensor?
        var listsInput = false
        // Keras 3 lists the input layer; tf-keras 2 puts `batch_input_shape` on the first layer,
        // Keras 3 may also give `build_input_shape`.
        if shape == nil, let build = config["build_input_shape"] as? [Any] { shape = Array(optionalInts(build).dropFirst()) }
        for layer in layers {
            let className = layer["class_name"] as? String ?? ""
            let layerConfig = layer["config"] as? JSON ?? [:]
            if className == "InputLayer" {
                input = try inputTensor(layerConfig)
                output = input
                listsInput = true
                continue
            }
            if input == nil {
                if let batchShape = layerConfig["batch_input_shape"] as? [Any] ?? layerConfig["batch_shape"] as? [Any] {
                    shape = Array(optionalInts(batchShape).dropFirst())
                }
                guard let known = shape else {
                    throw ModelError("Sequential model '\(name)': no input shape (no InputLayer, no batch_input_shape)")
                }
                input = try Input(shape: known, name: "\(name)_input")
                output = input
            }
            guard let previous = output else { continue }
            output = try call(buildLayer(layer, inputShapes: [previous.shape]), on: [previous])
        }
        guard let input, let output, output !== input else { throw ModelError("Sequential model '\(name)' has no layers") }
        return try Model(inputs: [input], outputs: [output], name: name, isScope: isScope, listsInputLayers: listsInput)
    }

    static func buildFunctional(_ config: JSON, name: String, inputShape: [Int?]?, isScope: Bool) throws -> Model {
        let layers = config["layers"] as? [JSON] ?? []
        let inputs = try references(config["input_layers"], model: name, what: "input_layers")
        let outputs = try references(config["output_layers"], model: name, what: "output_layers")

        // The output of each layer, by name, once its inputs are built.
        var built = [String: SymbolicTensor]()
        var pending = layers
        while !pending.isEmpty {
            var progressed = false
            var still = [JSON]()
            for layer in pending {
                let className = layer["class_name"] as? String ?? ""
                let layerConfig = layer["config"] as? JSON ?? [:]
                let layerName = layer["name"] as? String ?? layerConfig["name"] as? String ?? ""
                if className == "InputLayer" {
                    built[layerName] = try inputTensor(layerConfig, fallback: inputs.count == 1 ? inputShape : nil)
                    progressed = true
                    continue
                }
                let calls = try inboundCalls(layer["inbound_nodes"], layer: layerName)
                guard calls.count == 1 else {
                    throw ModelError("layer '\(layerName)': called \(calls.count) times (shared layers are not rebuilt)")
                }
                let sources = calls[0]
                guard sources.allSatisfy({ built[$0.layer] != nil }) else {
                    still.append(layer)
                    continue
                }
                for source in sources where source.node != 0 || source.tensor != 0 {
                    throw ModelError("layer '\(layerName)': input \(source.layer)[\(source.node)][\(source.tensor)]: only a layer's first call and first output are supported")
                }
                let arguments = sources.compactMap { built[$0.layer] }
                built[layerName] = try call(buildLayer(layer, inputShapes: arguments.map(\.shape)), on: arguments)
                progressed = true
            }
            if !progressed {
                let names = still.map { $0["name"] as? String ?? (($0["config"] as? JSON)?["name"] as? String ?? "?") }
                throw ModelError("model '\(name)': cannot order the layers \(names.joined(separator: ", ")) (their inputs are not in the model)")
            }
            pending = still
        }
        func tensors(_ references: [(layer: String, node: Int, tensor: Int)], _ what: String) throws -> [SymbolicTensor] {
            try references.map { reference in
                guard let tensor = built[reference.layer] else {
                    throw ModelError("model '\(name)': \(what) layer '\(reference.layer)' not found")
                }
                return tensor
            }
        }
        return try Model(
            inputs: tensors(inputs, "input"), outputs: tensors(outputs, "output"), name: name, isScope: isScope)
    }

    /// Calls a rebuilt layer or nested model on its inputs; a nested model gives one output.
    static func call(_ module: Module, on inputs: [SymbolicTensor]) throws -> SymbolicTensor {
        if let layer = module as? Layer { return try layer(inputs) }
        guard let model = module as? Model else { throw ModelError("layer '\(module.name)': not a layer or a model") }
        let outputs = try model(inputs)
        guard outputs.count == 1 else {
            throw ModelError("nested model '\(model.name)': \(outputs.count) outputs; Zoo rebuilds nested models of one output")
        }
        return outputs[0]
    }

    /// `[name, node, tensor]` or a list of them (`input_layers`, `output_layers`).
    static func references(_ value: Any?, model: String, what: String) throws -> [(layer: String, node: Int, tensor: Int)] {
        guard let list = value as? [Any] else { throw ModelError("model '\(model)': no \(what)") }
        if let name = list.first as? String {
            return [(name, list.count > 1 ? (list[1] as? Int ?? 0) : 0, list.count > 2 ? (list[2] as? Int ?? 0) : 0)]
        }
        return try list.flatMap { try references($0, model: model, what: what) }
    }

    /// A layer's calls, each as its input tensors' (layer, call, output) references: Keras 3
    /// `{"args": [keras_tensor or list], "kwargs": ...}` or tf-keras 2 `[[name, node, tensor, kwargs], ...]`.
    static func inboundCalls(_ value: Any?, layer: String) throws -> [[(layer: String, node: Int, tensor: Int)]] {
        guard let nodes = value as? [Any] else { return [] }
        var calls = [[(layer: String, node: Int, tensor: Int)]]()
        for node in nodes {
            var sources = [(layer: String, node: Int, tensor: Int)]()
            func collect(_ item: Any) {
                if let tensor = item as? JSON, tensor["class_name"] as? String == "__keras_tensor__",
                   let history = (tensor["config"] as? JSON)?["keras_history"] as? [Any], let name = history.first as? String {
                    sources.append((name, history.count > 1 ? history[1] as? Int ?? 0 : 0, history.count > 2 ? history[2] as? Int ?? 0 : 0))
                } else if let list = item as? [Any] {
                    if let name = list.first as? String {  // tf-keras 2: [name, node, tensor, kwargs]
                        sources.append((name, list.count > 1 ? list[1] as? Int ?? 0 : 0, list.count > 2 ? list[2] as? Int ?? 0 : 0))
                    } else {
                        list.forEach(collect)
                    }
                }
            }
            if let call = node as? JSON {
                (call["args"] as? [Any] ?? []).forEach(collect)
            } else {
                collect(node)
            }
            if sources.isEmpty { throw ModelError("layer '\(layer)': a call without inputs in inbound_nodes") }
            calls.append(sources)
        }
        return calls
    }

    // MARK: - Layers

    /// An input layer's tensor from its configuration (`batch_shape` or tf-keras's
    /// `batch_input_shape`; `fallback` for a nested model's input that gives none).
    static func inputTensor(_ config: JSON, fallback: [Int?]? = nil) throws -> SymbolicTensor {
        let name = config["name"] as? String ?? "input_layer"
        let batchShape = config["batch_shape"] as? [Any] ?? config["batch_input_shape"] as? [Any]
        guard let batchShape else {
            guard let fallback else { throw ModelError("input layer '\(name)': no batch_shape") }
            return try Input(shape: fallback, name: name)
        }
        if let format = config["data_format"] as? String, format == "channels_first" {
            throw ModelError("input layer '\(name)': channels_first data is not supported")
        }
        return try Input(shape: Array(optionalInts(batchShape).dropFirst()), name: name)
    }

    /// The Zoo layer (or nested model) for one layer configuration and the shapes it is fed
    /// (batch excluded), from the layer table. Output shapes are the layer's own
    /// (`computeOutputShape`).
    static func buildLayer(_ layer: JSON, inputShapes: [[Int?]]) throws -> Module {
        let className = layer["class_name"] as? String ?? ""
        let json = layer["config"] as? JSON ?? [:]
        let config = KerasLayerConfig(
            className: className, name: json["name"] as? String ?? layer["name"] as? String ?? "", json: json, inputShapes: inputShapes)
        if let format = json["data_format"] as? String, format != "channels_last" {
            throw config.fail("data_format \(format): Zoo is channels-last")
        }
        if let dtype = json["dtype"] as? String, dtype != "float32" {
            throw config.fail("dtype \(dtype): Zoo computes in float32")
        }
        let module: Module
        if ["Sequential", "Functional", "Model"].contains(className) {
            module = try buildModel(layer, inputShape: config.shape, isScope: true)
        } else {
            guard let codec = KerasLayerTable.byClassName[className] else {
                throw ModelError(
                    "layer '\(config.name)': layer type \(className.isEmpty ? "(none)" : className) is not supported by Zoo (supported: \(supportedLayers.joined(separator: ", ")), Sequential, Functional)")
            }
            module = try codec.build(config)
        }
        // A layer saved with trainable: false stays frozen, as keras.saving.load_model keeps it
        // (a frozen batch normalization then runs on its moving statistics in training too); a
        // frozen nested model freezes all its layers.
        if json["trainable"] as? Bool == false {
            for frozen in module.layers { frozen.isFrozen = true }
        }
        return module
    }

    static func optionalInts(_ list: [Any]) -> [Int?] { list.map { $0 as? Int } }
}
