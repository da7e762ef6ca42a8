import Foundation
import ZIPFoundation
import ZooCore
import ZooNN
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
    /// The Keras layer classes Zoo rebuilds (and `Sequential`, `Functional`, `Model`).
    public static let supportedLayers: [String] = [
        "InputLayer", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv2D",
        "SeparableConv2D", "Dense", "BatchNormalization", "Activation", "ReLU", "MaxPooling2D",
        "MaxPooling3D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling2D",
        "GlobalAveragePooling3D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "ZeroPadding2D",
        "ZeroPadding3D", "UpSampling2D", "UpSampling3D", "Flatten", "Rescaling", "Dropout", "Add",
        "Concatenate",
    ]

    /// Rebuilds the model a `.keras` archive or full-model `.h5` file describes and loads its
    /// weights (strictly by default). Returns the model in inference mode and the load report.
    public static func load(_ url: URL, options: WeightLoadOptions = .strict) throws -> (model: Model, report: WeightLoadReport) {
        let config = try readConfig(url)
        let model: Model
        do {
            model = try BuildContext.run(seed: 0) { try build(config: config) }
        } catch let error as ModelError {
            throw ModelError("\(url.path): \(error.message)")
        }
        let report = try KerasWeights.load(into: model, from: url, options: options)
        model.setTraining(false)
        return (model, report)
    }

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
                throw WeightLoadError(file: url.path, problems: ["\(error.path.isEmpty ? "/" : error.path): \(error.message)"])
            }
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
    /// (batch excluded). Output shapes are the layer's own (`computeOutputShape`).
    static func buildLayer(_ layer: JSON, inputShapes: [[Int?]]) throws -> Module {
        let className = layer["class_name"] as? String ?? ""
        let config = layer["config"] as? JSON ?? [:]
        let name = config["name"] as? String ?? layer["name"] as? String ?? ""
        func fail(_ message: String) -> ModelError { ModelError("layer '\(name)' (\(className)): \(message)") }
        let shape = inputShapes[0]
        func channels() throws -> Int {
            guard let last = shape.last, let channels = last else { throw fail("the input's channel count is unknown (input \(describe(shape)))") }
            return channels
        }
        if let format = config["data_format"] as? String, format != "channels_last" {
            throw fail("data_format \(format): Zoo is channels-last")
        }
        if config["dtype"] is String, let dtype = config["dtype"] as? String, dtype != "float32" {
            throw fail("dtype \(dtype): Zoo computes in float32")
        }
        func ints(_ key: String, _ fallback: [Int]) -> [Int] {
            if let value = config[key] as? Int { return [value] }
            return (config[key] as? [Any])?.compactMap { $0 as? Int } ?? fallback
        }
        func activation(_ key: String = "activation") throws -> ActivationFunction {
            var value = config[key]
            if let dict = value as? JSON {  // {"class_name": "function", "config": "relu"}
                value = dict["config"] as? String ?? (dict["config"] as? JSON)?["name"] as? String ?? dict["class_name"]
            }
            guard let text = value as? String ?? (value == nil || value is NSNull ? "linear" : nil) else {
                throw fail("activation \(String(describing: value)) is not a Keras built-in")
            }
            let known: [String: ActivationFunction] = ["silu": .swish, "swish": .swish]
            guard let function = ActivationFunction(rawValue: text) ?? known[text] else {
                throw fail("activation '\(text)' is not supported (Zoo has \(ActivationFunction.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return function
        }
        func padding() throws -> Padding {
            switch config["padding"] as? String ?? "valid" {
            case "valid": return .valid
            case "same": return .same
            case let other: throw fail("padding '\(other)' is not supported")
            }
        }
        func spatialRank(_ dims: Int) throws {
            guard shape.count == dims + 1 else { throw fail("expects a \(dims)D channels-last input, got \(describe(shape))") }
        }
        let useBias = config["use_bias"] as? Bool ?? true

        switch className {
        case "Sequential", "Functional", "Model":
            return try buildModel(layer, inputShape: shape, isScope: true)
        case "Conv2D", "Conv3D":
            let dims = className == "Conv2D" ? 2 : 3
            try spatialRank(dims)
            if let groups = config["groups"] as? Int, groups != 1 { throw fail("groups \(groups): grouped convolutions are not supported") }
            let filters = config["filters"] as? Int ?? 0
            let (kernel, strides, dilations) = (ints("kernel_size", [1]), ints("strides", [1]), ints("dilation_rate", [1]))
            let pad = try padding(), act = try activation(), input = try channels()
            let module: Layer = dims == 2
                ? Conv2D(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: pad, dilations: dilations, useBias: useBias, activation: act, name: name)
                : Conv3D(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: pad, dilations: dilations, useBias: useBias, activation: act, name: name)
            return module
        case "Conv2DTranspose", "Conv3DTranspose":
            let dims = className == "Conv2DTranspose" ? 2 : 3
            try spatialRank(dims)
            guard try activation() == .linear else { throw fail("an activation on a transposed convolution is not supported (use an Activation layer)") }
            if config["output_padding"] is [Any] { throw fail("output_padding is not supported") }
            let filters = config["filters"] as? Int ?? 0
            let (kernel, strides) = (ints("kernel_size", [1]), ints("strides", [1]))
            guard ints("dilation_rate", [1]).allSatisfy({ $0 == 1 }) else { throw fail("dilated transposed convolutions are not supported") }
            let pad = try padding(), input = try channels()
            let module: Layer = dims == 2
                ? Conv2DTranspose(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: pad, useBias: useBias, name: name)
                : Conv3DTranspose(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: pad, useBias: useBias, name: name)
            return module
        case "DepthwiseConv2D":
            try spatialRank(2)
            let multiplier = config["depth_multiplier"] as? Int ?? 1
            let (kernel, strides, dilations) = (ints("kernel_size", [1]), ints("strides", [1]), ints("dilation_rate", [1]))
            let pad = try padding(), input = try channels()
            guard try activation() == .linear else { throw fail("an activation on a depthwise convolution is not supported (use an Activation layer)") }
            let module = DepthwiseConv2D(kernelSize: kernel, inputChannels: input, depthMultiplier: multiplier, strides: strides, padding: pad, dilations: dilations, useBias: useBias, name: name)
            return module
        case "SeparableConv2D":
            try spatialRank(2)
            let filters = config["filters"] as? Int ?? 0
            let multiplier = config["depth_multiplier"] as? Int ?? 1
            let (kernel, strides, dilations) = (ints("kernel_size", [1]), ints("strides", [1]), ints("dilation_rate", [1]))
            let pad = try padding(), input = try channels()
            guard try activation() == .linear else { throw fail("an activation on a separable convolution is not supported (use an Activation layer)") }
            let module = SeparableConv2D(filters: filters, kernelSize: kernel, inputChannels: input, depthMultiplier: multiplier, strides: strides, padding: pad, dilations: dilations, useBias: useBias, name: name)
            return module
        case "Dense":
            let units = config["units"] as? Int ?? 0
            return Dense(units: units, inputFeatures: try channels(), activation: try activation(), useBias: useBias, name: name)
        case "BatchNormalization":
            var axes = ints("axis", [-1])
            axes = axes.map { $0 < 0 ? $0 + shape.count + 1 : $0 }
            guard axes == [shape.count] else { throw fail("axis \(ints("axis", [-1])): only the channel (last) axis is supported") }
            let module = BatchNormalization(
                channels: try channels(), momentum: Float(config["momentum"] as? Double ?? 0.99), epsilon: Float(config["epsilon"] as? Double ?? 1e-3),
                center: config["center"] as? Bool ?? true, scale: config["scale"] as? Bool ?? true, name: name)
            return module
        case "Activation":
            return Activation(try activation(), name: name)
        case "ReLU":
            let slope = config["negative_slope"] as? Double ?? 0, threshold = config["threshold"] as? Double ?? 0
            guard slope == 0, threshold == 0 else { throw fail("negative_slope \(slope) / threshold \(threshold) are not supported") }
            let maxValue = (config["max_value"] as? Double).map(Float.init)
            return ReLU(maxValue: maxValue, name: name)
        case "MaxPooling2D", "MaxPooling3D", "AveragePooling2D", "AveragePooling3D":
            let dims = className.hasSuffix("2D") ? 2 : 3
            try spatialRank(dims)
            let pool = ints("pool_size", [2])
            let strides = config["strides"] is NSNull || config["strides"] == nil ? pool : ints("strides", pool)
            let pad = try padding()
            let module: Layer
            switch className {
            case "MaxPooling2D": module = MaxPooling2D(poolSize: pool, strides: strides, padding: pad, name: name)
            case "MaxPooling3D": module = MaxPooling3D(poolSize: pool, strides: strides, padding: pad, name: name)
            case "AveragePooling2D": module = AveragePooling2D(poolSize: pool, strides: strides, padding: pad, name: name)
            default: module = AveragePooling3D(poolSize: pool, strides: strides, padding: pad, name: name)
            }
            return module
        case "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling2D", "GlobalMaxPooling3D":
            let dims = className.hasSuffix("2D") ? 2 : 3
            try spatialRank(dims)
            if config["keepdims"] as? Bool == true { throw fail("keepdims=True is not supported") }
            let module: Layer
            switch className {
            case "GlobalAveragePooling2D": module = GlobalAveragePooling2D(name: name)
            case "GlobalAveragePooling3D": module = GlobalAveragePooling3D(name: name)
            case "GlobalMaxPooling2D": module = GlobalMaxPooling2D(name: name)
            default: module = GlobalMaxPooling3D(name: name)
            }
            return module
        case "ZeroPadding2D", "ZeroPadding3D":
            let dims = className == "ZeroPadding2D" ? 2 : 3
            try spatialRank(dims)
            let pairs = try paddingPairs(config["padding"], dims: dims, fail: fail)
            return ZeroPadding(pairs, name: name)
        case "UpSampling2D", "UpSampling3D":
            let dims = className == "UpSampling2D" ? 2 : 3
            try spatialRank(dims)
            let size = spread(ints("size", [2]), dims)
            let interpolation: Interpolation
            switch config["interpolation"] as? String ?? "nearest" {
            case "nearest": interpolation = .nearest
            case "bilinear", "trilinear": interpolation = .linear
            case let other: throw fail("interpolation '\(other)' is not supported")
            }
            return UpSampling(size: size, interpolation: interpolation, name: name)
        case "Flatten":
            return Flatten(name: name)
        case "Rescaling":
            guard let scale = config["scale"] as? Double else { throw fail("per-channel scale is not supported") }
            guard let offset = config["offset"] as? Double ?? (config["offset"] == nil ? 0 : nil) else { throw fail("per-channel offset is not supported") }
            return Rescaling(scale: Float(scale), offset: Float(offset), name: name)
        case "Dropout":
            if config["noise_shape"] is [Any] { throw fail("noise_shape is not supported") }
            return Dropout(rate: Float(config["rate"] as? Double ?? 0), name: name)
        case "Add":
            guard inputShapes.count >= 2 else { throw fail("needs two or more inputs") }
            return Add(name: name)
        case "Concatenate":
            return Concatenate(axis: config["axis"] as? Int ?? -1, name: name)
        default:
            throw ModelError("layer '\(name)': layer type \(className.isEmpty ? "(none)" : className) is not supported by Zoo (supported: \(supportedLayers.joined(separator: ", ")), Sequential, Functional)")
        }
    }

    static func paddingPairs(_ value: Any?, dims: Int, fail: (String) -> ModelError) throws -> [(before: Int, after: Int)] {
        if let amount = value as? Int { return Array(repeating: (amount, amount), count: dims) }
        guard let list = value as? [Any], list.count == dims else { throw fail("padding \(String(describing: value)) is not understood") }
        return try list.map { item in
            if let amount = item as? Int { return (amount, amount) }
            guard let pair = item as? [Any], pair.count == 2, let before = pair[0] as? Int, let after = pair[1] as? Int else {
                throw fail("padding \(String(describing: value)) is not understood")
            }
            return (before, after)
        }
    }

    static func optionalInts(_ list: [Any]) -> [Int?] { list.map { $0 as? Int } }
    static func spread(_ values: [Int], _ dims: Int) -> [Int] { values.count == 1 ? Array(repeating: values[0], count: dims) : values }
    static func describe(_ shape: [Int?]) -> String { "(batch, " + shape.map { $0.map(String.init) ?? "None" }.joined(separator: ", ") + ")" }
}
