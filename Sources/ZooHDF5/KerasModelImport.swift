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
/// are rebuilt layer by layer as a `KerasGraphModel` that runs its layers in topological
/// order; a nested model (a `keras.applications` backbone called as one layer under a custom
/// head) becomes a nested scoped `KerasGraphModel` named as in Keras, so its weights keep
/// their paths (`mobilenetv2_1.00_32/Conv1/kernel`). Every layer type ZooNN has is accepted
/// (`KerasModelImport.supportedLayers`); any other layer type is an error naming it and the
/// layer. Only channels-last data, single-input single-output models, and layers called once
/// (no shared layers) are rebuilt.
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
        switch try FileSignature(url: url) {
        case .zip:
            guard let data = try KerasArchive.read("config.json", from: try KerasArchive.open(url), of: url) else {
                throw WeightLoadError(file: url.path, problems: ["config.json: missing from the .keras archive"])
            }
            return data
        case .hdf5, .unknown:
            do {
                let root = try HDF5File.open(url).root
                guard root.hasAttribute("model_config") else {
                    // Only names the file's kind in the message; unknown is said as such.
                    let format = (try? detectHDF5Layout(root)).map { "a \($0)" } ?? "not a Keras model file"
                    throw WeightLoadError(
                        file: url.path,
                        problems: ["'/': no 'model_config' attribute: \(format), weights without the architecture; build the model in Zoo and use KerasWeights.load"])
                }
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

    /// A Sequential or Functional configuration as a graph model; `inputShape` (without the
    /// batch) is what the caller feeds a nested model.
    static func buildModel(_ json: JSON, inputShape: [Int?]?, isScope: Bool) throws -> KerasGraphModel {
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

    static func buildSequential(_ config: JSON, name: String, inputShape: [Int?]?, isScope: Bool) throws -> KerasGraphModel {
        let model = KerasGraphModel(name: name, isScope: isScope)
        let layers = config["layers"] as? [JSON] ?? []
        var shape = inputShape
        var previous: Int?
        // Keras 3 lists the input layer; tf-keras 2 puts `batch_input_shape` on the first layer,
        // Keras 3 may also give `build_input_shape`.
        if shape == nil, let build = config["build_input_shape"] as? [Any] { shape = Array(optionalInts(build).dropFirst()) }
        for layer in layers {
            let className = layer["class_name"] as? String ?? ""
            let layerConfig = layer["config"] as? JSON ?? [:]
            if className == "InputLayer" {
                let input = try inputLayer(layerConfig)
                shape = input.shape
                previous = model.addNode(input, inputs: [], isInput: true)
                continue
            }
            if previous == nil {
                if let batchShape = layerConfig["batch_input_shape"] as? [Any] ?? layerConfig["batch_shape"] as? [Any] {
                    shape = Array(optionalInts(batchShape).dropFirst())
                }
                guard let known = shape else {
                    throw ModelError("Sequential model '\(name)': no input shape (no InputLayer, no batch_input_shape)")
                }
                previous = model.addNode(InputLayer(shape: known, name: "\(name)_input"), inputs: [], isInput: true, hidden: true)
            }
            let (module, output) = try buildLayer(layer, inputShapes: [shape!])
            previous = model.addNode(module, inputs: [previous!])
            shape = output
        }
        guard let last = previous else { throw ModelError("Sequential model '\(name)' has no layers") }
        model.outputNode = last
        model.outputShape = shape ?? []
        return model
    }

    static func buildFunctional(_ config: JSON, name: String, inputShape: [Int?]?, isScope: Bool) throws -> KerasGraphModel {
        let model = KerasGraphModel(name: name, isScope: isScope)
        let layers = config["layers"] as? [JSON] ?? []
        let inputs = try references(config["input_layers"], model: name, what: "input_layers")
        let outputs = try references(config["output_layers"], model: name, what: "output_layers")
        guard inputs.count == 1 else { throw ModelError("model '\(name)': \(inputs.count) inputs; Zoo rebuilds single-input models") }
        guard outputs.count == 1 else { throw ModelError("model '\(name)': \(outputs.count) outputs; Zoo rebuilds single-output models") }

        // Node of each (layer name, call index), with its output shape.
        var built = [String: (node: Int, shape: [Int?])]()
        var pending = layers
        while !pending.isEmpty {
            var progressed = false
            var still = [JSON]()
            for layer in pending {
                let className = layer["class_name"] as? String ?? ""
                let layerConfig = layer["config"] as? JSON ?? [:]
                let layerName = layer["name"] as? String ?? layerConfig["name"] as? String ?? ""
                if className == "InputLayer" {
                    let input = try inputLayer(layerConfig, fallback: inputShape)
                    let node = model.addNode(input, inputs: [], isInput: layerName == inputs[0].layer)
                    built[layerName] = (node, input.shape)
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
                let (module, output) = try buildLayer(layer, inputShapes: sources.map { built[$0.layer]!.shape })
                let node = model.addNode(module, inputs: sources.map { built[$0.layer]!.node })
                built[layerName] = (node, output)
                progressed = true
            }
            if !progressed {
                let names = still.map { $0["name"] as? String ?? (($0["config"] as? JSON)?["name"] as? String ?? "?") }
                throw ModelError("model '\(name)': cannot order the layers \(names.joined(separator: ", ")) (their inputs are not in the model)")
            }
            pending = still
        }
        guard let input = built[inputs[0].layer] else { throw ModelError("model '\(name)': input layer '\(inputs[0].layer)' not found") }
        guard let output = built[outputs[0].layer] else { throw ModelError("model '\(name)': output layer '\(outputs[0].layer)' not found") }
        model.inputNode = input.node
        model.outputNode = output.node
        model.outputShape = output.shape
        return model
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

    static func inputLayer(_ config: JSON, fallback: [Int?]? = nil) throws -> InputLayer {
        let name = config["name"] as? String ?? "input_layer"
        let batchShape = config["batch_shape"] as? [Any] ?? config["batch_input_shape"] as? [Any]
        guard let batchShape else {
            guard let fallback else { throw ModelError("input layer '\(name)': no batch_shape") }
            return InputLayer(shape: fallback, name: name)
        }
        if let format = config["data_format"] as? String, format == "channels_first" {
            throw ModelError("input layer '\(name)': channels_first data is not supported")
        }
        return InputLayer(shape: Array(optionalInts(batchShape).dropFirst()), name: name)
    }

    /// The Zoo layer (or nested model) for one layer configuration and the shapes it is fed
    /// (batch excluded), with its output shape.
    static func buildLayer(_ layer: JSON, inputShapes: [[Int?]]) throws -> (Module, [Int?]) {
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
        func convolved(_ kernel: [Int], _ strides: [Int], _ dilations: [Int], _ pad: Padding, filters: Int) -> [Int?] {
            let dims = shape.count - 1
            let k = spread(kernel, dims), s = spread(strides, dims), d = spread(dilations, dims)
            return (0..<dims).map { axis in shape[axis].map { outputExtent($0, kernel: k[axis], stride: s[axis], padding: pad, dilation: d[axis]) } } + [filters]
        }
        let useBias = config["use_bias"] as? Bool ?? true

        switch className {
        case "Sequential", "Functional", "Model":
            let model = try buildModel(layer, inputShape: shape, isScope: true)
            return (model, model.outputShape)
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
            return (module, convolved(kernel, strides, dilations, pad, filters: filters))
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
            let k = spread(kernel, dims), s = spread(strides, dims)
            let output: [Int?] = (0..<dims).map { axis in
                shape[axis].map { pad == .same ? $0 * s[axis] : ($0 - 1) * s[axis] + k[axis] }
            } + [filters]
            return (module, output)
        case "DepthwiseConv2D":
            try spatialRank(2)
            let multiplier = config["depth_multiplier"] as? Int ?? 1
            let (kernel, strides, dilations) = (ints("kernel_size", [1]), ints("strides", [1]), ints("dilation_rate", [1]))
            let pad = try padding(), input = try channels()
            guard try activation() == .linear else { throw fail("an activation on a depthwise convolution is not supported (use an Activation layer)") }
            let module = DepthwiseConv2D(kernelSize: kernel, inputChannels: input, depthMultiplier: multiplier, strides: strides, padding: pad, dilations: dilations, useBias: useBias, name: name)
            return (module, convolved(kernel, strides, dilations, pad, filters: input * multiplier))
        case "SeparableConv2D":
            try spatialRank(2)
            let filters = config["filters"] as? Int ?? 0
            let multiplier = config["depth_multiplier"] as? Int ?? 1
            let (kernel, strides, dilations) = (ints("kernel_size", [1]), ints("strides", [1]), ints("dilation_rate", [1]))
            let pad = try padding(), input = try channels()
            guard try activation() == .linear else { throw fail("an activation on a separable convolution is not supported (use an Activation layer)") }
            let module = SeparableConv2D(filters: filters, kernelSize: kernel, inputChannels: input, depthMultiplier: multiplier, strides: strides, padding: pad, dilations: dilations, useBias: useBias, name: name)
            return (module, convolved(kernel, strides, dilations, pad, filters: filters))
        case "Dense":
            let units = config["units"] as? Int ?? 0
            return (Dense(units: units, inputFeatures: try channels(), activation: try activation(), useBias: useBias, name: name), Array(shape.dropLast()) + [units])
        case "BatchNormalization":
            var axes = ints("axis", [-1])
            axes = axes.map { $0 < 0 ? $0 + shape.count + 1 : $0 }
            guard axes == [shape.count] else { throw fail("axis \(ints("axis", [-1])): only the channel (last) axis is supported") }
            let module = BatchNormalization(
                channels: try channels(), momentum: Float(config["momentum"] as? Double ?? 0.99), epsilon: Float(config["epsilon"] as? Double ?? 1e-3),
                center: config["center"] as? Bool ?? true, scale: config["scale"] as? Bool ?? true, name: name)
            return (module, shape)
        case "Activation":
            return (Activation(try activation(), name: name), shape)
        case "ReLU":
            let slope = config["negative_slope"] as? Double ?? 0, threshold = config["threshold"] as? Double ?? 0
            guard slope == 0, threshold == 0 else { throw fail("negative_slope \(slope) / threshold \(threshold) are not supported") }
            let maxValue = (config["max_value"] as? Double).map(Float.init)
            return (ReLU(maxValue: maxValue, name: name), shape)
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
            return (module, convolved(pool, strides, [1], pad, filters: try channels()))
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
            return (module, [try channels()])
        case "ZeroPadding2D", "ZeroPadding3D":
            let dims = className == "ZeroPadding2D" ? 2 : 3
            try spatialRank(dims)
            let pairs = try paddingPairs(config["padding"], dims: dims, fail: fail)
            let output: [Int?] = (0..<dims).map { axis in shape[axis].map { $0 + pairs[axis].before + pairs[axis].after } } + [shape[dims]]
            return (ZeroPadding(pairs, name: name), output)
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
            let output: [Int?] = (0..<dims).map { axis in shape[axis].map { $0 * size[axis] } } + [shape[dims]]
            return (UpSampling(size: size, interpolation: interpolation, name: name), output)
        case "Flatten":
            guard shape.allSatisfy({ $0 != nil }) else { throw fail("the input \(describe(shape)) must have a fixed size to flatten") }
            return (Flatten(name: name), [shape.compactMap { $0 }.reduce(1, *)])
        case "Rescaling":
            guard let scale = config["scale"] as? Double else { throw fail("per-channel scale is not supported") }
            guard let offset = config["offset"] as? Double ?? (config["offset"] == nil ? 0 : nil) else { throw fail("per-channel offset is not supported") }
            return (Rescaling(scale: Float(scale), offset: Float(offset), name: name), shape)
        case "Dropout":
            if config["noise_shape"] is [Any] { throw fail("noise_shape is not supported") }
            return (Dropout(rate: Float(config["rate"] as? Double ?? 0), name: name), shape)
        case "Add":
            guard inputShapes.count >= 2 else { throw fail("needs two or more inputs") }
            return (Add(name: name), shape)
        case "Concatenate":
            let axis = config["axis"] as? Int ?? -1
            let rank = shape.count + 1
            let resolved = axis < 0 ? axis + rank : axis
            guard resolved >= 1, resolved < rank else { throw fail("axis \(axis) out of range for \(describe(shape))") }
            var output = shape
            let extents = inputShapes.map { $0[resolved - 1] }
            output[resolved - 1] = extents.contains { $0 == nil } ? nil : extents.compactMap { $0 }.reduce(0, +)
            return (Concatenate(axis: axis, name: name), output)
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

/// A model rebuilt from a Keras configuration: its layers (and nested models) as children
/// in the configuration's order, run in topological order on one input.
public final class KerasGraphModel: Model {
    struct Node {
        let module: Module
        let inputs: [Int]
    }

    private(set) var nodes = [Node]()
    var inputNode = 0
    var outputNode = 0
    /// The output shape, batch excluded (nil: any extent).
    public internal(set) var outputShape: [Int?] = []

    override init(name: String, isScope: Bool = false) {
        super.init(name: name, isScope: isScope)
    }

    /// Adds a node (and its module as a child, unless `hidden`: a Sequential model without
    /// an input layer gets one Keras does not list).
    @discardableResult
    func addNode(_ module: Module, inputs: [Int], isInput: Bool = false, hidden: Bool = false) -> Int {
        if !hidden { add(module) }
        nodes.append(Node(module: module, inputs: inputs))
        if isInput { inputNode = nodes.count - 1 }
        return nodes.count - 1
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var values = [Tensor?](repeating: nil, count: nodes.count)
        // Nodes were added after their inputs, so index order is a topological order.
        for (index, node) in nodes.enumerated() {
            let value: Tensor
            if node.inputs.isEmpty {
                guard index == inputNode else { continue }
                value = try call(node.module, [x])
            } else {
                let inputs = node.inputs.map { values[$0] }
                guard inputs.allSatisfy({ $0 != nil }) else { continue }
                value = try call(node.module, inputs.map { $0! })
            }
            values[index] = value
        }
        guard let output = values[outputNode] else {
            throw LayerError(layer: name, "the output layer does not depend on the input")
        }
        return output
    }

    private func call(_ module: Module, _ inputs: [Tensor]) throws -> Tensor {
        if let layer = module as? Layer { return inputs.count == 1 ? try layer(inputs[0]) : try layer(inputs) }
        if let model = module as? Model {
            guard inputs.count == 1 else { throw LayerError(layer: module.name, "a nested model takes one input, got \(inputs.count)") }
            return try model(inputs[0])
        }
        throw LayerError(layer: module.name, "not a layer or a model")
    }
}
