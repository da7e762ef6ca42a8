import Foundation
import ZooNN
import ZooCore
import ZooData
import ZooExplain
import ZooMetrics

/// An experiment: data, model, training protocol, evaluation and (optionally) a sweep over
/// architectures. Read from YAML with `extends:` for a shared base and `--set key=value`
/// overrides; every key is checked, so a typo is an error naming its path.
public struct ExperimentConfig: Sendable {
    public var experiment: String
    public var seed: UInt64
    public var data: DataConfig
    public var model: ModelConfig
    public var train: TrainConfig
    public var eval: EvalConfig
    public var sweep: SweepConfig?
    public var ensemble: EnsembleConfig?
    /// k-fold cross-validation as a study: one model per fold (of every sweep trial).
    public var crossValidation: CrossValidationConfig?
    /// A logistic-regression model on tabular clinical variables, fitted on the same split
    /// and reported in a sweep's table and DeLong matrix beside the image models.
    public var clinical: ClinicalConfig?
    /// A reader study beside a sweep: each reader's scores without and with the model.
    public var readers: [ReaderConfig]
    /// Stages of a pipeline, in order (segment, then classify regions of interest).
    public var stages: [StageConfig]
    /// The resolved document (bases merged, overrides applied), kept with every run.
    public var resolved: ConfigValue
    /// The folder of the config file: relative data paths start there.
    public var baseDirectory: URL?

    /// Loads `url`, follows `extends:` (relative to the file, bases first), applies `overrides`
    /// (`train.optimizer.lr=3e-4`), and reads the result.
    public static func load(_ url: URL, overrides: [String] = []) throws -> ExperimentConfig {
        let document = try applying(overrides, to: try resolveExtends(url, seen: []))
        var config = try ExperimentConfig(document, source: url.lastPathComponent)
        config.baseDirectory = url.deletingLastPathComponent()
        return config
    }

    /// The document with `KEY=VALUE` overrides applied (dotted key paths; YAML values).
    public static func applying(_ overrides: [String], to document: ConfigValue) throws -> ConfigValue {
        var document = document
        for override in overrides {
            guard let cut = override.firstIndex(of: "="), cut != override.startIndex else {
                throw ConfigError(source: "--set", path: "", "'\(override)' is not KEY=VALUE (for example train.optimizer.lr=3e-4)")
            }
            let path = override[..<cut].split(separator: ".").map(String.init)
            let text = String(override[override.index(after: cut)...])
            let value = try ConfigValue.parse(yaml: text.isEmpty ? "''" : text, source: "--set \(override)")
            document = document.setting(path, to: value == .map([]) ? .scalar(text) : value)
        }
        return document
    }

    /// The document read from `url` with `extends:` resolved and no overrides.
    public static func document(_ url: URL) throws -> ConfigValue { try resolveExtends(url, seen: []) }

    static func resolveExtends(_ url: URL, seen: [URL]) throws -> ConfigValue {
        guard !seen.contains(url) else {
            throw ConfigError(source: url.lastPathComponent, path: "extends", "forms a cycle: \(seen.map(\.lastPathComponent).joined(separator: " -> "))")
        }
        let text: String
        do {
            text = try UserFile.text(url, what: "config")
        } catch let error as RunError {
            throw ConfigError(source: url.path, path: "", error.description.replacingOccurrences(of: "\(url.path): ", with: ""))
        }
        let document = try ConfigValue.parse(yaml: text, source: url.lastPathComponent)
        guard case .map(let entries) = document else {
            throw ConfigError(source: url.lastPathComponent, path: "", "must be a map of sections")
        }
        var bases = [String]()
        switch document["extends"] {
        case .scalar(let single): bases = [single]
        case .list(let items): bases = items.compactMap { if case .scalar(let s) = $0 { return s } else { return nil } }
        case nil, .null: break
        default: throw ConfigError(source: url.lastPathComponent, path: "extends", "must be a file name or a list of them")
        }
        var merged = ConfigValue.map([])
        for base in bases {
            merged = merged.merged(with: try resolveExtends(URL(fileURLWithPath: base, relativeTo: url.deletingLastPathComponent()).standardizedFileURL, seen: seen + [url]))
        }
        return merged.merged(with: .map(entries.filter { $0.key != "extends" }))
    }

    /// A config written in Swift: `ConfigValue` (ZooCore) takes dictionary, list, string and number
    /// literals, and the keys are those of the YAML files (docs/CONFIG.md). Relative data
    /// paths start in the working folder (set `baseDirectory` otherwise); errors name the key
    /// path as they do for a file.
    public init(_ document: ConfigValue) throws { try self.init(document, source: "config") }

    /// Reads a resolved document.
    public init(_ document: ConfigValue, source: String) throws {
        let root = try ConfigReader(document, source: source)
        _ = root.value("extends")
        experiment = try root.string("experiment", default: "experiment")
        seed = UInt64(try root.int("seed", default: 42, minimum: 0))
        data = try DataConfig(root.map("data") ?? ConfigReader(.null, source: source, path: "data"))
        model = try ModelConfig(root.map("model") ?? ConfigReader(.null, source: source, path: "model"))
        train = try TrainConfig(root.map("train") ?? ConfigReader(.null, source: source, path: "train"))
        eval = try EvalConfig(root.map("eval") ?? ConfigReader(.null, source: source, path: "eval"))
        sweep = try root.map("sweep").map { try SweepConfig($0) }
        ensemble = try root.map("ensemble").map { try EnsembleConfig($0) }
        crossValidation = try root.map("cross_validation").map { try CrossValidationConfig($0) }
        clinical = try root.map("clinical").map { try ClinicalConfig($0) }
        readers = try (root.list("readers") ?? []).enumerated().map { index, value in
            try ReaderConfig(try ConfigReader(value, source: source, path: "readers[\(index)]"))
        }
        let stageDocuments = try root.map("stages")
        stages = []
        try root.finish()
        resolved = document
        if let stageDocuments {
            let base = document.removing("stages")
            for (name, value) in stageDocuments.entries {
                let stage = try StageConfig(name: name, value: value, base: base, source: source)
                guard stage.roi.map({ roi in stages.contains { $0.name == roi.from } }) ?? true else {
                    throw stageDocuments.error(name, "roi.from names '\(stage.roi!.from)', which is not an earlier stage (\(stages.map(\.name).joined(separator: ", ")))")
                }
                stages.append(stage)
            }
            guard !stages.isEmpty else { throw root.error("stages", "a pipeline needs at least one stage") }
        }
        let plans = [sweep != nil ? "sweep" : nil, ensemble != nil ? "ensemble" : nil, stages.isEmpty ? nil : "stages"].compactMap { $0 }
        guard plans.count <= 1 else {
            throw root.error(plans[1], "a config has at most one of sweep, ensemble and stages (a stage may hold its own sweep)")
        }
        if crossValidation != nil, ensemble != nil || !stages.isEmpty {
            throw root.error("cross_validation", "runs a single model or a sweep in every fold; not an ensemble or stages")
        }
        if crossValidation != nil, sweep?.backend == .slurm {
            throw root.error("sweep.backend", "a cross-validation study runs its folds in this process; slurm applies to a plain sweep")
        }
    }
}

/// Where the images come from and how they are split.
public struct DataConfig: Sendable {
    /// ZooData's list, not a copy: a source added there is a source here.
    public static var sources: [String] { DatasetFactory.sources }
    /// The source with its own keys (phantom kind and count, folder path, CSV columns, ...),
    /// read and checked by ZooData when the config is read; nil when the config names no
    /// source at all (neither `data.source` nor a source's map), which only a run that reads
    /// data refuses.
    public var source: DataSourceSpec?

    /// The source, or an error saying that the config names none.
    public func requiredSource() throws -> DataSourceSpec {
        guard let source else {
            throw RunError("the config names no data: give data.source and its map (data.phantom, data.folder, ...; docs/DATA.md)")
        }
        return source
    }

    /// The source's name for messages.
    public var sourceName: String { source?.name ?? "no" }
    /// The config file the section was read from, for errors found later (the pipeline's).
    public var file: String
    public var classes: [String]?
    public var split: SplitConfig
    public var trainTransforms: [ConfigValue]
    public var evalTransforms: [ConfigValue]
    /// `auto` takes the architecture's preprocessing mode.
    public var preprocessing: PreprocessingChoice
    /// How images are resized to the model's input (`bilinear`, or `nearest` as the parotid
    /// study did); masks are always resized by nearest neighbour.
    public var interpolation: ImageInterpolation
    /// The bit depth of every PNG and JPEG file (8 or 16). Pixel values keep the file's range
    /// (0-255 or 0-65535) in training, evaluation and `zoo predict` alike; a file of another
    /// depth is refused, naming it.
    public var bitDepth: Int
    /// What an unreadable file does: `fail` (the default: the run stops before training,
    /// naming it) or `skip` (left out, listed in the run's skipped.csv and its report).
    public var onError: OnError
    /// `oversample`: training draws every class as often as the largest one; `none`.
    public var sampling: Sampling
    /// Named test sets beyond the split's own test part (`internal`): other hospitals'
    /// data, evaluated with the model and the threshold chosen on validation.
    public var testSets: [TestSetConfig]

    init(_ reader: ConfigReader) throws {
        file = reader.source
        let name = try reader.choice("source", DataConfig.sources, default: "phantom")!
        let options = reader.value(name)
        source = !reader.has("source") && options == nil
            ? nil : try DataSourceSpec(source: name, options: options ?? .map([]), file: reader.source, path: reader.path)
        classes = try reader.strings("classes")
        split = try SplitConfig(reader.map("split") ?? ConfigReader(.null, source: reader.source, path: reader.keyPath("split")))
        let transforms = try reader.map("transforms")
        trainTransforms = try transforms?.list("train") ?? []
        evalTransforms = try transforms?.list("eval") ?? []
        try transforms?.finish()
        // Each step's name and parameters are checked now, naming the file and the entry; where
        // a step may stand (evaluation or augmentation) is the pipeline's check.
        for (part, steps) in [("train", trainTransforms), ("eval", evalTransforms)] {
            for (index, step) in steps.enumerated() where step != .scalar(TransformPipeline.evalMarker) {
                var step = step
                if case .map(let entries) = step { step = .map(entries.filter { $0.key != "num_samples" }) }
                _ = try TransformPipeline.Step(step, path: reader.keyPath("transforms.\(part)[\(index)]"), file: reader.source)
            }
        }
        preprocessing = try reader.choice("preprocessing", PreprocessingChoice.names).flatMap(PreprocessingChoice.init(name:)) ?? .auto
        interpolation = try reader.choice("interpolation", default: ImageInterpolation.bilinear)
        bitDepth = Int(try reader.choice("bit_depth", ["8", "16"], default: "8")!)!
        onError = try reader.choice("on_error", default: OnError.fail)
        sampling = try reader.choice("sampling", default: Sampling.none)
        testSets = try (reader.map("test_sets")?.entries ?? []).map { name, value in
            guard name != "internal", name != "train", name != "validation", name != "test" else {
                throw reader.error("test_sets.\(name)", "is the name of a split part; name external sets otherwise (external_1, center2)")
            }
            return try TestSetConfig(name: name, ConfigReader(value, source: reader.source, path: reader.keyPath("test_sets.\(name)")))
        }
        try reader.finish()
    }
}

/// One external test set: a data source of its own (`source` and that source's map, as in
/// `data:`), and for simulations a `scanner` shift (`gain`, `offset`, `noise`: the intensity
/// profile of another hospital's machine, applied to every image).
public struct TestSetConfig: Sendable {
    public var name: String
    public var source: DataSourceSpec
    public var gain: Double
    public var offset: Double
    public var noise: Double

    /// A test set given in Swift: `value` is what `data.test_sets.NAME` would hold, such as
    /// `["source": "folder", "folder": ["path": "center2"]]`.
    public init(name: String, _ value: ConfigValue) throws {
        try self.init(name: name, ConfigReader(value, source: "test set \(name)"))
    }

    init(name: String, _ reader: ConfigReader) throws {
        self.name = name
        let sourceName = try reader.choice("source", DataConfig.sources, default: "phantom")!
        source = try DataSourceSpec(source: sourceName, options: reader.value(sourceName) ?? .map([]), file: reader.source, path: reader.path)
        if let scanner = try reader.map("scanner") {
            gain = try scanner.double("gain", default: 1, in: 0.01...100)
            offset = try scanner.double("offset", default: 0, in: -1e6...1e6)
            noise = try scanner.double("noise", default: 0, in: 0...1e6)
            try scanner.finish()
        } else {
            (gain, offset, noise) = (1, 0, 0)
        }
        try reader.finish()
    }
}

/// How samples are divided between training, validation and test.
public struct SplitConfig: Sendable {
    public var method: SplitMethod
    public var train: Double
    public var validation: Double
    public var test: Double
    /// k-fold: the fold (0-based) held out as the test part; `validation` is then the
    /// fraction of the other folds set aside for validation, and `train`/`test` are unused.
    public var folds: Int
    public var fold: Int
    /// k-fold: folds keep the class proportions.
    public var stratified: Bool
    /// k-fold: `patient` keeps every patient (the source's group) in one fold; `none`.
    public var group: SplitGroup

    init(_ reader: ConfigReader) throws {
        method = try reader.choice("method", default: SplitMethod.stratified)
        train = try reader.double("train", default: 0.8, in: 0...1)
        validation = try reader.double("validation", default: 0, in: 0...1)
        test = try reader.double("test", default: Swift.max(0, 1 - train - validation), in: 0...1)
        folds = try reader.int("folds", default: 5, minimum: 2)
        fold = try reader.int("fold", default: 0, minimum: 0)
        stratified = try reader.bool("stratified", default: true)
        group = try reader.choice("group", default: SplitGroup.patient)
        try reader.finish()
        guard fold < folds else { throw reader.error("fold", "fold \(fold) does not exist among \(folds) folds (0-based)") }
        if method == .kfold {
            guard validation < 1 else { throw reader.error("validation", "k-fold needs training samples: validation must be below 1") }
            return
        }
        guard method == .column || abs(train + validation + test - 1) < 1e-9 else {
            throw reader.error("train", "train, validation and test must add up to 1, got \(train + validation + test)")
        }
    }
}

/// Which architecture, with which weights, frozen how far, under which head.
public struct ModelConfig: Sendable {
    public var name: String
    /// A whole model file to start from instead of a catalog architecture (`model.from`): a
    /// Keras `.keras` archive or full-model `.h5`, or a Zoo checkpoint that records its
    /// architecture; resolved against the config's folder.
    public var from: String?
    /// With `from` and `head`: the layer whose output the new head is built on (`head_from`).
    public var headFrom: String?
    public var inputShape: [Int]?
    public var weights: String?
    /// How strictly `weights` must match the model (`model.weights_options`): weights of the
    /// model the file lacks (a new head: allowed by default), weights of the file the model
    /// lacks (a top the model replaces: allowed by default), weights whose shapes differ
    /// (refused by default), and layer-path prefixes to rewrite (a backbone nested in a file).
    public var allowMissing = true
    public var allowUnexpected = true
    public var skipMismatch = false
    public var prefixMap: [(from: String, to: String)] = []
    public var freezeFraction: Double?
    /// Every backbone layer but the last N frozen, as Keras code's
    /// `for layer in conv_base.layers[:-N]: layer.trainable = False`.
    public var trainableLast: Int?
    public var freezeNames: [String]
    public var freezePrefix: String?
    /// Every layer up to and including this one frozen (`freeze.up_to`), in Keras's
    /// `model.layers` order.
    public var freezeUpTo: String?
    public var head: HeadSpec?
    public var pooling: GlobalPoolingMode?
    /// Overrides every batch normalization's momentum (Keras convention: the weight of the old
    /// value). Keras's 0.99 (0.999 in MobileNetV2) needs hundreds of steps before inference
    /// statistics settle; short runs use 0.9, PyTorch's default.
    public var batchNormMomentum: Double?

    init(_ reader: ConfigReader) throws {
        let explicitName = try reader.string("name")
        name = explicitName ?? "small_cnn"
        from = try reader.string("from")
        headFrom = try reader.string("head_from")
        inputShape = try reader.ints("input_shape")
        weights = try reader.string("weights")
        if let from {
            if explicitName != nil { throw reader.error("from", "give model.name (a catalog architecture) or model.from (a model file, here \(from)), not both") }
            if weights != nil { throw reader.error("weights", "model.from \(from) brings its own weights; leave out model.weights") }
            name = URL(fileURLWithPath: from).deletingPathExtension().lastPathComponent
        } else if headFrom != nil {
            throw reader.error("head_from", "names a layer of a model file: it goes with model.from")
        }
        if let options = try reader.map("weights_options") {
            allowMissing = try options.bool("allow_missing", default: true)
            allowUnexpected = try options.bool("allow_unexpected", default: true)
            skipMismatch = try options.bool("skip_mismatch", default: false)
            if let map = try options.map("prefix_map") {
                prefixMap = try map.entries.map { key, value in
                    guard case .scalar(let to) = value else { throw map.error(key, "must be the prefix to write instead") }
                    return (key, to)
                }
            }
            try options.finish()
        }
        if let freeze = try reader.map("freeze") {
            freezeFraction = try freeze.double("fraction")
            if let fraction = freezeFraction, !(0...1).contains(fraction) {
                throw freeze.error("fraction", "must lie in 0...1, got \(fraction)")
            }
            trainableLast = try freeze.int("trainable_last")
            if let last = trainableLast, last < 1 {
                // Python's conv_base.layers[:-0] is empty (nothing frozen): a trap, refused.
                throw freeze.error("trainable_last", "must be at least 1, got \(last) (fraction: 1 freezes the whole backbone)")
            }
            if freezeFraction != nil && trainableLast != nil {
                throw freeze.error("trainable_last", "give fraction or trainable_last, not both")
            }
            freezeNames = try freeze.strings("names") ?? []
            freezePrefix = try freeze.string("prefix")
            freezeUpTo = try freeze.string("up_to")
            try freeze.finish()
        } else {
            freezeNames = []
        }
        head = try reader.strings("head").map { lines in
            do { return try HeadSpec(parsing: lines) } catch { throw reader.error("head", "\(error)") }
        }
        pooling = try reader.choice("pooling", GlobalPoolingMode.self)
        batchNormMomentum = try reader.double("batch_norm_momentum")
        if let momentum = batchNormMomentum, !(0..<1).contains(momentum) {
            throw reader.error("batch_norm_momentum", "must lie in [0, 1), got \(momentum)")
        }
        try reader.finish()
    }
}

/// The training protocol.
public struct TrainConfig: Sendable {
    public var optimizer: OptimizerSpec
    public var batchSize: Int
    public var epochs: Int
    public var schedule: ScheduleSpec
    public var loss: LossSpec
    public var classWeights: ClassWeightsSpec
    public var earlyStopping: EarlyStoppingSpec?
    public var checkpointEvery: Int
    /// Data-parallel training: batch normalization with the statistics of the whole global batch
    /// (summed over the processes) instead of each process's shard (PyTorch DDP's default).
    public var syncBatchNorm: Bool

    init(_ reader: ConfigReader) throws {
        optimizer = try OptimizerSpec(reader.value("optimizer") ?? ["name": "adam"], file: reader.source, path: reader.keyPath("optimizer"))
        batchSize = try reader.int("batch_size", default: 16, minimum: 1)
        epochs = try reader.int("epochs", default: 10, minimum: 1)
        schedule = try ScheduleSpec(reader.value("schedule") ?? ["name": "constant"], file: reader.source, path: reader.keyPath("schedule"))
        loss = try LossSpec(reader.value("loss") ?? ["name": "cross_entropy"], file: reader.source, path: reader.keyPath("loss"))
        classWeights = try ClassWeightsSpec(reader.value("class_weights"), file: reader.source, path: reader.keyPath("class_weights"))
        earlyStopping = try reader.value("early_stopping").map { try EarlyStoppingSpec($0, file: reader.source, path: reader.keyPath("early_stopping")) }
        checkpointEvery = try reader.int("checkpoint_every", default: 1, minimum: 1)
        syncBatchNorm = try reader.bool("sync_batch_norm", default: false)
        try reader.finish()
    }
}

/// What the evaluation reports.
public struct EvalConfig: Sendable {
    /// The report's columns (`eval.metrics`); nil: every metric of the task.
    public var metrics: [ReportMetric]?
    public var threshold: ThresholdRule
    /// Layers whose Grad-CAM overlays each run writes for its first test samples (`last`: the
    /// architecture's last convolutional layer).
    public var gradcamLayers: [String]
    /// One map per sample averaged over `gradcamLayers` (`eval.gradcam: {layers, average:
    /// true}`), as the CT study compares the frozen with the fine-tuned layers.
    public var gradcamAverage = false
    /// The colour map of the Grad-CAM figures (`eval.gradcam_colormap`: viridis, perceptually
    /// uniform, or jet, the map of most published Grad-CAM figures).
    public var gradcamColormap = Colormap.viridis
    /// `eval.gradcam_method`: `gradcam` or `gradcam++`.
    public var gradcamMethod = GradCAMMethod.gradcam
    /// Resamples for bootstrap 95% intervals of the threshold metrics (0: none).
    public var bootstrap: Int
    /// The weights the report evaluates: `best` (the best validation checkpoint; the final
    /// weights without a validation split) or `last` (the final weights, as code that scores
    /// the test set with the model in memory after the last epoch does).
    public var checkpoint: EvaluatedWeights
    /// What counts as a detected lesion (`eval.detection: {min_volume_mm3, connectivity}`):
    /// predicted components below the volume are noise; connectivity 6/18/26 in 3D (4/8 in
    /// 2D) says which voxels touch.
    public var minimumLesionMM3: Double = 0
    public var connectivity: Int?
    /// Sliding-window inference of segmentation at the volume's own resolution
    /// (`eval.sliding_window: {overlap, mode, sigma_scale}`; windows of the network's input):
    /// nil evaluates a copy resized to the network's input.
    /// Patient-level results: how a patient's images combine (`eval.aggregate: {by:
    /// patient, rule: mean | max | largest_roi}`); nil reports images.
    public var aggregateRule: PatientAggregationRule?
    public var slidingOverlap: Double?
    public var slidingGaussian = true
    public var slidingSigmaScale = 0.125

    public init() {
        checkpoint = .best
        threshold = .fixed(0.5)
        gradcamLayers = []
        bootstrap = 0
    }

    init(_ reader: ConfigReader) throws {
        let names = ReportMetric.allCases.map(\.rawValue)
        metrics = try reader.strings("metrics")?.enumerated().map { index, name in
            guard let metric = ReportMetric(rawValue: name) else {
                throw reader.error("metrics[\(index)]", "unknown metric '\(name)'\(NameSuggestions.didYouMean(name, in: names)) (metrics: \(names.joined(separator: ", ")))")
            }
            return metric
        }
        threshold = try ThresholdRule(configText: try reader.string("threshold", default: "0.5"), file: reader.source, path: reader.keyPath("threshold"))
        gradcamColormap = Colormap(rawValue: try reader.choice("gradcam_colormap", Colormap.allCases.map(\.rawValue), default: "viridis")!)!
        gradcamMethod = GradCAMMethod(rawValue: try reader.choice("gradcam_method", GradCAMMethod.allCases.map(\.rawValue), default: "gradcam")!)!
        if case .map = reader.value("gradcam") {
            let gradcam = try reader.map("gradcam")!
            gradcamLayers = try gradcam.strings("layers") ?? []
            gradcamAverage = try gradcam.bool("average", default: false)
            try gradcam.finish()
            guard !gradcamAverage || gradcamLayers.count >= 2 else {
                throw gradcam.error("layers", "averaging needs at least two layers")
            }
        } else {
            gradcamLayers = try reader.strings("gradcam") ?? []
        }
        bootstrap = try reader.int("bootstrap", default: 0, minimum: 0)
        checkpoint = try reader.choice("checkpoint", default: EvaluatedWeights.best)
        if let aggregate = try reader.map("aggregate") {
            _ = try aggregate.choice("by", ["patient"], default: "patient")
            aggregateRule = try aggregate.choice("rule", default: PatientAggregationRule.mean)
            try aggregate.finish()
        }
        if let window = try reader.map("sliding_window") {
            slidingOverlap = try window.double("overlap", default: 0.25, in: 0...0.95)
            slidingGaussian = try window.choice("mode", ["gaussian", "constant"], default: "gaussian")! == "gaussian"
            slidingSigmaScale = try window.double("sigma_scale", default: 0.125, in: 0.001...10)
            try window.finish()
        }
        if let detection = try reader.map("detection") {
            minimumLesionMM3 = try detection.double("min_volume_mm3", default: 0, in: 0...1e9)
            connectivity = try detection.choice("connectivity", ["4", "8", "6", "18", "26"]).flatMap { Int($0) }
            try detection.finish()
        }
        guard bootstrap == 0 || bootstrap >= 100 else { throw reader.error("bootstrap", "needs at least 100 resamples (or 0 for none), got \(bootstrap)") }
        try reader.finish()
    }
}

/// A named trial of a sweep or member of an ensemble: its name and the dotted-path overrides
/// applied to the experiment for it.
public struct TrialEntry: Sendable {
    public var name: String
    public var overrides: [(path: [String], value: ConfigValue)]

    /// The entries of list `key`: names, or maps with `name` and `set`.
    static func list(_ reader: ConfigReader, _ key: String, what: String) throws -> [TrialEntry] {
        guard let items = try reader.list(key), !items.isEmpty else {
            throw reader.error(key, "\(what) needs a non-empty list of \(key)")
        }
        let entries = try items.enumerated().map { index, item in
            switch item {
            case .scalar(let name): return TrialEntry(name: name, overrides: [])
            case .map:
                let entry = try ConfigReader(item, source: reader.source, path: reader.keyPath("\(key)[\(index)]"))
                let name = try entry.requiredString("name")
                var overrides = [(path: [String], value: ConfigValue)]()
                if case .map(let pairs)? = entry.value("set") {
                    overrides = pairs.map { ($0.key.split(separator: ".").map(String.init), $0.value) }
                }
                try entry.finish()
                return TrialEntry(name: name, overrides: overrides)
            default:
                throw reader.error("\(key)[\(index)]", "must be a name or a map with name and set")
            }
        }
        let names = entries.map(\.name)
        if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw reader.error(key, "'\(repeated)' appears twice; every entry needs its own name (it names the run directory)")
        }
        return entries
    }
}

/// One protocol over many architectures, each with its own overrides.
public struct SweepConfig: Sendable {
    /// Where the trials run: on this machine, or as a SLURM job array.
    public enum Backend: String, Sendable, CaseIterable {
        case local, slurm
    }

    /// Entry names are catalog names.
    public var architectures: [TrialEntry]
    /// Trials run at once, each a `zoo` process with its share of the cores.
    public var workers: Int
    public var backend: Backend
    /// The job array's resources (`sweep.slurm`); defaults when the section is absent.
    public var slurm: SlurmOptions

    init(_ reader: ConfigReader) throws {
        architectures = try TrialEntry.list(reader, "architectures", what: "a sweep")
        workers = try reader.int("workers", default: 1, minimum: 1)
        backend = Backend(rawValue: try reader.choice("backend", Backend.allCases.map(\.rawValue), default: "local")!)!
        slurm = try reader.map("slurm").map { try SlurmOptions($0) } ?? SlurmOptions()
        if backend == .slurm, workers > 1 {
            throw reader.error("workers", "applies to the local backend; with slurm, sweep.slurm.array_limit caps the trials running at once")
        }
        try reader.finish()
    }
}

/// `sweep.slurm`: what `sbatch` is asked for, per array task (one trial each). Every key is
/// optional; the cluster's defaults apply to what is left out.
public struct SlurmOptions: Sendable, Equatable {
    public var partition: String?
    /// SLURM's time format: `MM`, `HH:MM:SS`, `D-HH`, ...
    public var time: String?
    /// Cores per trial; each trial runs `ZOO_NUM_THREADS` = this many threads (SLURM's default: 1).
    public var cpusPerTask: Int?
    /// Memory per trial in SLURM's format, e.g. `8G`.
    public var mem: String?
    public var account: String?
    /// At most this many trials run at once (`--array=0-N%K`).
    public var arrayLimit: Int?
    /// Further `#SBATCH` options, written as given (e.g. `--qos=short`).
    public var extra: [String] = []

    public init() {}

    init(_ reader: ConfigReader) throws {
        partition = try reader.string("partition")
        time = try reader.string("time")
        cpusPerTask = try reader.int("cpus_per_task").map { value in
            guard value >= 1 else { throw reader.error("cpus_per_task", "must be at least 1, got \(value)") }
            return value
        }
        mem = try reader.string("mem")
        account = try reader.string("account")
        arrayLimit = try reader.int("array_limit").map { value in
            guard value >= 1 else { throw reader.error("array_limit", "must be at least 1, got \(value)") }
            return value
        }
        extra = try reader.strings("extra") ?? []
        for option in extra where !option.hasPrefix("-") {
            throw reader.error("extra", "holds sbatch options such as --qos=short; '\(option)' is not one")
        }
        try reader.finish()
    }
}

/// k-fold cross-validation (`cross_validation:`): every fold is held out once as the test
/// part, a model (of every sweep trial) is trained on the rest, with `validation` of it set
/// aside for model selection and the threshold; the report gives each fold, the mean and SD
/// of every metric, and the AUC of the pooled out-of-fold predictions.
public struct CrossValidationConfig: Sendable {
    public var folds: Int
    public var stratified: Bool
    /// `patient` (each patient in one fold) or `none`.
    public var group: SplitGroup
    /// The fraction of the training folds kept for validation (0: none).
    public var validation: Double

    init(_ reader: ConfigReader) throws {
        folds = try reader.int("folds", default: 5, minimum: 2)
        stratified = try reader.bool("stratified", default: true)
        group = try reader.choice("group", default: SplitGroup.patient)
        validation = try reader.double("validation", default: 0.2, in: 0...0.9)
        try reader.finish()
    }
}

/// One reader of a reader study (`readers:`): score CSVs without and with the model's help
/// (`id,score` and optionally `call`, the binary read; ids of any test set), or, on phantom
/// data, a simulated reader of a given AUC alone and assisted.
public struct ReaderConfig: Sendable {
    public var name: String
    public var alone: String?
    public var assisted: String?
    /// Simulation: the binormal AUC alone and assisted, and the reader's seed.
    public var simulatedAUC: (alone: Double, assisted: Double)?
    public var seed: UInt64

    init(_ reader: ConfigReader) throws {
        name = try reader.requiredString("name")
        alone = try reader.string("alone")
        assisted = try reader.string("assisted")
        seed = UInt64(try reader.int("seed", default: 1, minimum: 0))
        if let simulated = try reader.map("simulated") {
            simulatedAUC = (try simulated.double("auc", default: 0.75, in: 0.5...0.999), try simulated.double("assisted_auc", default: 0.82, in: 0.5...0.999))
            try simulated.finish()
        }
        try reader.finish()
        guard (alone != nil && assisted != nil) != (simulatedAUC != nil) else {
            throw reader.error("name", "reader '\(name)' needs alone and assisted score files, or simulated: {auc, assisted_auc}")
        }
    }
}

/// `clinical: {name: clinical, columns: [age, sex, diameter_mm]}`: a logistic regression of
/// the class on the data source's clinical variables (a CSV manifest's extra columns).
public struct ClinicalConfig: Sendable {
    /// The run's name beside the sweep's architectures.
    public var name: String
    public var columns: [String]

    init(_ reader: ConfigReader) throws {
        name = try reader.string("name", default: "clinical")
        guard let columns = try reader.strings("columns"), !columns.isEmpty else {
            throw reader.error("columns", "a clinical model needs the variables' column names")
        }
        self.columns = columns
        try reader.finish()
    }
}

/// Models trained on the same split (different seeds or settings) whose softmax outputs are
/// averaged: the ensemble is evaluated like one model.
public struct EnsembleConfig: Sendable {
    /// Entry names name the members' run directories.
    public var members: [TrialEntry]

    init(_ reader: ConfigReader) throws {
        members = try TrialEntry.list(reader, "members", what: "an ensemble")
        guard members.count >= 2 else { throw reader.error("members", "an ensemble needs at least two members") }
        try reader.finish()
    }
}

/// One stage of a pipeline: the experiment's settings overridden by the stage's own sections
/// (which may include a sweep), and optionally the region of interest an earlier stage's best
/// segmentation model finds, to which every image is cropped.
public struct StageConfig: Sendable {
    public struct RegionOfInterest: Sendable {
        /// The earlier (segmentation) stage whose best model draws the boxes.
        public var from: String
        /// Grown by this fraction of the box's extent on each side.
        public var margin: Double
    }

    public var name: String
    public var roi: RegionOfInterest?
    /// The stage's full experiment document (the base merged with the stage's sections).
    public var document: ConfigValue
    public var config: ExperimentConfig

    init(name: String, value: ConfigValue, base: ConfigValue, source: String) throws {
        self.name = name
        let reader = try ConfigReader(value, source: source, path: "stages.\(name)")
        if let roi = try reader.map("roi") {
            self.roi = RegionOfInterest(from: try roi.requiredString("from"), margin: try roi.double("margin", default: 0.1, in: 0...2))
            try roi.finish()
        }
        guard case .map(let entries) = value else { throw reader.error("", "must be a map of experiment sections") }
        let allowed = ["data", "model", "train", "eval", "sweep", "seed", "roi", "clinical", "readers"]
        for key in entries.map(\.key) where !allowed.contains(key) {
            throw reader.error(key, "is not a stage section; stages hold \(allowed.joined(separator: ", "))")
        }
        document = base.merged(with: .map(entries.filter { $0.key != "roi" }))
        let experiment = (base["experiment"]).flatMap { if case .scalar(let text) = $0 { return text } else { return nil } } ?? "experiment"
        document = document.setting(["experiment"], to: .scalar("\(experiment)/\(name)"))
        config = try ExperimentConfig(document, source: "\(source) (stage \(name))")
        // A worker process re-runs the whole study for its one trial; a later stage needs every
        // trial of the earlier ones, so stages run their trials in this process.
        if let workers = config.sweep?.workers, workers > 1 {
            throw reader.error("sweep.workers", "the trials of a stage run one after another; workers applies to a plain sweep")
        }
        if config.sweep?.backend == .slurm {
            throw reader.error("sweep.backend", "the trials of a stage run in this process (a later stage needs them); slurm applies to a plain sweep")
        }
    }
}

extension DataConfig {
    /// The preprocessing `variant` gets: the config's mode, or for `auto` the variant's own.
    public func preprocessing(for variant: ArchitectureVariant) -> PreprocessingMode {
        preprocessing.resolved(for: variant.preprocessing)
    }
}

/// `data.interpolation`: how images are resized to the model's input; the Pillow forms resize
/// the decoded 8-bit image first, as Keras's image loaders do.
public enum ImageInterpolation: String, Sendable, CaseIterable {
    case bilinear, nearest
    case pillowBilinear = "pillow_bilinear", pillowNearest = "pillow_nearest"

    /// Pillow's filter for the Pillow forms; nil for Zoo's own resize.
    public var pillowFilter: PillowResize.Filter? {
        switch self {
        case .pillowBilinear: return .bilinear
        case .pillowNearest: return .nearest
        default: return nil
        }
    }
}

/// `data.on_error`: an unreadable file stops the run, or is left out and listed.
public enum OnError: String, Sendable, CaseIterable { case fail, skip }

/// `data.sampling`: every training sample once per epoch, or every class as often as the largest.
public enum Sampling: String, Sendable, CaseIterable { case none, oversample }

/// `data.split.method`.
public enum SplitMethod: String, Sendable, CaseIterable { case random, stratified, grouped, kfold, column }

/// `eval.checkpoint`: the weights the report evaluates.
public enum EvaluatedWeights: String, Sendable, CaseIterable { case best, last }

/// `split.group` / `cross_validation.group`: every patient's images in one part, or images alone.
public enum SplitGroup: String, Sendable, CaseIterable { case patient, none }

/// A column of the report's table (`eval.metrics`): classification `auc`, `auc_p` (its p against
/// 0.5), `accuracy`, `sensitivity`, `specificity`, `f1`, `ppv`, `npv`; segmentation `dice`,
/// its median and single-lesion forms, `iou`, `hd95`, voxel `precision`, `recall` and `fpr`,
/// and per scan `lesion_sensitivity`, `false_positives_per_scan`, `volume_correlation`.
public enum ReportMetric: String, Sendable, CaseIterable {
    case auc, aucP = "auc_p", accuracy, sensitivity, specificity, f1, ppv, npv
    case dice, diceMedian = "dice_median", diceSingleLesion = "dice_single_lesion", iou, hd95, precision, recall, fpr
    case lesionSensitivity = "lesion_sensitivity", falsePositivesPerScan = "false_positives_per_scan", volumeCorrelation = "volume_correlation"
}

/// `eval.aggregate.rule`: how a patient's images combine into the patient's probabilities (the
/// mean, the maximum, or the image with the largest region of interest).
public enum PatientAggregationRule: String, Sendable, CaseIterable {
    case mean, max
    case largestROI = "largest_roi"
}
