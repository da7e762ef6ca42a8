import Foundation
import ZooCore
import ZooHDF5
import ZooNN
import ZooTensor

/// Whole-model export: any functional Zoo model (every catalog architecture, with or without a
/// custom head, and every imported model) written as Keras writes it, so that
/// `keras.saving.load_model` gives the same model with the same outputs.
///
/// The configuration is Keras 3's functional form: the layers in `model.layers` order, each
/// with its class's keys from the layer table (`KerasLayerTable`) and its calls as
/// `inbound_nodes` of Keras tensors. Two formats carry it: a `.keras` archive (config.json,
/// metadata.json, model.weights.h5 in the Keras 3 weight layout) and a full-model `.h5`
/// (`model_config` and the Keras 2 weight layout under `model_weights`). `weights` writes the
/// Keras 2 weights file alone, for `model.load_weights`.
///
/// Keras has no convolution with explicit padding (torchvision's ResNet18/34 pad one cell on
/// each side): such a convolution is written as a `ZeroPadding2D` named `<conv>_pad` followed
/// by the convolution with 'valid' padding, which computes the same thing.
public enum KerasModelExport {
    public enum Format: String, CaseIterable, Sendable {
        /// Keras 3 `.keras` archive.
        case keras
        /// Keras full-model `.h5` (`model.save("x.h5")`).
        case h5
        /// Keras 2 weights file (`model.save_weights("x.h5")`), without the architecture.
        case weights
    }

    /// The Keras version whose file layout Zoo writes: the pinned reference the round-trip
    /// tests load the files with.
    public static let kerasVersion = "3.15.1"

    /// Writes `model` to `url` in `format`.
    public static func save(_ model: Model, to url: URL, format: Format) throws {
        switch format {
        case .weights:
            try KerasWeights.exportKeras2(model, to: url)
        case .keras:
            try KerasModelFile.writeArchive(config: try configuration(model), kerasVersion: kerasVersion, model: model, to: url)
        case .h5:
            try KerasModelFile.writeFullModelH5(config: try configuration(model), kerasVersion: kerasVersion, model: model, to: url)
        }
    }

    /// The model's Keras 3 configuration (`config.json`), as JSON.
    public static func configuration(_ model: Model) throws -> Data {
        var json = try modelEntry(model)
        json["build_config"] = ["input_shape": NSNull()]
        json["compile_config"] = NSNull()
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    typealias JSON = [String: Any]

    /// A model's entry: class, module and its functional config.
    static func modelEntry(_ model: Model) throws -> JSON {
        guard let graph = model.graph else {
            throw ModelError("export: model '\(model.name)' writes its own forward pass and has no functional graph to describe to Keras")
        }
        var layers = [JSON]()
        var taken = Set(model.children.map(\.name))
        for operation in graph.operations {
            let nodes = graph.nodes.filter { $0.operation === operation }
            guard nodes.count == 1, let node = nodes.first else {
                throw ModelError("export: layer '\(operation.name)' is called \(nodes.count) times; shared layers are not written")
            }
            layers += try entries(for: node, taken: &taken)
        }
        func reference(_ tensor: SymbolicTensor) -> [Any] { [tensor.node.operation.name, 0, tensor.outputIndex] }
        let inputs: Any = graph.inputs.count == 1 ? reference(graph.inputs[0]) : graph.inputs.map(reference)
        let outputs: Any = graph.outputs.count == 1 ? reference(graph.outputs[0]) : graph.outputs.map(reference)
        return [
            "module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": ["name": model.name, "trainable": true, "layers": layers, "input_layers": inputs, "output_layers": outputs],
        ]
    }

    /// The config entries of one call: one entry, or a padding and a convolution for a
    /// convolution with explicit padding.
    static func entries(for node: GraphNode, taken: inout Set<String>) throws -> [JSON] {
        let operation = node.operation
        let arguments = node.inputs.map(kerasTensor)
        if let model = operation as? Model {
            var entry = try modelEntry(model)
            entry["name"] = model.name
            entry["inbound_nodes"] = [call(arguments)]
            return [entry]
        }
        guard let layer = operation as? Layer else { throw ModelError("export: '\(operation.name)' is neither a layer nor a model") }
        if let input = layer as? InputLayer {
            var entry = layerEntry(className: "InputLayer", name: input.name, trainable: true, config: [
                "batch_shape": [NSNull()] + input.shape.map(jsonExtent), "sparse": false, "ragged": false, "optional": false,
            ])
            entry["inbound_nodes"] = [Any]()
            return [entry]
        }
        if let conv = layer as? Convolution, case .explicit(let before, let after) = conv.padding, let source = node.inputs.first {
            return try paddedConvolution(conv, source: source, before: before, after: after, taken: &taken)
        }
        guard let codec = KerasLayerTable.byClassName[layer.kerasClassName] else {
            throw ModelError("export: layer '\(layer.name)' (\(layer.kerasClassName)) has no Keras form in Zoo's layer table")
        }
        var entry = layerEntry(className: layer.kerasClassName, name: layer.name, trainable: !layer.isFrozen, config: try codec.write(layer))
        entry["inbound_nodes"] = [call(arguments)]
        return [entry]
    }

    /// `ZeroPadding2D` (`<conv>_pad`, a free name) then the convolution, 'valid'.
    static func paddedConvolution(
        _ conv: Convolution, source: SymbolicTensor, before: [Int], after: [Int], taken: inout Set<String>
    ) throws -> [JSON] {
        var padName = conv.name + "_pad"
        while taken.contains(padName) { padName += "_" }
        taken.insert(padName)
        let pairs = zip(before, after).map { [$0, $1] }
        var pad = layerEntry(
            className: "ZeroPadding\(conv.spatialDims)D", name: padName, trainable: true,
            config: ["padding": pairs, "data_format": "channels_last"])
        pad["inbound_nodes"] = [call([kerasTensor(source)])]
        let paddedShape = source.shape.enumerated().map { axis, extent -> Int? in
            axis < before.count ? extent.map { $0 + before[axis] + after[axis] } : extent
        }
        var entry = layerEntry(
            className: conv.kerasClassName, name: conv.name, trainable: !conv.isFrozen,
            config: KerasLayerTable.convolutionConfig(conv, padding: "valid"))
        entry["inbound_nodes"] = [call([tensorJSON(shape: paddedShape, history: [padName, 0, 0])])]
        return [pad, entry]
    }

    static func layerEntry(className: String, name: String, trainable: Bool, config: JSON) -> JSON {
        var full = config
        full["name"] = name
        // Keras's SpatialDropout constructors take no `trainable` (and Keras writes none).
        if !KerasLayerTable.withoutTrainable.contains(className) { full["trainable"] = trainable }
        full["dtype"] = "float32"
        return [
            "module": KerasLayerTable.module(of: className), "class_name": className, "config": full,
            "registered_name": NSNull(), "name": name,
        ]
    }

    /// One call: a single input as the positional argument, several as one list (`Add`).
    static func call(_ arguments: [JSON]) -> JSON {
        ["args": arguments.count == 1 ? [arguments[0]] : [arguments], "kwargs": JSON()]
    }

    static func kerasTensor(_ tensor: SymbolicTensor) -> JSON {
        tensorJSON(shape: tensor.shape, history: [tensor.node.operation.name, 0, tensor.outputIndex])
    }

    static func tensorJSON(shape: [Int?], history: [Any]) -> JSON {
        [
            "class_name": "__keras_tensor__",
            "config": ["shape": [NSNull()] + shape.map(jsonExtent), "dtype": "float32", "keras_history": history],
        ]
    }

    static func jsonExtent(_ extent: Int?) -> Any { extent.map { $0 as Any } ?? NSNull() }
}
