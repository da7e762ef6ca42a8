import Foundation
import ZooCore
import ZooNN
import ZooTensor

/// One Keras layer class as Zoo reads and writes it: how its configuration builds a Zoo layer,
/// and the configuration that layer writes back. Import and export are two views of one table
/// (`KerasLayerTable.codecs`), so a class Zoo reads is a class it writes, with the same keys.
struct KerasLayerCodec {
    /// The Keras class names this entry reads and writes (`Conv2D`, `Conv3D`).
    let classNames: [String]
    /// The Zoo layer for a configuration.
    let build: (KerasLayerConfig) throws -> Layer
    /// The class's own configuration keys for a Zoo layer (name, trainable and dtype are
    /// added by the caller).
    let write: (Layer) throws -> [String: Any]
}

/// A layer's Keras configuration with the accessors every entry needs; errors name the layer
/// and its class.
struct KerasLayerConfig {
    let className: String
    let name: String
    let json: [String: Any]
    /// The shapes the layer is fed, batch excluded.
    let inputShapes: [[Int?]]

    func fail(_ message: String) -> ModelError { ModelError("layer '\(name)' (\(className)): \(message)") }

    var shape: [Int?] { inputShapes.first ?? [] }
    /// 2 or 3, from the class name (`Conv3D`, `Conv3DTranspose`).
    var spatialDims: Int { className.contains("3D") ? 3 : 2 }

    func channels() throws -> Int {
        guard let last = shape.last, let channels = last else {
            throw fail("the input's channel count is unknown (input \(SymbolicTensor.describe(shape)))")
        }
        return channels
    }

    func requireSpatialRank() throws {
        guard shape.count == spatialDims + 1 else {
            throw fail("expects a \(spatialDims)D channels-last input, got \(SymbolicTensor.describe(shape))")
        }
    }

    func int(_ key: String, _ fallback: Int) -> Int { json[key] as? Int ?? fallback }
    func double(_ key: String, _ fallback: Double) -> Double { json[key] as? Double ?? fallback }
    func bool(_ key: String, _ fallback: Bool) -> Bool { json[key] as? Bool ?? fallback }

    /// An integer or a list of them, as given (`axis: -1` or `[1, 2]`).
    func list(_ key: String, _ fallback: [Int]) -> [Int] {
        if let value = json[key] as? Int { return [value] }
        return (json[key] as? [Any])?.compactMap { $0 as? Int } ?? fallback
    }

    /// An integer or a list of them (`kernel_size: 3` or `[3, 3]`), spread over the spatial axes.
    func ints(_ key: String, _ fallback: [Int]) -> [Int] {
        let values = list(key, fallback)
        return values.count == 1 ? Array(repeating: values[0], count: spatialDims) : values
    }

    func activation(_ key: String = "activation") throws -> ActivationFunction {
        var value = json[key]
        if let dict = value as? [String: Any] {  // {"class_name": "function", "config": "relu"}
            value = dict["config"] as? String ?? (dict["config"] as? [String: Any])?["name"] as? String ?? dict["class_name"]
        }
        guard let text = value as? String ?? (value == nil || value is NSNull ? "linear" : nil) else {
            throw fail("activation \(String(describing: value)) is not a Keras built-in")
        }
        let aliases: [String: ActivationFunction] = ["silu": .swish]
        guard let function = ActivationFunction(rawValue: text) ?? aliases[text] else {
            throw fail("activation '\(text)' is not supported (Zoo has \(ActivationFunction.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return function
    }

    /// The last axis, the only one Zoo's per-feature layers take: `axis` -1, [-1] or the
    /// input's last axis; anything else is an error naming the layer.
    func requireLastAxis(_ key: String = "axis") throws {
        let rank = shape.count + 1
        let axes = list(key, [-1]).map { $0 < 0 ? $0 + rank : $0 }
        guard axes == [rank - 1] else { throw fail("\(key) \(String(describing: json[key] ?? -1)) is not supported: Zoo normalizes over the last axis only") }
    }

    /// One number or a list (`scale: 0.5` or `[0.5, 0.25, 1]`).
    func floats(_ key: String, _ fallback: Float) throws -> [Float] {
        switch json[key] {
        case nil, is NSNull: return [fallback]
        case let value as Double: return [Float(value)]
        case let value as Int: return [Float(value)]
        case let list as [Any]:
            let values = list.compactMap { ($0 as? Double).map(Float.init) ?? ($0 as? Int).map(Float.init) }
            guard values.count == list.count, !values.isEmpty else { throw fail("\(key) \(list) is not a list of numbers") }
            return values
        case let other?: throw fail("\(key) \(other) is not a number or a list of numbers")
        }
    }

    /// For layers Zoo builds without a fused activation: anything but linear is an error.
    func requireLinearActivation() throws {
        guard try activation() == .linear else { throw fail("an activation on this layer is not supported (use an Activation layer)") }
    }

    func padding() throws -> Padding {
        switch json["padding"] as? String ?? "valid" {
        case "valid": return .valid
        case "same": return .same
        case let other: throw fail("padding '\(other)' is not supported")
        }
    }

    /// `ZeroPadding` (or, with `key: "cropping"`, `Cropping`) amounts: an integer, one per
    /// axis, or (before, after) per axis.
    func paddingPairs(_ key: String = "padding") throws -> [(before: Int, after: Int)] {
        let value = json[key]
        if let amount = value as? Int { return Array(repeating: (amount, amount), count: spatialDims) }
        guard let list = value as? [Any], list.count == spatialDims else { throw fail("\(key) \(String(describing: value)) is not understood") }
        return try list.map { item in
            if let amount = item as? Int { return (amount, amount) }
            guard let pair = item as? [Any], pair.count == 2, let before = pair[0] as? Int, let after = pair[1] as? Int else {
                throw fail("padding \(String(describing: value)) is not understood")
            }
            return (before, after)
        }
    }
}

/// The configuration values Zoo writes.
enum KerasValue {
    /// A Float as the shortest decimal that reads back as it (`1.001e-05`, not
    /// `1.0010000100e-05`), so a config written by Zoo reads as Keras's own.
    static func number(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    static func padding(_ padding: Padding, layer: Layer) throws -> String {
        switch padding {
        case .valid: return "valid"
        case .same: return "same"
        case .explicit:
            throw ModelError("layer '\(layer.name)' (\(layer.kerasClassName)): explicit padding has no Keras form here; pad with a ZeroPadding layer")
        }
    }
}

/// The table of every Keras layer class Zoo reads and writes.
enum KerasLayerTable {
    static let codecs: [KerasLayerCodec] = [
        KerasLayerCodec(
            classNames: ["Conv2D", "Conv3D"],
            build: { c in
                try c.requireSpatialRank()
                if c.int("groups", 1) != 1 { throw c.fail("groups \(c.int("groups", 1)): grouped convolutions are not supported") }
                let arguments = (
                    filters: c.int("filters", 0), kernel: c.ints("kernel_size", [1]), input: try c.channels(),
                    strides: c.ints("strides", [1]), padding: try c.padding(), dilations: c.ints("dilation_rate", [1]),
                    bias: c.bool("use_bias", true), activation: try c.activation())
                return c.spatialDims == 2
                    ? Conv2D(
                        filters: arguments.filters, kernelSize: arguments.kernel, inputChannels: arguments.input, strides: arguments.strides,
                        padding: arguments.padding, dilations: arguments.dilations, useBias: arguments.bias, activation: arguments.activation,
                        name: c.name)
                    : Conv3D(
                        filters: arguments.filters, kernelSize: arguments.kernel, inputChannels: arguments.input, strides: arguments.strides,
                        padding: arguments.padding, dilations: arguments.dilations, useBias: arguments.bias, activation: arguments.activation,
                        name: c.name)
            },
            write: { layer in
                guard let conv = layer as? Convolution else { throw ModelError("layer '\(layer.name)' is not a convolution") }
                return convolutionConfig(conv, padding: try KerasValue.padding(conv.padding, layer: conv))
            }),
        KerasLayerCodec(
            classNames: ["Conv1D"],
            build: { c in
                guard c.shape.count == 2 else { throw c.fail("expects a (steps, channels) input, got \(SymbolicTensor.describe(c.shape))") }
                if c.int("groups", 1) != 1 { throw c.fail("groups \(c.int("groups", 1)): grouped convolutions are not supported") }
                if c.json["padding"] as? String == "causal" { throw c.fail("padding 'causal' is not supported") }
                return Conv1D(
                    filters: c.int("filters", 0), kernelSize: c.list("kernel_size", [1])[0], inputChannels: try c.channels(),
                    stride: c.list("strides", [1])[0], padding: try c.padding(), dilation: c.list("dilation_rate", [1])[0],
                    useBias: c.bool("use_bias", true), activation: try c.activation(), name: c.name)
            },
            write: { layer in
                guard let conv = layer as? Conv1D else { throw ModelError("layer '\(layer.name)' is not a 1D convolution") }
                return [
                    "filters": conv.filters, "kernel_size": [conv.kernelSize], "strides": [conv.stride],
                    "padding": try KerasValue.padding(conv.padding, layer: conv), "data_format": "channels_last",
                    "dilation_rate": [conv.dilation], "groups": 1, "activation": conv.activation.rawValue, "use_bias": conv.useBias,
                ]
            }),
        KerasLayerCodec(
            classNames: ["Conv2DTranspose", "Conv3DTranspose"],
            build: { c in
                try c.requireSpatialRank()
                try c.requireLinearActivation()
                if c.json["output_padding"] is [Any] { throw c.fail("output_padding is not supported") }
                guard c.ints("dilation_rate", [1]).allSatisfy({ $0 == 1 }) else { throw c.fail("dilated transposed convolutions are not supported") }
                let (filters, kernel, strides, bias) = (c.int("filters", 0), c.ints("kernel_size", [1]), c.ints("strides", [1]), c.bool("use_bias", true))
                let (padding, input) = (try c.padding(), try c.channels())
                return c.spatialDims == 2
                    ? Conv2DTranspose(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: padding, useBias: bias, name: c.name)
                    : Conv3DTranspose(filters: filters, kernelSize: kernel, inputChannels: input, strides: strides, padding: padding, useBias: bias, name: c.name)
            },
            write: { layer in
                guard let conv = layer as? TransposedConvolution else { throw ModelError("layer '\(layer.name)' is not a transposed convolution") }
                return [
                    "filters": conv.filters, "kernel_size": conv.kernelSize, "strides": conv.strides,
                    "padding": try KerasValue.padding(conv.padding, layer: conv), "data_format": "channels_last",
                    "dilation_rate": conv.dilations, "output_padding": NSNull(), "activation": "linear", "use_bias": conv.useBias,
                ]
            }),
        KerasLayerCodec(
            classNames: ["DepthwiseConv2D"],
            build: { c in
                try c.requireSpatialRank()
                try c.requireLinearActivation()
                return DepthwiseConv2D(
                    kernelSize: c.ints("kernel_size", [1]), inputChannels: try c.channels(), depthMultiplier: c.int("depth_multiplier", 1),
                    strides: c.ints("strides", [1]), padding: try c.padding(), dilations: c.ints("dilation_rate", [1]),
                    useBias: c.bool("use_bias", true), name: c.name)
            },
            write: { layer in
                guard let conv = layer as? DepthwiseConv2D else { throw ModelError("layer '\(layer.name)' is not a depthwise convolution") }
                return [
                    "kernel_size": conv.kernelSize, "strides": conv.strides, "padding": try KerasValue.padding(conv.padding, layer: conv),
                    "depth_multiplier": conv.depthMultiplier, "data_format": "channels_last", "dilation_rate": conv.dilations,
                    "activation": "linear", "use_bias": conv.useBias,
                ]
            }),
        KerasLayerCodec(
            classNames: ["SeparableConv2D"],
            build: { c in
                try c.requireSpatialRank()
                try c.requireLinearActivation()
                return SeparableConv2D(
                    filters: c.int("filters", 0), kernelSize: c.ints("kernel_size", [1]), inputChannels: try c.channels(),
                    depthMultiplier: c.int("depth_multiplier", 1), strides: c.ints("strides", [1]), padding: try c.padding(),
                    dilations: c.ints("dilation_rate", [1]), useBias: c.bool("use_bias", true), name: c.name)
            },
            write: { layer in
                guard let conv = layer as? SeparableConv2D else { throw ModelError("layer '\(layer.name)' is not a separable convolution") }
                return [
                    "filters": conv.filters, "kernel_size": conv.kernelSize, "strides": conv.strides,
                    "padding": try KerasValue.padding(conv.padding, layer: conv), "depth_multiplier": conv.depthMultiplier,
                    "data_format": "channels_last", "dilation_rate": conv.dilations, "activation": "linear", "use_bias": conv.useBias,
                ]
            }),
        KerasLayerCodec(
            classNames: ["Dense"],
            build: { c in
                Dense(units: c.int("units", 0), inputFeatures: try c.channels(), activation: try c.activation(), useBias: c.bool("use_bias", true), name: c.name)
            },
            write: { layer in
                guard let dense = layer as? Dense else { throw ModelError("layer '\(layer.name)' is not a dense layer") }
                return ["units": dense.units, "activation": dense.activation.rawValue, "use_bias": dense.useBias]
            }),
        KerasLayerCodec(
            classNames: ["BatchNormalization"],
            build: { c in
                let axes = c.list("axis", [-1]).map { $0 < 0 ? $0 + c.shape.count + 1 : $0 }
                guard axes == [c.shape.count] else { throw c.fail("axis \(c.list("axis", [-1])): only the channel (last) axis is supported") }
                return BatchNormalization(
                    channels: try c.channels(), momentum: Float(c.double("momentum", 0.99)), epsilon: Float(c.double("epsilon", 1e-3)),
                    center: c.bool("center", true), scale: c.bool("scale", true), name: c.name)
            },
            write: { layer in
                guard let norm = layer as? BatchNormalization else { throw ModelError("layer '\(layer.name)' is not a batch normalization") }
                return [
                    "axis": -1, "momentum": KerasValue.number(norm.momentum), "epsilon": KerasValue.number(norm.epsilon),
                    "center": norm.center, "scale": norm.scale,
                ]
            }),
        KerasLayerCodec(
            classNames: ["GroupNormalization"],
            build: { c in
                // Zoo's one group normalization is instance normalization: a group per channel.
                let channels = try c.channels()
                guard c.int("groups", 32) == -1 || c.int("groups", 32) == channels else {
                    throw c.fail("groups \(c.int("groups", 32)): only one group per channel (instance normalization) is supported")
                }
                guard c.bool("center", true), c.bool("scale", true) else { throw c.fail("center and scale must both be on") }
                return InstanceNormalization(channels: channels, epsilon: Float(c.double("epsilon", 1e-3)), name: c.name)
            },
            write: { layer in
                guard let norm = layer as? InstanceNormalization else { throw ModelError("layer '\(layer.name)' is not an instance normalization") }
                return ["groups": -1, "axis": -1, "epsilon": KerasValue.number(norm.epsilon), "center": true, "scale": true]
            }),
        KerasLayerCodec(
            classNames: ["Activation"],
            build: { c in Activation(try c.activation(), name: c.name) },
            write: { layer in
                guard let activation = layer as? Activation else { throw ModelError("layer '\(layer.name)' is not an activation") }
                return ["activation": activation.function.rawValue]
            }),
        KerasLayerCodec(
            classNames: ["ReLU"],
            build: { c in
                let (slope, threshold) = (c.double("negative_slope", 0), c.double("threshold", 0))
                guard slope == 0, threshold == 0 else { throw c.fail("negative_slope \(slope) / threshold \(threshold) are not supported") }
                return ReLU(maxValue: (c.json["max_value"] as? Double).map(Float.init), name: c.name)
            },
            write: { layer in
                guard let relu = layer as? ReLU else { throw ModelError("layer '\(layer.name)' is not a ReLU") }
                return ["max_value": relu.maxValue.map(KerasValue.number) ?? NSNull(), "negative_slope": 0.0, "threshold": 0.0]
            }),
        KerasLayerCodec(
            classNames: ["MaxPooling2D", "MaxPooling3D", "AveragePooling2D", "AveragePooling3D"],
            build: { c in
                try c.requireSpatialRank()
                let pool = c.ints("pool_size", [2])
                let strides = c.json["strides"] is NSNull || c.json["strides"] == nil ? pool : c.ints("strides", pool)
                let padding = try c.padding()
                switch c.className {
                case "MaxPooling2D": return MaxPooling2D(poolSize: pool, strides: strides, padding: padding, name: c.name)
                case "MaxPooling3D": return MaxPooling3D(poolSize: pool, strides: strides, padding: padding, name: c.name)
                case "AveragePooling2D": return AveragePooling2D(poolSize: pool, strides: strides, padding: padding, name: c.name)
                default: return AveragePooling3D(poolSize: pool, strides: strides, padding: padding, name: c.name)
                }
            },
            write: { layer in
                guard let pool = layer as? Pooling else { throw ModelError("layer '\(layer.name)' is not a pooling") }
                return [
                    "pool_size": pool.poolSize, "strides": pool.strides, "padding": try KerasValue.padding(pool.padding, layer: pool),
                    "data_format": "channels_last",
                ]
            }),
        KerasLayerCodec(
            classNames: ["GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"],
            build: { c in
                try c.requireSpatialRank()
                if c.bool("keepdims", false) { throw c.fail("keepdims=True is not supported") }
                switch c.className {
                case "GlobalAveragePooling2D": return GlobalAveragePooling2D(name: c.name)
                case "GlobalAveragePooling3D": return GlobalAveragePooling3D(name: c.name)
                case "GlobalMaxPooling2D": return GlobalMaxPooling2D(name: c.name)
                default: return GlobalMaxPooling3D(name: c.name)
                }
            },
            write: { _ in ["data_format": "channels_last", "keepdims": false] }),
        KerasLayerCodec(
            classNames: ["ZeroPadding2D", "ZeroPadding3D"],
            build: { c in
                try c.requireSpatialRank()
                return ZeroPadding(try c.paddingPairs(), name: c.name)
            },
            write: { layer in
                guard let padding = layer as? ZeroPadding else { throw ModelError("layer '\(layer.name)' is not a zero padding") }
                return ["padding": padding.padding.map { [$0.before, $0.after] }, "data_format": "channels_last"]
            }),
        KerasLayerCodec(
            classNames: ["UpSampling2D", "UpSampling3D"],
            build: { c in
                try c.requireSpatialRank()
                let interpolation: Interpolation
                switch c.json["interpolation"] as? String ?? "nearest" {
                case "nearest": interpolation = .nearest
                case "bilinear", "trilinear": interpolation = .linear
                case let other: throw c.fail("interpolation '\(other)' is not supported")
                }
                return UpSampling(size: c.ints("size", [2]), interpolation: interpolation, name: c.name)
            },
            write: { layer in
                guard let up = layer as? UpSampling else { throw ModelError("layer '\(layer.name)' is not an up-sampling") }
                guard up.size.count == 2 else {
                    // Keras's UpSampling3D repeats only (no interpolation argument).
                    guard up.interpolation == .nearest else {
                        throw ModelError("layer '\(up.name)' (UpSampling3D): trilinear up-sampling has no Keras layer")
                    }
                    return ["size": up.size, "data_format": "channels_last"]
                }
                return ["size": up.size, "data_format": "channels_last", "interpolation": up.interpolation == .nearest ? "nearest" : "bilinear"]
            }),
        KerasLayerCodec(
            classNames: ["LeakyReLU"],
            build: { c in
                // Keras 3 writes negative_slope, Keras 2 alpha.
                LeakyReLU(negativeSlope: Float(c.json["negative_slope"] as? Double ?? c.double("alpha", 0.3)), name: c.name)
            },
            write: { layer in
                guard let leaky = layer as? LeakyReLU else { throw ModelError("layer '\(layer.name)' is not a LeakyReLU") }
                return ["negative_slope": KerasValue.number(leaky.negativeSlope)]
            }),
        KerasLayerCodec(
            classNames: ["ELU"],
            build: { c in ELU(alpha: Float(c.double("alpha", 1)), name: c.name) },
            write: { layer in
                guard let elu = layer as? ELU else { throw ModelError("layer '\(layer.name)' is not an ELU") }
                return ["alpha": KerasValue.number(elu.alpha)]
            }),
        KerasLayerCodec(
            classNames: ["PReLU"],
            build: { c in
                let shared = c.json["shared_axes"] is NSNull ? [] : c.list("shared_axes", [])
                let alphaShape = try c.shape.enumerated().map { axis, extent -> Int in
                    if shared.contains(axis + 1) { return 1 }
                    guard let extent else { throw c.fail("axis \(axis + 1) of the input \(SymbolicTensor.describe(c.shape)) is open; share alpha over it (shared_axes)") }
                    return extent
                }
                return PReLU(alphaShape: alphaShape, sharedAxes: shared, name: c.name)
            },
            write: { layer in
                guard let prelu = layer as? PReLU else { throw ModelError("layer '\(layer.name)' is not a PReLU") }
                return ["shared_axes": prelu.sharedAxes.isEmpty ? NSNull() : prelu.sharedAxes as Any]
            }),
        KerasLayerCodec(
            classNames: ["Softmax"],
            build: { c in
                try c.requireLastAxis()
                return Softmax(name: c.name)
            },
            write: { _ in ["axis": -1] }),
        KerasLayerCodec(
            classNames: ["LayerNormalization"],
            build: { c in
                try c.requireLastAxis()
                if c.bool("rms_scaling", false) { throw c.fail("rms_scaling is not supported") }
                return LayerNormalization(
                    features: try c.channels(), epsilon: Float(c.double("epsilon", 1e-3)), center: c.bool("center", true),
                    scale: c.bool("scale", true), name: c.name)
            },
            write: { layer in
                guard let norm = layer as? LayerNormalization else { throw ModelError("layer '\(layer.name)' is not a layer normalization") }
                return ["axis": -1, "epsilon": KerasValue.number(norm.epsilon), "center": norm.center, "scale": norm.scale, "rms_scaling": false]
            }),
        KerasLayerCodec(
            classNames: ["Normalization"],
            build: { c in
                try c.requireLastAxis()
                let invert = c.bool("invert", false)
                if c.json["mean"] == nil || c.json["mean"] is NSNull {
                    return Normalization(features: try c.channels(), invert: invert, name: c.name)
                }
                return Normalization(
                    features: try c.channels(), mean: try c.floats("mean", 0), variance: try c.floats("variance", 1), invert: invert, name: c.name)
            },
            write: { layer in
                guard let norm = layer as? Normalization else { throw ModelError("layer '\(layer.name)' is not a normalization") }
                var config: [String: Any] = ["axis": -1, "invert": norm.invert, "mean": NSNull(), "variance": NSNull()]
                if let constants = norm.constants {
                    config["mean"] = constants.mean.map(KerasValue.number)
                    config["variance"] = constants.variance.map(KerasValue.number)
                }
                return config
            }),
        KerasLayerCodec(
            classNames: ["Flatten"],
            build: { c in Flatten(name: c.name) },
            write: { _ in ["data_format": "channels_last"] }),
        KerasLayerCodec(
            classNames: ["Rescaling"],
            build: { c in
                let (scale, offset) = (try c.floats("scale", 1), try c.floats("offset", 0))
                if scale.count == 1, offset.count == 1 { return Rescaling(scale: scale[0], offset: offset[0], name: c.name) }
                return Rescaling(scales: scale, offsets: offset, name: c.name)
            },
            write: { layer in
                guard let rescaling = layer as? Rescaling else { throw ModelError("layer '\(layer.name)' is not a rescaling") }
                func value(_ values: [Float]) -> Any { values.count == 1 ? KerasValue.number(values[0]) : values.map(KerasValue.number) }
                return ["scale": value(rescaling.scale), "offset": value(rescaling.offset)]
            }),
        KerasLayerCodec(
            classNames: ["Dropout"],
            build: { c in
                if c.json["noise_shape"] is [Any] { throw c.fail("noise_shape is not supported") }
                return Dropout(rate: Float(c.double("rate", 0)), name: c.name)
            },
            write: { layer in
                guard let dropout = layer as? Dropout else { throw ModelError("layer '\(layer.name)' is not a dropout") }
                return ["rate": KerasValue.number(dropout.rate), "noise_shape": NSNull(), "seed": NSNull()]
            }),
        KerasLayerCodec(
            classNames: ["SpatialDropout2D", "SpatialDropout3D"],
            build: { c in
                try c.requireSpatialRank()
                return SpatialDropout(rate: Float(c.double("rate", 0)), spatialDims: c.spatialDims, name: c.name)
            },
            write: { layer in
                guard let dropout = layer as? SpatialDropout else { throw ModelError("layer '\(layer.name)' is not a spatial dropout") }
                return ["rate": KerasValue.number(dropout.rate), "seed": NSNull(), "data_format": "channels_last"]
            }),
        KerasLayerCodec(
            classNames: ["GaussianNoise"],
            build: { c in GaussianNoise(stddev: Float(c.double("stddev", 0)), name: c.name) },
            write: { layer in
                guard let noise = layer as? GaussianNoise else { throw ModelError("layer '\(layer.name)' is not a Gaussian noise") }
                return ["stddev": KerasValue.number(noise.stddev), "seed": NSNull()]
            }),
        KerasLayerCodec(
            classNames: ["GaussianDropout"],
            build: { c in GaussianDropout(rate: Float(c.double("rate", 0)), name: c.name) },
            write: { layer in
                guard let dropout = layer as? GaussianDropout else { throw ModelError("layer '\(layer.name)' is not a Gaussian dropout") }
                return ["rate": KerasValue.number(dropout.rate), "seed": NSNull()]
            }),
        KerasLayerCodec(
            classNames: ["Multiply"],
            build: { c in
                guard c.inputShapes.count >= 2 else { throw c.fail("needs two or more inputs") }
                return Multiply(name: c.name)
            },
            write: { _ in [:] }),
        KerasLayerCodec(
            classNames: ["Subtract"],
            build: { c in
                guard c.inputShapes.count == 2 else { throw c.fail("takes exactly two inputs") }
                return Subtract(name: c.name)
            },
            write: { _ in [:] }),
        KerasLayerCodec(
            classNames: ["Cropping2D", "Cropping3D"],
            build: { c in
                try c.requireSpatialRank()
                return Cropping(try c.paddingPairs("cropping"), name: c.name)
            },
            write: { layer in
                guard let cropping = layer as? Cropping else { throw ModelError("layer '\(layer.name)' is not a cropping") }
                return ["cropping": cropping.cropping.map { [$0.before, $0.after] }, "data_format": "channels_last"]
            }),
        KerasLayerCodec(
            classNames: ["Reshape"],
            build: { c in
                guard let target = c.json["target_shape"] as? [Any], target.allSatisfy({ $0 is Int }) else {
                    throw c.fail("target_shape \(String(describing: c.json["target_shape"])) is not a list of extents")
                }
                return Reshape(targetShape: target.map { $0 as! Int }, name: c.name)
            },
            write: { layer in
                guard let reshape = layer as? Reshape else { throw ModelError("layer '\(layer.name)' is not a reshape") }
                return ["target_shape": reshape.targetShape]
            }),
        KerasLayerCodec(
            classNames: ["Permute"],
            build: { c in Permute(dims: c.list("dims", []), name: c.name) },
            write: { layer in
                guard let permute = layer as? Permute else { throw ModelError("layer '\(layer.name)' is not a permute") }
                return ["dims": permute.dims]
            }),
        KerasLayerCodec(
            classNames: ["Add"],
            build: { c in
                guard c.inputShapes.count >= 2 else { throw c.fail("needs two or more inputs") }
                return Add(name: c.name)
            },
            write: { _ in [:] }),
        KerasLayerCodec(
            classNames: ["Average"],
            build: { c in Average(name: c.name) },
            write: { _ in [:] }),
        KerasLayerCodec(
            classNames: ["Concatenate"],
            build: { c in Concatenate(axis: c.int("axis", -1), name: c.name) },
            write: { layer in
                guard let concatenate = layer as? Concatenate else { throw ModelError("layer '\(layer.name)' is not a concatenation") }
                return ["axis": concatenate.axis]
            }),
        KerasLayerCodec(
            classNames: ["CustomScaleLayer"],
            build: { c in CustomScaleLayer(scale: Float(c.double("scale", 1)), name: c.name) },
            write: { layer in
                guard let custom = layer as? CustomScaleLayer else { throw ModelError("layer '\(layer.name)' is not a CustomScaleLayer") }
                return ["scale": KerasValue.number(custom.scale)]
            }),
    ]

    /// A convolution's keys with `padding` given: export writes an explicitly padded
    /// convolution as a padding layer and this with 'valid'.
    static func convolutionConfig(_ conv: Convolution, padding: String) -> [String: Any] {
        [
            "filters": conv.filters, "kernel_size": conv.kernelSize, "strides": conv.strides, "padding": padding,
            "data_format": "channels_last", "dilation_rate": conv.dilations, "groups": 1,
            "activation": conv.activation.rawValue, "use_bias": conv.useBias,
        ]
    }

    /// Classes whose Keras constructor refuses a `trainable` argument in their configuration.
    static let withoutTrainable: Set<String> = ["SpatialDropout2D", "SpatialDropout3D"]

    /// The entry of each Keras class name.
    static let byClassName: [String: KerasLayerCodec] = {
        var table = [String: KerasLayerCodec]()
        for codec in codecs { for name in codec.classNames { table[name] = codec } }
        return table
    }()

    /// The Python module Keras 3 records for a class: `keras.layers`, except InceptionResNetV2's
    /// own layer, which lives with its application.
    static func module(of className: String) -> String {
        className == "CustomScaleLayer" ? "keras.src.applications.inception_resnet_v2" : "keras.layers"
    }
}
