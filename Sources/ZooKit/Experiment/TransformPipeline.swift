import ZooData
import ZooNN

/// The data pipeline of a run: the config's augmentations for training, then what every
/// split gets (resize to the model's input, channels, the architecture's preprocessing).
public struct TransformPipeline {
    public let train: SampleTransform
    public let eval: SampleTransform

    /// Samples are resized to `inputSize` and converted from `sourceChannels` to the model's
    /// `channels` (gray repeated to RGB, as the studies fed CT slices to ImageNet networks).
    /// Preprocessing `auto` takes the variant's mode.
    public init(_ data: DataConfig, variant: ArchitectureVariant, inputSize: [Int], sourceChannels: Int, channels: Int) throws {
        let mode = data.preprocessing == "auto" ? variant.preprocessing.rawValue : data.preprocessing
        var common: [SampleTransform] = [try Transform.named("resize", ["size": .numbers(inputSize.map(Double.init)), "interpolation": .string(data.interpolation)])]
        if sourceChannels == 1 && channels == 3 { common.append(try Transform.named("to_rgb")) }
        if sourceChannels == 3 && channels == 1 { common.append(try Transform.named("to_gray")) }
        if mode != "none" { common.append(try Transform.named("preprocess", ["mode": .string(mode)])) }
        let augmentation = try data.trainTransforms.enumerated().map { try TransformPipeline.transform($1, path: "data.transforms.train[\($0)]") }
        let evaluation = try data.evalTransforms.enumerated().map { try TransformPipeline.transform($1, path: "data.transforms.eval[\($0)]") }
        train = Compose(augmentation + common)
        eval = Compose(evaluation + common)
    }

    /// A transform from its config entry: a name, or a map with `name` and its parameters.
    static func transform(_ value: ConfigValue, path: String) throws -> SampleTransform {
        switch value {
        case .scalar(let name):
            return try Transform.named(name)
        case .map(let entries):
            guard let name = entries.first(where: { $0.key == "name" })?.value, case .scalar(let text) = name else {
                throw ConfigError(source: "config", path: path, "needs a name (one of \(Transform.names.joined(separator: ", ")))")
            }
            var parameters = [String: TransformParameter]()
            for (key, item) in entries where key != "name" {
                parameters[key] = try parameter(item, path: "\(path).\(key)")
            }
            return try Transform.named(text, parameters)
        default:
            throw ConfigError(source: "config", path: path, "must be a transform name or a map with name and parameters")
        }
    }

    static func parameter(_ value: ConfigValue, path: String) throws -> TransformParameter {
        switch value {
        case .scalar(let text):
            if let number = Double(text) { return .number(number) }
            switch text.lowercased() {
            case "true", "yes": return .flag(true)
            case "false", "no": return .flag(false)
            default: return .string(text)
            }
        case .list(let items):
            return .numbers(try items.map { item in
                guard case .scalar(let text) = item, let number = Double(text) else {
                    throw ConfigError(source: "config", path: path, "must be a list of numbers")
                }
                return number
            })
        default:
            throw ConfigError(source: "config", path: path, "must be a number, a list of numbers, a flag or a word")
        }
    }
}
