import Foundation
import ZooCore
import ZooTensor

/// The state of a training run besides the weights and the optimizer.
public struct TrainingState: Equatable {
    /// Epochs completed.
    public var epoch: Int
    /// The learning-rate schedule's step count.
    public var scheduleStep: Int
    /// Named generator states (data shuffling, augmentation): `RandomGenerator.state`.
    /// Dropout layers' generators are saved with the model, by layer path.
    public var randomStates: [String: [UInt64]]
    /// The resolved experiment config, as JSON.
    public var config: String?
    /// The model's architecture as a Keras model configuration (the JSON a `.keras` archive's
    /// `config.json` holds), so that the checkpoint can be rebuilt without its run:
    /// `zoo import-keras` writes it, and `zoo predict` / `eval` / `gradcam` read it.
    public var architecture: String?

    public init(
        epoch: Int = 0, scheduleStep: Int = 0, randomStates: [String: [UInt64]] = [:], config: String? = nil, architecture: String? = nil
    ) {
        self.epoch = epoch
        self.scheduleStep = scheduleStep
        self.randomStates = randomStates
        self.config = config
        self.architecture = architecture
    }
}

/// Checkpoints: a model's weights in the Keras 2 weights-file layout (so `keras.Model.
/// load_weights` reads them into the same architecture), and for training, in a
/// `zoo_training` group that Keras ignores, the optimizer state keyed by parameter path, the
/// epoch, the schedule step, the generator states and the resolved config. `docs/HDF5.md`
/// describes the layout.
public enum Checkpoint {
    /// Writes a checkpoint atomically: a temporary file in the same folder, flushed, synced
    /// and renamed, so a crash leaves either the old checkpoint or the new one.
    public static func save(model: Module, optimizer: Optimizer? = nil, training: TrainingState? = nil, to url: URL) throws {
        try AtomicFile.write(to: url) { file in
            let root = try file.root
            try KerasWeights.writeKeras2Layout(model, into: root)
            let group = try root.createGroup("zoo_training")
            try group.setAttribute("format_version", int64: 1)
            if let training {
                try group.setAttribute("epoch", int64: Int64(training.epoch))
                try group.setAttribute("schedule_step", int64: Int64(training.scheduleStep))
                for (name, state) in training.randomStates {
                    try group.createDataset("random/\(name)", uint64s: state, shape: [state.count])
                }
                if let config = training.config { try group.createDataset("config", string: config) }
                if let architecture = training.architecture { try group.createDataset("model_config", string: architecture) }
            }
            for (path, dropout) in dropoutLayers(model) {
                try group.createDataset("layer_random/\(path)", uint64s: dropout.random.state, shape: [4])
            }
            if let optimizer {
                let state = try group.createGroup("optimizer")
                try state.setAttribute("class", string: String(describing: type(of: optimizer)))
                for (key, tensor) in optimizer.stateDictionary() {
                    try state.createDataset(key, floats: tensor.scalars, shape: tensor.shape)
                }
            }
        }
    }

    /// Restores a checkpoint into `model` (strictly: every weight, nothing else) and, when
    /// given, `optimizer`; returns the training state (defaults when the file has none).
    @discardableResult
    public static func load(into model: Module, optimizer: Optimizer? = nil, from url: URL) throws -> TrainingState {
        let source = try WeightSource.read(url)
        guard source.format == .zooCheckpoint || source.format == .keras2Weights else {
            throw WeightLoadError(file: url.path, problems: ["not a checkpoint: the file is a \(source.format)"])
        }
        // Everything is read before the model or the optimizer changes.
        let file = try HDF5File.open(url)
        let root = try file.root
        var state = TrainingState()
        var optimizerState: [String: Tensor]?
        var layerRandom = [(RandomizedLayer, [UInt64])]()
        if root.kind(of: "zoo_training") == .group {
            let group = try root.group("zoo_training")
            if group.hasAttribute("epoch") { state.epoch = Int(try group.int64sAttribute("epoch").first ?? 0) }
            if group.hasAttribute("schedule_step") { state.scheduleStep = Int(try group.int64sAttribute("schedule_step").first ?? 0) }
            if group.kind(of: "random") == .group {
                let random = try group.group("random")
                for path in try random.datasetPaths() { state.randomStates[path] = try random.dataset(path).readUInt64s() }
            }
            if group.kind(of: "config") == .dataset { state.config = try group.dataset("config").readString() }
            if group.kind(of: "model_config") == .dataset { state.architecture = try group.dataset("model_config").readString() }
            let dropouts = Dictionary(uniqueKeysWithValues: dropoutLayers(model))
            if group.kind(of: "layer_random") == .group {
                let random = try group.group("layer_random")
                for path in try random.datasetPaths() {
                    guard let dropout = dropouts[path] else {
                        throw WeightLoadError(file: url.path, problems: ["zoo_training/layer_random/\(path): the model has no dropout layer there"])
                    }
                    layerRandom.append((dropout, try random.dataset(path).readUInt64s()))
                }
            }
            if optimizer != nil, group.kind(of: "optimizer") == .group {
                let saved = try group.group("optimizer")
                var tensors = [String: Tensor]()
                for key in try saved.datasetPaths() {
                    let dataset = try saved.dataset(key)
                    tensors[key] = try Tensor(shape: dataset.shape, scalars: try dataset.readFloats())
                }
                optimizerState = tensors
            }
        }
        if optimizer != nil && optimizerState == nil {
            throw WeightLoadError(file: url.path, problems: ["zoo_training/optimizer: the checkpoint holds no optimizer state"])
        }
        let generators = try layerRandom.map { ($0.0, try RandomGenerator(state: $0.1)) }
        // The optimizer checks its state's names; a failure there leaves the model untouched.
        if let optimizer, let optimizerState {
            let previous = optimizer.stateDictionary()
            try optimizer.loadStateDictionary(optimizerState)
            do {
                try KerasWeights.load(into: model, from: source, options: .strict)
            } catch {
                // Restores the state the optimizer itself produced a moment ago, which it
                // accepts; the weight error being thrown is the one to report.
                try? optimizer.loadStateDictionary(previous)
                throw error
            }
        } else {
            try KerasWeights.load(into: model, from: source, options: .strict)
        }
        for (dropout, generator) in generators { dropout.random = generator }
        return state
    }

    /// The architecture a checkpoint records (`TrainingState.architecture`), read without a
    /// model; nil when it records none (a run's checkpoints, whose run directory has the config).
    public static func architecture(of url: URL) throws -> String? {
        do {
            let root = try HDF5File.open(url).root
            guard root.kind(of: "zoo_training") == .group else { return nil }
            let group = try root.group("zoo_training")
            guard group.kind(of: "model_config") == .dataset else { return nil }
            return try group.dataset("model_config").readString()
        } catch let error as HDF5Error {
            throw WeightLoadError(url, error)
        }
    }

    /// Dropout layers (every `RandomizedLayer`) by layer path: their generators are part of a
    /// run's state.
    static func dropoutLayers(_ model: Module) -> [(String, RandomizedLayer)] {
        ModelStructure.layersByName(model).compactMap { path, layer in (layer as? RandomizedLayer).map { (path, $0) } }
            .sorted { $0.0 < $1.0 }
    }
}
