import Foundation
import ZooCore
import ZooHDF5
import ZooNN
import ZooTensor

/// A whole model file as a model Zoo predicts with, evaluates, explains and fine-tunes: a
/// Keras `.keras` archive or full-model `.h5` (Keras 2 or 3), or a Zoo checkpoint that records
/// its architecture (`zoo import-keras` writes one).
///
/// A Keras classifier ends in probabilities (a softmax, or one sigmoid unit for two classes);
/// Zoo's losses, predictor and Grad-CAM take logits. The imported model therefore ends in the
/// logits of the file's last layer: its activation is set to linear, and one sigmoid unit `z`
/// becomes the two-class logits `[0, z]`, whose softmax is `[1 - sigmoid(z), sigmoid(z)]`
/// exactly. `fileOutput` says what the file ended in, and `asFileModel` gives the model as
/// the file has it, for export. With `head`, the layers from `headFrom` on are replaced by a
/// new head (Keras's `Model(base.input, new_head(base.get_layer(name).output))`).
public final class ImportedModel: Model, BackboneSplit {
    /// What the file's model puts out.
    public enum Output: String, Sendable {
        case logits
        case softmax
        /// One sigmoid unit: the probability of the second of two classes.
        case sigmoid
    }

    public let file: URL
    /// The file's output as the file defines it (`logits` under a new head).
    public let fileOutput: Output
    /// The layers of a new head (empty when the file's top is kept).
    public let headLayers: [Layer]
    /// The layers the file brings (the new head's excluded): what a freeze fraction counts.
    public var backboneLayers: [Layer] {
        let head = Set(headLayers.map(ObjectIdentifier.init))
        return layers.filter { !head.contains(ObjectIdentifier($0)) }
    }
    /// The model as the file defines it (sharing this model's layers and weights).
    private let fileModel: Model
    /// The file's last layer and its activation, when it was set to linear here.
    private let strippedActivation: (layer: Layer, activation: ActivationFunction)?

    /// Rebuilds the model `url` holds with its weights (`weights: false`: the architecture
    /// alone, fresh weights, for what needs only its shapes and names). `headFrom` and `head`
    /// replace the top: the head is built on the output of the layer named `headFrom` (inside
    /// `BuildContext`, so the caller's seed decides its initial weights).
    public init(contentsOf url: URL, headFrom: String? = nil, head: HeadSpec? = nil, weights: Bool = true) throws {
        file = url
        let fileModel = try ImportedModel.read(url, weights: weights)
        self.fileModel = fileModel
        guard let graph = fileModel.graph, graph.outputs.count == 1 else {
            throw ModelError("\(url.path): the model has \(fileModel.graph?.outputs.count ?? 0) outputs; Zoo trains and evaluates models of one output")
        }
        var output = graph.outputs[0]
        var stripped: (Layer, ActivationFunction)?
        var newHead = [Layer]()
        // Layers added here (a head, the sigmoid's logits) take names the file does not use.
        BuildContext.reserve(names: fileModel.layers.map(\.name) + [fileModel.name])
        if let head {
            guard let headFrom else { throw ModelError("\(url.path): model.head on a model file needs model.head_from, the layer the head starts from") }
            guard let node = graph.nodes.first(where: { $0.operation.name == headFrom && !$0.isInput }) else {
                let names = graph.nodes.filter { !$0.isInput }.map(\.operation.name)
                throw ModelError(
                    "\(url.path): head_from '\(headFrom)' is not a layer of '\(fileModel.name)'; its layers: "
                        + names.suffix(12).joined(separator: ", ") + (names.count > 12 ? " (the last 12 of \(names.count))" : ""))
            }
            guard node.outputs.count == 1 else { throw ModelError("\(url.path): head_from '\(headFrom)' has \(node.outputs.count) outputs; name a layer of one output") }
            let built = try head.build(on: node.outputs[0])
            newHead = built.layers
            output = built.output
            fileOutput = .logits
        } else {
            if headFrom != nil { throw ModelError("\(url.path): model.head_from '\(headFrom!)' needs model.head, the layers to build from it") }
            (fileOutput, stripped, output) = try ImportedModel.logits(of: output, file: url)
        }
        strippedActivation = stripped
        headLayers = newHead
        try super.init(inputs: graph.inputs, outputs: [output], name: fileModel.name)
        setTraining(false)
    }

    /// Runs `body` on the model as the file defines it (its last activation back in place;
    /// under a new head, this model, which ends in logits), for export.
    public func asFileModel<T>(_ body: (Model) throws -> T) throws -> T {
        guard headLayers.isEmpty else { return try body(self) }
        guard let strippedActivation else { return try body(fileModel) }
        ImportedModel.setActivation(strippedActivation.activation, of: strippedActivation.layer)
        defer { ImportedModel.setActivation(.linear, of: strippedActivation.layer) }
        return try body(fileModel)
    }

    /// `zoo import-keras`: the model of the Keras file `url` saved as a Zoo checkpoint that
    /// records its architecture (the file's configuration) beside the weights, so that it is a
    /// model file of its own. Returns the model and the load report.
    @discardableResult
    public static func writeCheckpoint(of url: URL, to output: URL) throws -> (model: Model, report: WeightLoadReport) {
        let (model, report) = try KerasModelImport.load(url)
        let architecture = String(decoding: try KerasModelFile.readConfig(url), as: UTF8.self)
        try Checkpoint.save(model: model, training: TrainingState(architecture: architecture), to: output)
        return (model, report)
    }

    // MARK: - Reading

    /// The model of a `.keras` / full-model `.h5` file or of a Zoo checkpoint with its
    /// architecture, weights loaded strictly (or, `weights: false`, none loaded).
    static func read(_ url: URL, weights: Bool = true) throws -> Model {
        guard FileManager.default.fileExists(atPath: url.path) else { throw ModelError("\(url.path): no such model file") }
        guard try KerasFileFormat(contentsOf: url) == .zooCheckpoint else {
            if weights { return try KerasModelImport.load(url).model }
            return try KerasModelImport.build(config: KerasModelFile.readConfig(url), file: url)
        }
        guard let architecture = try Checkpoint.architecture(of: url) else {
            throw ModelError(
                "\(url.path): a Zoo checkpoint without its architecture (a run's checkpoint): give its run directory, or write a self-contained one with zoo import-keras")
        }
        let model = try KerasModelImport.build(config: Data(architecture.utf8), file: url, at: "zoo_training/model_config: ")
        if weights { try Checkpoint.load(into: model, from: url) }
        return model
    }

    // MARK: - Logits

    /// The logits of `output`: the output itself when its layer ends linearly; with a final
    /// softmax or sigmoid, the same layer set to linear (a `Dense` or convolution's activation) or
    /// the input of a separate `Activation` or `Softmax` layer; one sigmoid unit becomes the
    /// two-class logits `[0, z]`.
    static func logits(of output: SymbolicTensor, file: URL) throws -> (Output, (Layer, ActivationFunction)?, SymbolicTensor) {
        guard let layer = output.node.operation as? Layer, let activation = activation(of: layer), activation != .linear else {
            return (.logits, nil, output)
        }
        // A separate activation layer (Activation, Softmax) is left out: its input is the logits.
        let separate = layer is Activation || layer is Softmax
        let logits = separate ? output.node.inputs[0] : output
        switch activation {
        case .softmax:
            if !separate { setActivation(.linear, of: layer) }
            return (.softmax, separate ? nil : (layer, .softmax), logits)
        case .sigmoid:
            guard output.channels == 1 else {
                throw ModelError(
                    "\(file.path): the last layer '\(layer.name)' has \(output.channels) sigmoid outputs (multi-label); Zoo evaluates one class per image or voxel (softmax, or one sigmoid unit)")
            }
            if !separate { setActivation(.linear, of: layer) }
            return (.sigmoid, separate ? nil : (layer, .sigmoid), try SigmoidLogits()(logits))
        default:
            throw ModelError(
                "\(file.path): the last layer '\(layer.name)' ends in \(activation.rawValue); Zoo reads a model's output as logits, softmax or one sigmoid unit")
        }
    }

    static func activation(of layer: Layer) -> ActivationFunction? {
        switch layer {
        case let dense as Dense: return dense.activation
        case let convolution as Convolution: return convolution.activation
        case let convolution as Conv1D: return convolution.activation
        case let activation as Activation: return activation.function
        case is Softmax: return .softmax
        default: return nil
        }
    }

    static func setActivation(_ function: ActivationFunction, of layer: Layer) {
        switch layer {
        case let dense as Dense: dense.activation = function
        case let convolution as Convolution: convolution.activation = function
        case let convolution as Conv1D: convolution.activation = function
        default: break
        }
    }
}

/// The two-class logits `[0, z]` of one sigmoid logit `z` (channels last): their softmax is
/// `[1 - sigmoid(z), sigmoid(z)]`, so cross-entropy on them is Keras's binary cross-entropy on
/// the sigmoid.
public final class SigmoidLogits: Layer {
    public init() { super.init(named: BuildContext.automaticName("sigmoid_logits")) }

    public override func computeOutputShape(_ shape: [Int?]) throws -> [Int?] {
        guard shape.last == 1 else { throw LayerError(layer: name, "takes one sigmoid logit per position, got \(SymbolicTensor.describe(shape))") }
        return shape.dropLast() + [2]
    }

    public override func forward(_ input: Tensor) throws -> Tensor {
        try Tensor.concatenate([Tensor(zeros: input.shape), input], axis: -1)
    }
}

extension ImportedModel {
    /// A model file as a catalog entry, so that a config's `model.from` runs through the same
    /// protocol as `model.name`: the file's input is the default (and minimum) input, its
    /// preprocessing `none` (a file does not record it: `data.preprocessing` says it), its
    /// first and last convolutional layers are those of its graph, and `build` rebuilds the
    /// file's model with the options' head built on `headFrom`. A build whose input or classes
    /// differ from the file's (with its top kept) is an error naming the file.
    public static func variant(_ url: URL, headFrom: String?) throws -> ArchitectureVariant {
        // The metadata needs the architecture only: the weights are read when `build` runs.
        let model = try ImportedModel(contentsOf: url, weights: false)
        guard let graph = model.graph, graph.inputs.count == 1 else {
            throw ModelError("\(url.path): the model has \(model.graph?.inputs.count ?? 0) inputs; training and evaluation from a config take models of one image input")
        }
        let input = graph.inputShapes[0]
        guard input.count == 3 || input.count == 4, let channels = input.last! else {
            throw ModelError("\(url.path): the model's input \(SymbolicTensor.describe(input)) is not an image or a volume with its channels")
        }
        let output = graph.outputShapes[0]
        let task: ArchitectureTask = output.count == input.count ? .segmentation : .classification
        guard task == .segmentation || output.count == 1, let classes = output.last! else {
            throw ModelError("\(url.path): the model's output \(SymbolicTensor.describe(output)) is neither one vector per image nor a map per pixel")
        }
        let convolutions = model.layers.filter { $0 is Convolution || $0 is DepthwiseConv2D || $0 is SeparableConv2D }
        // Extents the file leaves open (None) take 224 as the default; the config's
        // model.input_shape sets them.
        let defaultInput = input.dropLast().map { $0 ?? 224 } + [channels]
        let counts = model.parameterCounts
        let fileInput = input
        return ArchitectureVariant(
            name: url.deletingPathExtension().lastPathComponent, family: "model file", reference: url.lastPathComponent,
            defaultInput: defaultInput, minimumInput: input.dropLast().map { $0 ?? 1 }, preprocessing: .none,
            parameterCount: counts.total, trainableParameterCount: counts.trainable,
            firstConvolution: convolutions.first?.name ?? "", lastConvolution: convolutions.last?.name ?? "",
            classifier: model.layers.last?.name ?? "", source: url.path, task: task, defaultClasses: classes
        ) { options in
            let built = try ImportedModel(contentsOf: url, headFrom: headFrom, head: options.includeTop ? nil : options.head)
            if let asked = options.inputShape {
                let fits = asked.count == fileInput.count && zip(asked, fileInput).allSatisfy { $1 == nil || $0 == $1! }
                guard fits else {
                    throw ModelError("\(url.path): the model takes \(SymbolicTensor.describe(fileInput)), the config asks for \(asked)")
                }
            }
            let width = built.graph!.outputShapes[0].last!
            guard width == options.classes else {
                throw ModelError(
                    "\(url.path): the model's top puts out \(width.map(String.init) ?? "?") classes\(built.fileOutput == .sigmoid ? " (one sigmoid unit)" : ""), the data has \(options.classes); "
                        + "replace the top with model.head_from and model.head")
            }
            return built
        }
    }
}
