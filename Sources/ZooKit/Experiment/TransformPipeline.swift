import ZooCore
import ZooData
import ZooNN

/// The data pipeline of a run. One deterministic preprocessing serves every split, training
/// included, and `zoo predict`: the config's `data.transforms.eval` steps, then resize to the
/// model's input, channels, and the architecture's preprocessing. Training adds the config's
/// augmentations (`data.transforms.train`) before it, or where the entry `eval` stands in
/// that list. A training pipeline that scaled differently from the evaluation one would
/// train on one intensity range and report on another, without a word.
public struct TransformPipeline {
    public let train: SampleTransform
    public let eval: SampleTransform
    /// The steps of each pipeline in order, in words (printed at a run's start and written
    /// to its pipeline.txt).
    public let trainSteps: [String]
    public let evalSteps: [String]
    /// Training draws per image and epoch (`random_crop_pos_neg`'s `num_samples`, as MONAI's
    /// `RandCropByPosNegLabeld`: each draw runs the training pipeline with its own randomness,
    /// so a batch of B images holds B x num_samples crops).
    public let samplesPerImage: Int

    /// The word in `data.transforms.train` that places the deterministic steps among the
    /// augmentations.
    public static let evalMarker = "eval"

    /// Samples are resized to `inputSize` and converted from `sourceChannels` to the model's
    /// `channels` (gray repeated to RGB, as the studies fed CT slices to ImageNet networks).
    /// Preprocessing `auto` takes the variant's mode. Without `resizeForEvaluation` (sliding-
    /// window inference) the evaluation pipeline keeps each volume's own size; training still
    /// resizes to the network's input.
    public init(
        _ data: DataConfig, variant: ArchitectureVariant, inputSize: [Int], sourceChannels: Int, channels: Int,
        resizeForEvaluation: Bool = true
    ) throws {
        let mode = data.preprocessing(for: variant).rawValue
        // `pillow_bilinear` / `pillow_nearest`: Pillow's resizing of the decoded 8-bit image, as
        // Keras's load_img does when it reads a file, so before every other step (training's
        // augmentations included); the ordinary resize comes after the config's own steps.
        let size = ConfigValue.list(inputSize.map { ConfigValue($0) })
        let pillow = data.interpolation.pillowFilter
        let load = try pillow.map { [try Step("pillow_resize", ["size": size, "interpolation": ConfigValue($0.rawValue)])] } ?? []
        var common: [Step] = pillow != nil ? [] : [
            try Step("resize", ["size": size, "interpolation": ConfigValue(data.interpolation.rawValue)])
        ]
        if sourceChannels == 1 && channels == 3 { common.append(try Step("to_rgb")) }
        if sourceChannels == 3 && channels == 1 { common.append(try Step("to_gray")) }
        if mode != "none" { common.append(try Step("preprocess", ["mode": ConfigValue(mode)])) }
        let evaluated = try data.evalTransforms.enumerated().map { index, value in
            let step = try Step(value, path: "data.transforms.eval[\(index)]", file: data.file)
            guard !step.isAugmentation else {
                throw ConfigError(
                    source: data.file, path: "data.transforms.eval[\(index)]",
                    "\(step.name) is a random augmentation; it belongs in data.transforms.train (evaluation is deterministic)")
            }
            return step
        }
        let deterministic = evaluated + common
        var evaluation = resizeForEvaluation ? deterministic : evaluated + common.filter { $0.name != "resize" }
        var training = [Step]()
        var placed = false
        var draws = 1
        for (index, value) in data.trainTransforms.enumerated() {
            let path = "data.transforms.train[\(index)]"
            if value == .scalar(TransformPipeline.evalMarker) {
                guard !placed else { throw ConfigError(source: data.file, path: path, "'eval' appears twice") }
                training += deterministic
                placed = true
                continue
            }
            var value = value
            if case .map(var entries) = value, let at = entries.firstIndex(where: { $0.key == "num_samples" }) {
                guard entries.contains(where: { $0.key == "name" && $0.value == .scalar("random_crop_pos_neg") }) else {
                    throw ConfigError(source: data.file, path: "\(path).num_samples", "applies to random_crop_pos_neg only")
                }
                guard case .scalar(let text) = entries[at].value, let count = Int(text), count >= 1 else {
                    throw ConfigError(source: data.file, path: "\(path).num_samples", "must be a whole number of at least 1")
                }
                draws = count
                entries.remove(at: at)
                value = .map(entries)
            }
            let step = try Step(value, path: path, file: data.file)
            guard step.isAugmentation else {
                throw ConfigError(
                    source: data.file, path: path,
                    "\(step.name) is deterministic preprocessing; list it under data.transforms.eval, which every split "
                        + "(training included) and zoo predict run, so that it is applied once and the same way everywhere")
            }
            training.append(step)
        }
        if !placed { training += deterministic }
        training = load + training
        if resizeForEvaluation { evaluation = load + evaluation }
        train = Compose(training.map(\.transform))
        eval = Compose(evaluation.map(\.transform))
        samplesPerImage = draws
        trainSteps = training.map(\.description) + (draws > 1 ? ["(\(draws) draws per image)"] : [])
        evalSteps = evaluation.map(\.description)
    }

    /// Both pipelines in words, one step a line (the run's pipeline.txt).
    public var text: String {
        "training:\n" + trainSteps.map { "  \($0)\n" }.joined() + "validation, test and predict:\n"
            + evalSteps.map { "  \($0)\n" }.joined()
    }

    /// One configured transform with its description.
    struct Step {
        let name: String
        let transform: SampleTransform
        let description: String

        /// Random transforms are augmentations; every other transform is deterministic.
        var isAugmentation: Bool { name.hasPrefix("random_") }

        /// A step Zoo adds itself (resize, channels, preprocessing).
        init(_ name: String, _ parameters: ConfigValue = [:]) throws {
            try self.init(name, parameters, path: "transforms")
        }

        init(_ name: String, _ parameters: ConfigValue, path: String, file: String = "config") throws {
            self.name = name
            transform = try Transform.named(name, parameters, file: file, path: path)
            guard case .map(let entries) = parameters else { description = name; return }
            let words = entries.sorted { $0.key < $1.key }.map { "\($0.key): \(Step.words($0.value))" }
            description = words.isEmpty ? name : "\(name)(\(words.joined(separator: ", ")))"
        }

        /// A transform from its config entry: a name, or a map with `name` and its parameters.
        init(_ value: ConfigValue, path: String, file: String = "config") throws {
            switch value {
            case .scalar(let name):
                try self.init(name, [:], path: path, file: file)
            case .map(let entries):
                guard let name = entries.first(where: { $0.key == "name" })?.value, case .scalar(let text) = name else {
                    throw ConfigError(source: file, path: path, "needs a name (one of \(Transform.names.joined(separator: ", ")))")
                }
                try self.init(text, .map(entries.filter { $0.key != "name" }), path: path, file: file)
            default:
                throw ConfigError(source: file, path: path, "must be a transform name or a map with name and parameters")
            }
        }

        /// A parameter as the config wrote it.
        static func words(_ value: ConfigValue) -> String {
            switch value {
            case .scalar(let text): return text
            case .list(let items): return "[" + items.map(words).joined(separator: ", ") + "]"
            case .map(let entries): return "{" + entries.map { "\($0.key): \(words($0.value))" }.joined(separator: ", ") + "}"
            case .null: return "null"
            }
        }
    }
}
